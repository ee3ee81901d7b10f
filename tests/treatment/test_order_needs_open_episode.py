"""Review 20a: no medication order for a person with no open episode of care in the program (discharged,
transferred, died): the dose and the injection already refuse them ("episode ended"); writing the order now
does too, on the page, the start page and the API, 422 naming `patient` in the dose's words (Spanish too),
the refusal audited and nothing else written. After a readmission the order is written."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from keel.audit.models import AuditEvent
from keel.patients import services as patient_services
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder
from keel.treatment.queries import orders_version
from keel.treatment.services.orders import EPISODE_ENDED
from keel.web.field_words import said
from tests.conftest import World, sign_in
from tests.factories import page_versions
from tests.treatment.test_take_home_safety import NOON

pytestmark = pytest.mark.django_db
ENGLISH = "this person's episode of care has ended: no medication order can be written"
SPANISH = "el episodio de atención de esta persona terminó: no se puede escribir ninguna orden de medicación"


def discharge(world: World, reason: str = "left") -> None:
    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": reason}),
        )


def write(world: World, **kw: Any) -> MedicationOrder:
    kw.setdefault("medication", "methadone")
    kw.setdefault("dose_mg", 30)
    with time_machine.travel(NOON, tick=False):
        return services.prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, **kw)


def refusal(world: World, **kw: Any) -> TreatmentInvalid:
    with pytest.raises(TreatmentInvalid) as caught:
        write(world, **kw)
    return caught.value


def denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_type="medication_order", outcome="denied"))


# The service


def test_an_order_for_a_discharged_person_is_refused_naming_patient(world: World) -> None:
    discharge(world)
    assert [e.field for e in refusal(world).errors] == ["patient"]


def test_the_refusal_says_the_episode_has_ended(world: World) -> None:
    discharge(world)
    assert said(refusal(world).errors[0]) == ENGLISH


def test_the_refusal_is_said_in_spanish(world: World) -> None:
    discharge(world)
    error = refusal(world).errors[0]
    with translation.override("es"):
        assert said(error) == SPANISH


def test_the_words_begin_as_the_dose_s_refusal_does(world: World) -> None:
    assert EPISODE_ENDED.split(":")[0] == "this person's episode of care has ended"


def test_no_order_is_written(world: World) -> None:
    discharge(world)
    refusal(world)
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()


def test_an_earlier_order_is_left_stopped(world: World) -> None:
    first = write(world)
    discharge(world)
    refusal(world, dose_mg=40)
    first.refresh_from_db()
    assert first.status == "stopped"


def test_the_refusal_is_audited(world: World) -> None:
    discharge(world)
    refusal(world)
    assert [e.reason for e in denials()] == ["no open episode of care"]


def test_the_refusal_s_audit_row_is_about_the_person(world: World) -> None:
    discharge(world)
    refusal(world)
    assert denials()[0].patient_id == world.alice.pk


def test_the_refusal_s_audit_row_names_the_prescriber(world: World) -> None:
    discharge(world)
    refusal(world)
    assert denials()[0].actor_id == world.staff["prescriber"].pk


def test_a_person_who_died_gets_no_order(world: World) -> None:
    discharge(world, "deceased")
    assert [e.field for e in refusal(world).errors] == ["patient"]


def test_a_buprenorphine_home_start_is_refused_too(world: World) -> None:
    discharge(world)
    assert [
        e.field for e in refusal(world, medication="buprenorphine", dose_mg=4, home_start=True).errors
    ] == ["patient"]


def test_an_order_to_start_later_is_refused_too(world: World) -> None:
    discharge(world)
    later = NOON.date() + timedelta(days=3)
    assert [e.field for e in refusal(world, starts_on=later).errors] == ["patient"]


def test_bad_fields_are_named_before_the_episode_is_read(world: World) -> None:
    discharge(world)
    assert [e.field for e in refusal(world, dose_mg="").errors] == ["dose_mg"]


def test_after_a_readmission_the_order_is_written(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON - timedelta(minutes=30), tick=False):
        patient_services.readmit(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    assert write(world).status == "active"


def test_a_person_in_care_gets_the_order(world: World) -> None:
    assert write(world).status == "active"


def test_a_person_in_care_leaves_no_denial(world: World) -> None:
    write(world)
    assert denials() == []


# The routes: page, start page, API


def test_the_api_refuses_with_422(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/orders",
            json.dumps(
                {
                    "medication": "methadone",
                    "dose_mg": "30",
                    "order_version": 0,
                    "orders_version": orders_version(world.alice),
                }
            ),
            content_type="application/json",
        )
    assert response.status_code == 422


def test_the_api_names_patient(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/orders",
            json.dumps(
                {
                    "medication": "methadone",
                    "dose_mg": "30",
                    "order_version": 0,
                    "orders_version": orders_version(world.alice),
                }
            ),
            content_type="application/json",
        )
    assert [e["field"] for e in response.json()["errors"]] == ["patient"]


def test_the_api_writes_no_order(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.post(
            f"/api/v1/patients/{world.alice.pk}/orders",
            json.dumps(
                {
                    "medication": "methadone",
                    "dose_mg": "30",
                    "order_version": 0,
                    "orders_version": orders_version(world.alice),
                }
            ),
            content_type="application/json",
        )
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()


def test_the_medication_page_says_why_and_writes_nothing(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/patients/{world.alice.pk}/medication/orders/",
            {
                **page_versions(world.alice),
                "medication": "methadone",
                "dose_mg": "30",
                "order_version_methadone": "0",
            },
            follow=True,
        )
    assert escape(ENGLISH) in response.content.decode()


def test_the_medication_page_writes_no_order(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.post(
            f"/patients/{world.alice.pk}/medication/orders/",
            {
                **page_versions(world.alice),
                "medication": "methadone",
                "dose_mg": "30",
                "order_version_methadone": "0",
            },
        )
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()


def test_the_start_page_says_why(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/patients/{world.alice.pk}/start/orders/",
            {
                **page_versions(world.alice, "buprenorphine"),
                "dose_mg": "4",
                "home_start": "on",
                "order_version": "0",
            },
        )
    assert escape(ENGLISH) in response.content.decode()


def test_the_start_page_writes_no_order(world: World) -> None:
    discharge(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.post(
            f"/patients/{world.alice.pk}/start/orders/",
            {
                **page_versions(world.alice, "buprenorphine"),
                "dose_mg": "4",
                "home_start": "on",
                "order_version": "0",
            },
        )
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()


def test_a_double_submit_after_discharge_audits_each_refusal(world: World) -> None:
    discharge(world)
    refusal(world)
    refusal(world)
    assert len(denials()) == 2


def test_a_double_submit_after_discharge_writes_no_order(world: World) -> None:
    discharge(world)
    refusal(world)
    refusal(world)
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()
