"""Review 20a hole 3: a correction that raises a methadone dose meets the window's QTc checks
(`limits.amendment_ceilings` -> `guards.high_qtc_since_order`), refused with a 422 naming corrected_mg."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord
from keel.treatment.services import doses as dose_services
from keel.treatment.services.overrides import add_override
from tests.conftest import sign_in

from .conftest import Clinic, a_day, dose, methadone_on, prescribe, qtc


def _given_80_under_the_blocked_raise(clinic: Clinic) -> DoseRecord:
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2))
    qtc(clinic, 520, measured_on=clinic.d0 - timedelta(days=1), entered_on=a_day(clinic, 1))
    return dose(clinic, 80, a_day(clinic, 2))


def _amend(clinic: Clinic, given: DoseRecord, mg: str) -> DoseAmendment:
    return dose_services.amend_dose(
        by=clinic.nurse,
        patient_id=clinic.patient.pk,
        dose_id=given.pk,
        corrected_mg=mg,
        reason="typed the wrong amount, this was poured",
        now=clinic.at(a_day(clinic, 2), 12),
    )


def test_a_correction_up_to_the_blocked_raise_is_refused_naming_corrected_mg(clinic: Clinic) -> None:
    given = _given_80_under_the_blocked_raise(clinic)  # the ECG measured before, entered after the order
    with pytest.raises(TreatmentInvalid) as refused:
        _amend(clinic, given, "90")
    assert [e.field for e in refused.value.errors] == ["corrected_mg"]


def test_the_refused_correction_writes_nothing(clinic: Clinic) -> None:
    given = _given_80_under_the_blocked_raise(clinic)
    with pytest.raises(TreatmentInvalid):
        _amend(clinic, given, "90")
    assert not DoseAmendment.objects.filter(dose=given).exists()


def test_a_correction_up_to_the_blocked_raise_is_refused_under_a_limit_override(clinic: Clinic) -> None:
    given = _given_80_under_the_blocked_raise(clinic)
    add_override(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        max_total_mg="90",
        reason="tolerance kept, continuing the planned dose today",
        now=clinic.at(a_day(clinic, 2), 11),
    )
    with pytest.raises(TreatmentInvalid) as refused:
        _amend(clinic, given, "90")
    assert [e.field for e in refused.value.errors] == ["corrected_mg"]


def test_a_correction_down_is_never_refused(clinic: Clinic) -> None:
    given = _given_80_under_the_blocked_raise(clinic)
    assert _amend(clinic, given, "70").corrected_mg == 70


def test_a_correction_within_the_dose_it_raised_from_passes(clinic: Clinic) -> None:
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2))
    qtc(clinic, 520, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    given = dose(clinic, 75, a_day(clinic, 2))
    assert _amend(clinic, given, "80").corrected_mg == 80


def test_a_correction_of_a_first_dose_under_a_start_blocked_on_the_qtc_is_refused(clinic: Clinic) -> None:
    prescribe(clinic, 30, written=clinic.d0, starts_on=a_day(clinic, 2))
    qtc(clinic, 540, measured_on=a_day(clinic, 2), entered_on=a_day(clinic, 2), hour=9)
    given = DoseRecord.objects.create(  # a 0 mg given row cannot be made at the window: a stand-in
        patient=clinic.patient,
        order=clinic.patient.medication_orders.get(),
        medication="methadone",
        local_date=a_day(clinic, 2),
        sequence=1,
        status="given",
        amount_mg=0,
        treatment_day=1,
        decision={"decision": "allowed", "reasons": []},
        recorded_by=clinic.nurse,
        recorded_at=clinic.at(a_day(clinic, 2), 10),
    )
    with pytest.raises(TreatmentInvalid) as refused:
        _amend(clinic, given, "30")
    assert [e.field for e in refused.value.errors] == ["corrected_mg"]


def test_the_amendment_api_refuses_the_raise_with_a_422_naming_corrected_mg(clinic: Clinic) -> None:
    given = _given_80_under_the_blocked_raise(clinic)
    with time_machine.travel(clinic.at(a_day(clinic, 2), 12), tick=False):
        client = sign_in(Client(), clinic.nurse)
        response = client.post(
            f"/api/v1/patients/{clinic.patient.pk}/doses/{given.pk}/amendments",
            json.dumps({"corrected_mg": "90", "reason": "typed 80, 90 was poured", "correction_version": 0}),
            "application/json",
        )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "corrected_mg")
