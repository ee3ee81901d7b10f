"""Lane fix19e (review 19a): an injection for a person whose episode of care ended is refused by the window's
one definition (words on the page, a 422 naming the field on the API), and its checks are read under the
person's lock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import sign_in

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York), a Thursday


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _discharged_with_a_naltrexone_order(world: Any) -> None:
    from keel.patients.schemas import DischargeIn
    from keel.patients.services.episodes import discharge
    from keel.treatment.models import MedicationOrder
    from keel.treatment.services import prescribe
    from keel.treatment.services.last_use import record_last_use

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="naltrexone_xr", dose_mg="380", now=NOW)
    discharge(by=prescriber, patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "completed"}))
    # An order left active after the discharge (as one written after it was, before review 20a made
    # `prescribe` refuse it): the injection itself must still refuse the person.
    MedicationOrder.objects.filter(patient=world.alice, medication="naltrexone_xr").update(status="active")
    record_last_use(
        by=nurse,
        patient_id=world.alice.pk,
        raw={"opioids": [{"opioid": "heroin", "last_use_at": "2026-11-20T10:00:00-05:00"}]},
        now=NOW,
    )


def _post_injection(world: Any) -> Any:
    return sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/injections",
        json.dumps({"site": "left_gluteal"}),
        "application/json",
    )


def test_an_injection_after_discharge_is_a_422_on_the_api(world: Any) -> None:
    _discharged_with_a_naltrexone_order(world)
    assert _post_injection(world).status_code == 422


def test_the_422_names_the_patient_field(world: Any) -> None:
    _discharged_with_a_naltrexone_order(world)
    assert "patient" in _post_injection(world).content.decode()


def test_the_422_says_the_episode_ended(world: Any) -> None:
    _discharged_with_a_naltrexone_order(world)
    assert "episode of care has ended" in _post_injection(world).content.decode()


def test_nothing_is_recorded_after_discharge(world: Any) -> None:
    from keel.treatment.models import DoseRecord

    _discharged_with_a_naltrexone_order(world)
    _post_injection(world)
    assert not DoseRecord.objects.filter(patient=world.alice, medication="naltrexone_xr").exists()


def test_the_page_says_the_episode_ended(world: Any) -> None:
    _discharged_with_a_naltrexone_order(world)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/patients/{world.alice.pk}/injections/", {"site": "left_gluteal"}, follow=True
    )
    assert "episode of care has ended" in response.content.decode()


def test_a_hold_saved_while_the_injection_is_checked_still_stops_it(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hold lands after the injection read the day and before it takes the lock (made deterministic)."""
    from keel.treatment.models import DoseRecord
    from keel.treatment.services import common, injections, prescribe, record_dose
    from keel.treatment.services.common import DoseBlocked
    from keel.treatment.services.last_use import record_last_use

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    prescribe(
        by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="30", now=NOW - timedelta(1)
    )
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="naltrexone_xr", dose_mg="380", now=NOW)
    record_last_use(
        by=nurse,
        patient_id=world.alice.pk,
        raw={"opioids": [{"opioid": "heroin", "last_use_at": "2026-11-10T10:00:00-05:00"}]},
        now=NOW - timedelta(hours=3),
    )
    real_lock = common.lock_person
    landed: list[int] = []

    def a_hold_first(patient: Any) -> None:
        if not landed:
            held = record_dose(by=prescriber, patient_id=world.alice.pk, sedated=True, now=NOW)
            landed.append(held.dose.pk)
        real_lock(patient)

    monkeypatch.setattr(injections, "lock_person", a_hold_first)
    with pytest.raises(DoseBlocked):
        injections.record_injection(by=nurse, patient_id=world.alice.pk, site="left_gluteal", now=NOW)
    assert not DoseRecord.objects.filter(patient=world.alice, medication="naltrexone_xr").exists()
