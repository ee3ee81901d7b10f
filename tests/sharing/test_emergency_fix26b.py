"""Lane fix26b (review 26b H6-H8, H10-H12): the emergency disclosure (42 CFR 2.51) refuses a custodian's or
school's unit, a non-medical title, a non-clinical office of a hospital and a nature that names no emergency,
by class in English and Spanish; real emergencies still pass; the API refuses the old structured kind; the
patient's accounting says what left in her language; a form posted twice records one disclosure."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in

GOOD: dict[str, Any] = {
    "recipient_name": "Dr. Ana Ruiz",
    "recipient_role": "physician",
    "recipient_affiliation": "Mercy Hospital",
    "nature": "opioid overdose, unresponsive, naloxone given twice",
    "categories": ["medication"],
}


def _refused(**changed: Any) -> set[str]:
    try:
        parse_emergency({**GOOD, **changed})
    except InvalidInput as exc:
        return {e.field for e in exc.errors}
    return set()


@pytest.mark.parametrize(
    "affiliation",
    [
        "State Criminal Justice Department Infirmary",
        "Juvenile Justice Center Clinic",
        "Pretrial Services Health Clinic",
        "Clínica del Centro de Internamiento Juvenil",
        "Lincoln High School Nurse's Office Clinic",
        "Roosevelt Middle School Clinic",
        "Enfermería de la Escuela Primaria Juárez",
        "Enfermería de la Preparatoria 5",
        "Clínica de la Procuraduría de Justicia",
    ],
)
def test_a_custodian_or_school_with_a_care_word_is_refused(affiliation: str) -> None:
    assert "recipient_affiliation" in _refused(recipient_affiliation=affiliation)


@pytest.mark.parametrize(
    "name",
    [
        "Officer Jane Smith",
        "Correctional Officer Lee",
        "Sergeant Miller",
        "Deputy Ana Cruz",
        "Security Guard Bob",
        "Constable Ray",
        "Agente Luis Gómez",
        "Sargento Díaz",
        "Guardia de seguridad Luis",
        "Oficial de policía Ruiz",
        "Billing Clerk Ann",
    ],
)
def test_a_person_with_a_police_custody_or_guard_title_is_refused(name: str) -> None:
    assert "recipient_name" in _refused(recipient_name=name)


@pytest.mark.parametrize(
    "name",
    [
        "Dr. Ana Ruiz",
        "Chief Medical Officer Dr. Lee",
        "Medical Officer Patel",
        "Dr. Ana Custodio",
        "Dr. John Warden",
        "Dra. María Cabo",
    ],
)
def test_a_clinician_named_like_a_title_is_accepted(name: str) -> None:
    """A medical officer is a clinician; a surname that is also a title counts only where a title stands."""
    assert _refused(recipient_name=name) == set()


@pytest.mark.parametrize(
    "affiliation",
    [
        "Mercy Hospital Public Safety",
        "St. Luke's Medical Center Patient Accounts",
        "Mercy Hospital General Counsel",
        "Hospital Ángeles, Departamento Legal",
        "Hospital Civil, Facturación",
        "Clínica Santa Fe, Vigilancia",
    ],
)
def test_a_hospitals_non_clinical_office_is_refused(affiliation: str) -> None:
    assert "recipient_affiliation" in _refused(recipient_affiliation=affiliation)


@pytest.mark.parametrize(
    "affiliation",
    [
        "Mercy Hospital",
        "Hospital de la Seguridad Social",
        "Clínica 5 del Seguro Social",
        "Hospital General, Urgencias",
        "Texas Medical Center Emergency Department",
        "Cruz Roja Mexicana",
    ],
)
def test_real_places_of_care_are_accepted(affiliation: str) -> None:
    assert _refused(recipient_affiliation=affiliation) == set()


@pytest.mark.parametrize(
    "nature",
    [
        "subpoena for treatment records",
        "court-ordered evaluation for the hearing",
        "pre-employment screening for the new job",
        "return to work clearance from her employer",
        "scheduled appointment paperwork",
        "records request from the other clinic",
        "orden judicial del juzgado familiar",
        "revisión de rutina del paciente",
        "cita de seguimiento la próxima semana",
        "solicitud de expediente del empleador",
    ],
)
def test_a_nature_that_names_no_emergency_is_refused(nature: str) -> None:
    assert "nature" in _refused(nature=nature)


def test_the_nature_refusal_asks_for_the_emergency() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_emergency({**GOOD, "nature": "employer drug test"})
    assert next(e.reason for e in caught.value.errors if e.field == "nature").startswith(
        "describe the medical emergency"
    )


@pytest.mark.parametrize(
    "nature",
    [
        "unresponsive after a suspected overdose",
        "heroin OD",
        "chest pain, on methadone 120 mg",
        "collapsed in court, suspected overdose, not breathing",
        "in police custody, unresponsive, pinpoint pupils",
        "sobredosis de fentanilo, no respira",
        "dolor de pecho, toma metadona 120 mg",
        "inconsciente, paciente en seguimiento en el programa",
        "missed scheduled dose, now seizing",
    ],
)
def test_real_emergencies_are_accepted(nature: str) -> None:
    assert _refused(nature=nature) == set()


def _api_body(**more: Any) -> dict[str, Any]:
    return {"basis": "emergency", **GOOD, "password": PASSWORD, **more}


def _api_post(world: World, body: dict[str, Any]) -> Any:
    client = sign_in(Client(), world.staff["prescriber"])
    url = f"/api/v1/patients/{world.alice.pk}/disclosures"
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_the_api_refuses_a_facility_kind_by_name(world: World) -> None:
    """The structured kind was reverted (lead, session 26): the API names the key as no input."""
    response = _api_post(world, _api_body(recipient_facility_kind="otp"))
    assert response.status_code == 422
    assert "recipient_facility_kind" in [e["field"] for e in response.json()["errors"]]


@pytest.mark.django_db
def test_the_api_records_nothing_for_a_facility_kind(world: World) -> None:
    _api_post(world, _api_body(recipient_facility_kind="otp"))
    assert not Disclosure.objects.filter(patient=world.alice).exists()


@pytest.mark.django_db
def test_the_api_refuses_an_officer(world: World) -> None:
    response = _api_post(world, _api_body(recipient_name="Officer Smith"))
    assert [e["field"] for e in response.json()["errors"]] == ["recipient_name"]


@pytest.mark.django_db
def test_the_api_refuses_a_court_nature(world: World) -> None:
    response = _api_post(world, _api_body(nature="court ordered records request"))
    assert [e["field"] for e in response.json()["errors"]] == ["nature"]


def _page_post(world: World, signed_in: Any, **more: Any) -> Any:
    return signed_in("prescriber").post(
        reverse("sharing:disclose", args=[world.alice.pk]),
        {"basis": "emergency", **GOOD, "password": PASSWORD, **more},
    )


@pytest.mark.django_db
def test_the_page_refuses_a_hospitals_security_office(world: World, signed_in: Any) -> None:
    page = _page_post(world, signed_in, recipient_affiliation="Mercy Hospital Security")
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert page.status_code in (200, 422)


@pytest.mark.django_db
def test_the_page_says_the_nature_refusal_in_spanish(world: World, signed_in: Any) -> None:
    page = signed_in("prescriber").post(
        reverse("sharing:disclose", args=[world.alice.pk]),
        {"basis": "emergency", **GOOD, "nature": "cita programada de rutina", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "describa la emergencia médica" in page.content.decode()


@pytest.mark.django_db
def test_the_accounting_in_spanish_says_what_left_in_spanish(world: World, signed_in: Any) -> None:
    _page_post(world, signed_in)
    page = signed_in("patient").get(reverse("sharing:mine"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Informe de progreso: " in page.content.decode()


@pytest.mark.django_db
def test_an_old_rows_description_is_still_shown(world: World, signed_in: Any) -> None:
    """A row whose description is not the sentence its categories make is shown as stored."""
    _page_post(world, signed_in)
    Disclosure.objects.filter(patient=world.alice).update(description="Progress report (2024 wording)")
    page = signed_in("patient").get(reverse("sharing:mine"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Progress report (2024 wording)" in page.content.decode()


@pytest.mark.django_db
def test_the_api_sent_twice_records_one_disclosure(world: World) -> None:
    _api_post(world, _api_body())
    _api_post(world, _api_body())
    assert Disclosure.objects.filter(patient=world.alice).count() == 1


@pytest.mark.django_db
def test_the_api_sent_twice_answers_the_first_disclosure(world: World) -> None:
    first = _api_post(world, _api_body()).json()
    again = _api_post(world, _api_body()).json()
    assert again["disclosure"]["id"] == first["disclosure"]["id"]


@pytest.mark.django_db
def test_a_second_press_is_audited_as_a_replay(world: World, signed_in: Any) -> None:
    from keel.audit.models import AuditEvent

    _page_post(world, signed_in)
    _page_post(world, signed_in)
    assert AuditEvent.objects.filter(target_type="disclosure", reason="idempotent replay").count() == 1


@pytest.mark.django_db
def test_another_nature_is_a_new_disclosure(world: World, signed_in: Any) -> None:
    _page_post(world, signed_in)
    _page_post(world, signed_in, nature="second overdose after waking, naloxone again")
    assert Disclosure.objects.filter(patient=world.alice).count() == 2


@pytest.mark.django_db
def test_the_same_form_after_the_window_is_a_new_disclosure(world: World, signed_in: Any) -> None:
    from keel.sharing.services.disclosures import SAME_FORM_WINDOW

    _page_post(world, signed_in)
    first = Disclosure.objects.get(patient=world.alice)
    Disclosure.objects.filter(pk=first.pk).update(
        disclosed_at=first.disclosed_at - SAME_FORM_WINDOW - SAME_FORM_WINDOW
    )
    _page_post(world, signed_in)
    assert Disclosure.objects.filter(patient=world.alice).count() == 2
