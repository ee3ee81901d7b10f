"""Lane fix19e (review 19a): methadone at the window the same day as buprenorphine given here waits for a
prescriber's switch override for the day (kind "switch"); a voided buprenorphine dose, yesterday's, a hold
and a low-dose start do not stop it; the refusal is audited and said in words (the API's 409)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import sign_in
from tests.factories import given_daily

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York), a Thursday
REASON = "Switch to methadone today: buprenorphine stopped after this morning's dose, assessed in person"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _on_buprenorphine(world: Any, *, today: bool = True, schedule: Any = None) -> Any:
    """Buprenorphine 16 mg at the window on each of the last 7 days (rows), a methadone order written
    yesterday, and (today) this morning's 16 mg given at the window."""
    from keel.treatment.services import prescribe, record_dose

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    order = prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="16",
        now=NOW - timedelta(days=10),
    )
    given_daily(world, order, [date(2026, 12, 3) - timedelta(days=back) for back in range(1, 8)], 16)
    prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        now=NOW - timedelta(days=1),
    )
    if today:
        return record_dose(
            by=nurse,
            patient_id=world.alice.pk,
            amount_mg="16",
            medication="buprenorphine",
            now=NOW - timedelta(hours=2),
        ).dose
    return None


def _methadone(world: Any, **kw: Any) -> Any:
    from keel.treatment.services import record_dose

    return record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        amount_mg="30",
        medication="methadone",
        now=NOW,
        **kw,
    )


def _switch_override(world: Any, medication: str = "methadone") -> Any:
    from keel.treatment.services import add_override

    return add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        kind="switch",
        reason=REASON,
        now=NOW - timedelta(minutes=10),
    )


def test_methadone_after_buprenorphine_today_is_blocked(world: Any) -> None:
    from keel.treatment.services.common import DoseBlocked

    _on_buprenorphine(world)
    with pytest.raises(DoseBlocked):
        _methadone(world)


def test_the_block_says_why(world: Any) -> None:
    from keel.treatment.services.common import DoseBlocked

    _on_buprenorphine(world)
    with pytest.raises(DoseBlocked) as exc:
        _methadone(world)
    assert "second opioid agonist" in str(exc.value)


def test_the_block_is_audited(world: Any) -> None:
    from keel.audit.models import AuditEvent
    from keel.treatment.services.common import DoseBlocked

    _on_buprenorphine(world)
    with pytest.raises(DoseBlocked):
        _methadone(world)
    assert AuditEvent.objects.filter(reason="guard rail: a second opioid agonist the same day").exists()


def test_no_methadone_is_recorded(world: Any) -> None:
    from keel.treatment.models import DoseRecord
    from keel.treatment.services.common import DoseBlocked

    _on_buprenorphine(world)
    with pytest.raises(DoseBlocked):
        _methadone(world)
    assert not DoseRecord.objects.filter(patient=world.alice, medication="methadone").exists()


def test_a_switch_override_for_today_lets_methadone_through(world: Any) -> None:
    _on_buprenorphine(world)
    _switch_override(world)
    assert _methadone(world).dose.amount_mg == Decimal(30)


def test_a_switch_override_is_for_methadone_only(world: Any) -> None:
    from keel.treatment.errors import TreatmentInvalid

    _on_buprenorphine(world)
    with pytest.raises(TreatmentInvalid) as exc:
        _switch_override(world, medication="buprenorphine")
    assert [e.field for e in exc.value.errors] == ["kind"]


def test_a_limit_override_does_not_pass_the_switch(world: Any) -> None:
    from keel.treatment.services import add_override
    from keel.treatment.services.common import DoseBlocked

    _on_buprenorphine(world)
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        kind="limit",
        max_total_mg="40",
        reason=REASON,
        now=NOW - timedelta(minutes=10),
    )
    with pytest.raises(DoseBlocked):
        _methadone(world)


def test_buprenorphine_only_yesterday_does_not_block_methadone_today(world: Any) -> None:
    _on_buprenorphine(world, today=False)
    assert _methadone(world).dose.amount_mg == Decimal(30)


def test_a_voided_buprenorphine_dose_today_does_not_block(world: Any) -> None:
    from keel.treatment.services import amend_dose

    given = _on_buprenorphine(world)
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=given.pk,
        void=True,
        reason="Recorded on the wrong person at the window, not given",
        now=NOW - timedelta(hours=1),
    )
    assert _methadone(world).dose.amount_mg == Decimal(30)


def test_a_hold_of_methadone_still_records(world: Any) -> None:
    _on_buprenorphine(world)
    assert _methadone(world, sedated=True).dose.status == "held"


def test_the_api_answers_409_with_the_decision(world: Any) -> None:
    _on_buprenorphine(world)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "30", "medication": "methadone", "sequence": 1}),
        "application/json",
    )
    assert response.status_code == 409, response.content[:300]
    assert response.json()["decision"]["decision"] == "needs_override"


def test_methadone_alongside_a_low_dose_buprenorphine_start_passes(world: Any) -> None:
    """The Bernese method: the low-dose step of buprenorphine and the usual methadone the same day."""
    from keel.treatment.services import prescribe, record_dose

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        now=NOW - timedelta(days=1),
    )
    prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="0.5",
        schedule=[{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}, {"day": 3, "mg": 2}],
        now=NOW - timedelta(hours=3),
    )
    record_dose(
        by=nurse,
        patient_id=world.alice.pk,
        amount_mg="0.5",
        medication="buprenorphine",
        now=NOW - timedelta(hours=2),
    )
    assert _methadone(world).dose.amount_mg == Decimal(30)
