"""Review 19a: the QTc gate compares a methadone order with the person's last methadone order within the
program's recent window whatever the episode (a discharge and readmission is not a first order), and a start
on a recent QTc of 500 ms or more needs the prescriber's reason of substance (Krantz 2009)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.core.rules.qtc import START_ON_HIGH_QTC
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.patients.services.episodes import discharge, readmit
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder
from keel.treatment.queries import order_version, orders_version
from keel.treatment.services import prescribe, record_dose
from keel.treatment.services.qtc import record_qtc
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside
REASON = "cardiology reviewed the ECG today and agrees with starting at this dose"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _readmitted(world: Any) -> None:
    prescriber = world.staff["prescriber"]
    discharge(by=prescriber, patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"}))
    readmit(
        by=prescriber,
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
    )


def _methadone(world: Any, mg: str, **kw: Any) -> MedicationOrder:
    return prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=mg, **kw
    )


def _taken(world: Any) -> None:
    """Her first dose under the 60 mg order (review 21m: a start never given is still a start, so "the last
    order" she is raised from is one she took)."""
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")


def test_after_a_readmission_a_raise_is_named_as_a_raise_from_the_last_order(world: Any) -> None:
    _methadone(world, "60")
    _taken(world)
    record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520)
    _readmitted(world)
    with pytest.raises(TreatmentInvalid) as caught:
        _methadone(world, "100")
    assert [e.field for e in caught.value.errors] == ["override_reason"]
    # review 22m: the start of 60 was taken at 30, the level she reached: the raise is named from it
    assert "30 to 100 mg/day" in caught.value.errors[0].reason


def test_after_a_readmission_an_order_at_the_level_taken_needs_no_reason(world: Any) -> None:
    """Review 22m: the start of 60 was taken at 30 before the QTc of 520 (never weighed): 30 needs no
    reason; 40, above the level the window holds her at, does."""
    _methadone(world, "60")
    _taken(world)
    record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520)
    _readmitted(world)
    with pytest.raises(TreatmentInvalid):
        _methadone(world, "40")
    assert _methadone(world, "30").dose_mg == 30


def test_an_order_stopped_before_the_window_with_no_dose_since_counts_as_none(world: Any) -> None:
    """Treatment ended two months ago: a new order is a start (gated on 520 as a start, not as a raise)."""
    _methadone(world, "60", now=NOW - timedelta(days=60))
    _readmitted(world)
    record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520)
    with pytest.raises(TreatmentInvalid) as caught:
        _methadone(world, "30")
    assert "not starting it (30 mg/day)" in caught.value.errors[0].reason


def test_a_first_order_on_a_recent_qtc_of_520_needs_a_reason_naming_the_source(world: Any) -> None:
    record_qtc(
        by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520, measured_on=date(2026, 12, 1)
    )
    with pytest.raises(TreatmentInvalid) as caught:
        _methadone(world, "30")
    error = caught.value.errors[0]
    assert error.field == "override_reason"
    assert "520" in error.reason and "krantz-2009" in error.reason
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()


def test_a_first_order_on_520_with_a_reason_of_substance_is_saved(world: Any) -> None:
    record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520)
    with pytest.raises(TreatmentInvalid):
        _methadone(world, "30", override_reason="ok ok ok")
    assert REASON in _methadone(world, "30", override_reason=REASON).note


def test_a_first_order_on_480_needs_no_reason(world: Any) -> None:
    record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=480)
    assert _methadone(world, "30").dose_mg == 30


def test_the_api_refuses_a_start_on_520_with_a_422_naming_override_reason(world: Any) -> None:
    record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520)
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        json.dumps(
            {
                "medication": "methadone",
                "dose_mg": "30",
                "order_version": order_version(world.alice, "methadone"),
                "orders_version": orders_version(world.alice),
            }
        ),
        "application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["override_reason"]


def test_the_start_refusal_has_spanish_words() -> None:
    with translation.override("es"):
        assert translation.gettext(START_ON_HIGH_QTC) != START_ON_HIGH_QTC
