"""Review 20a: the dosing page's htmx row and the API meet the same QTc block as the service (one guard,
`guards.order_on_high_qtc`): a raise written before a QTc of 520 ms was recorded is not saved."""

from __future__ import annotations

import json

import time_machine
from django.test import Client

from keel.treatment.models import DoseRecord
from tests.conftest import sign_in

from .conftest import Clinic, a_day, methadone_on, prescribe, qtc


def _blocked_raise(clinic: Clinic) -> None:
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2))
    qtc(clinic, 520, measured_on=clinic.d0, entered_on=a_day(clinic, 1))


def test_the_htmx_row_saves_no_dose_of_the_blocked_raise(clinic: Clinic) -> None:
    _blocked_raise(clinic)
    with time_machine.travel(clinic.at(a_day(clinic, 2), 10), tick=False):
        nurse = sign_in(Client(), clinic.nurse)
        nurse.post(
            f"/dosing/{clinic.patient.pk}/", {"sequence": "1", "amount_mg": "90"}, HTTP_HX_REQUEST="true"
        )
    assert not DoseRecord.objects.filter(patient=clinic.patient, local_date=a_day(clinic, 2)).exists()


def test_the_api_saves_no_dose_of_the_blocked_raise(clinic: Clinic) -> None:
    _blocked_raise(clinic)
    with time_machine.travel(clinic.at(a_day(clinic, 2), 10), tick=False):
        nurse = sign_in(Client(), clinic.nurse)
        nurse.post(
            f"/api/v1/patients/{clinic.patient.pk}/doses",
            json.dumps({"amount_mg": "90", "sequence": 1}),
            content_type="application/json",
        )
    assert not DoseRecord.objects.filter(patient=clinic.patient, local_date=a_day(clinic, 2)).exists()


def test_the_api_gives_the_dose_it_raised_from(clinic: Clinic) -> None:
    _blocked_raise(clinic)
    with time_machine.travel(clinic.at(a_day(clinic, 2), 10), tick=False):
        nurse = sign_in(Client(), clinic.nurse)
        response = nurse.post(
            f"/api/v1/patients/{clinic.patient.pk}/doses",
            json.dumps({"amount_mg": "80", "sequence": 1}),
            content_type="application/json",
        )
    assert response.status_code == 201


def test_the_htmx_row_saves_the_dose_it_raised_from(clinic: Clinic) -> None:
    _blocked_raise(clinic)
    with time_machine.travel(clinic.at(a_day(clinic, 2), 10), tick=False):
        nurse = sign_in(Client(), clinic.nurse)
        nurse.post(
            f"/dosing/{clinic.patient.pk}/", {"sequence": "1", "amount_mg": "80"}, HTTP_HX_REQUEST="true"
        )
    assert DoseRecord.objects.get(patient=clinic.patient, local_date=a_day(clinic, 2)).amount_mg == 80
