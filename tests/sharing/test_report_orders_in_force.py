"""A disclosed progress report lists the medication in force on the person's today (review 19a's one
definition, `in_force_q`) and no order written to start later: the consent's category is the current dose
(42 CFR 2.31, review 19d), and a future dose is never reported as today's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from keel.access.policy import areas_for_role
from keel.sharing import services
from keel.treatment.services import prescribe

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York)


def _medication_lines(world: Any) -> list[str]:
    shown = services.report(world.alice, ("medication",), NOW, areas=areas_for_role("counselor"))
    return [line for section in shown["sections"] for line in section["lines"] if " mg, " in line]


@pytest.fixture
def _next_week(world: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        by = world.staff["prescriber"]
        prescribe(by=by, patient_id=world.alice.pk, medication="methadone", dose_mg="40", now=NOW)
        prescribe(
            by=by,
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg="50",
            starts_on=date(2026, 12, 7),
            override_reason="stable for four weeks, no missed doses, raise as planned with the person",
            now=NOW,
        )


@pytest.mark.usefixtures("_next_week")
def test_the_order_in_force_today_is_reported_first(world: Any) -> None:
    assert _medication_lines(world)[0] == "Methadone 40 mg, once daily."


@pytest.mark.usefixtures("_next_week")
def test_the_order_to_start_next_week_is_not_listed(world: Any) -> None:
    assert _medication_lines(world) == ["Methadone 40 mg, once daily."]
