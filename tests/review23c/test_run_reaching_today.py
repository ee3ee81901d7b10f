"""Lane fix23d: a correction down (not to 0) of the dose of two days ago, whose bottle run is yesterday and
today, after which the window would refuse that run: yesterday's bottle (gone, drunk) stays recorded,
today's is taken back, and the plan ends yesterday, so today is a clinic day for every reader. Dates relative
to today (the suite runs under moved clocks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.review23c.test_variants import _amend, _handed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _corrected_down(world: World) -> TakeHomePlan:
    plan, dose, _handed_out, first = _handed(world, 2)
    assert first == local_today(world.alice) - timedelta(days=1), "setup: the run is yesterday and today"
    _amend(world, dose, "40")
    plan.refresh_from_db()
    return plan


def test_yesterdays_bottle_stays_todays_is_taken_back_and_the_plan_ends_yesterday(world: World) -> None:
    today = local_today(world.alice)
    plan = _corrected_down(world)
    yesterday = (today - timedelta(days=1)).isoformat()
    assert (plan.bottle_mg, plan.bottles_taken_back, plan.ended_on) == (
        {yesterday: "80"},
        {today.isoformat(): "80"},
        today - timedelta(days=1),
    )


def test_the_window_then_gives_her_todays_dose_with_the_bottle_brought_back(world: World) -> None:
    """Today is a clinic day again (the plan ends yesterday); today's bottle left the clinic two days ago,
    so it is still in her hands until she brings it in, as the nurse is told (`bottle_returned`)."""
    today = local_today(world.alice)
    _corrected_down(world)
    record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        amount_mg="40",
        medication="methadone",
        bottle_returned=True,
    )
    assert DoseRecord.objects.filter(patient=world.alice, local_date=today, amount_mg=40).exists()


def test_fhir_says_yesterdays_and_todays_bottles_completed(world: World) -> None:
    """Superseded by review 24c hole 5 (session 25, the lead's decision): a bottle handed out is a fact
    (review 24b); a take-back after a correction down is an instruction to call the person back, and the
    bottle stays in their hands until recorded brought back, so FHIR says it was dispensed (`completed`,
    with a note), never `entered- in-error`. The original assertion: today's bottle "entered-in-error"
    (the test was named "..._and_todays_entered_in_error")."""
    from types import SimpleNamespace

    from keel.interop.fhir.record import _dispenses

    today = local_today(world.alice)
    _corrected_down(world)
    found = {
        str(d["id"])[-8:]: d["status"]
        for d in _dispenses(cast(Any, SimpleNamespace(patient=world.alice, now=timezone.now())))
    }
    yesterday = today - timedelta(days=1)
    assert (found.get(yesterday.strftime("%Y%m%d")), found.get(today.strftime("%Y%m%d"))) == (
        "completed",
        "completed",
    )
