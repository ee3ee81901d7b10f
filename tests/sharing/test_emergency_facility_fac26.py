"""Lane fac26 (review 25d holes 6 and 7): the receiving facility of a section 2.51 disclosure, by class. Real
places of care under their ordinary names pass (British spelling, fire departments, the Red Cross, health
systems); agencies that carry a care word are refused (licensing boards, benefits administrations,
immigration enforcement), in English and Spanish, whatever their spacing, case or punctuation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in

NOT_MEDICAL = "a medical emergency allows disclosure only to medical personnel"


def _emergency(affiliation: str, **more: Any) -> dict[str, Any]:
    return {
        "recipient_name": "Dr. Ana Ortiz",
        "recipient_role": "physician",
        "recipient_affiliation": affiliation,
        "nature": "found unresponsive after an overdose, needs the current methadone dose",
        "categories": ["medication"],
        **more,
    }


def _errors(affiliation: str, **more: Any) -> dict[str, str]:
    try:
        parse_emergency(_emergency(affiliation, **more))
    except InvalidInput as exc:
        return {e.field: e.reason for e in exc.errors}
    return {}


PLACES_OF_CARE = {
    "centre": [
        "St Thomas' Medical Centre",
        "ST THOMAS'   MEDICAL   CENTRE",
        "Riverside Health Centre",
        "Leeds Trauma Centre",
        "National Poison Centre",
        "Camden Crisis Centre",
        "Queen Elizabeth Accident & Emergency",
        "Lambeth Opioid Treatment Programme",
        "medical-centre of the valley",
    ],
    "fire department": [
        "Springfield Fire Department",
        "Springfield Fire Dept.",
        "SPRINGFIELD  FIRE  DEPT",
        "Cypress Creek Fire District",
        "Orange County Fire Protection District",
        "Tualatin Valley Fire & Rescue",
        "Heroico Cuerpo de Bomberos de Guadalajara",
        "BOMBEROS de Tijuana",
    ],
    "red cross": [
        "Cruz Roja Mexicana",
        "CRUZ  ROJA, delegación Monterrey",
        "American Red Cross",
        "Red Crescent",
        "Cruz Verde Guadalajara",
    ],
    "health system": [
        "Mount Sinai Health System",
        "VA Healthcare System",
        "Baylor Health Care System",
        "Kaiser Permanente",
        "KAISER   PERMANENTE, Oakland",
        "Geisinger",
        "Sistema de Salud Menonita",
    ],
    "social security that runs care": [
        "Instituto Mexicano del Seguro Social",
        "IMSS",
        "Hospital General de Zona 1 IMSS",
        "Clínica ISSSTE",
        "Caja de Seguro Social",
        "Hospital de la Seguridad Social",
        "Clínica de la Seguridad Social",
        "Unidad de Medicina Familiar 7",
    ],
    "a board that is no licensing board": [
        "NHS Lothian Health Board, Royal Infirmary",
        "Mercy Hospital Pharmacy",
    ],
    "a word that only begins like ICE": [
        "Rice Memorial Hospital",
        "Iceland Hospital",
        "ICU, Mercy Hospital",
        "Alice Springs Clinic",
    ],
    "real emergency places": [
        "Mercy Hospital",
        "County General Emergency Department",
        "Valley Urgent Care",
        "County EMS",
        "Poison Control Center",
        "Clínica San Rafael",
        "Sala de Emergencias del Hospital Universitario",
        "Centro de Toxicología de Jalisco",
        "Ambulancias Municipales",
    ],
}


@pytest.mark.parametrize(
    "affiliation", [pytest.param(n, id=f"{c}: {n}") for c, names in PLACES_OF_CARE.items() for n in names]
)
def test_a_place_of_care_passes(affiliation: str) -> None:
    assert _errors(affiliation) == {}


AGENCIES = {
    "licensing board": [
        "State Pharmacy Board",
        "STATE   PHARMACY   BOARD",
        "Texas State Board of Pharmacy",
        "Board of Nursing, clinic",
        "Medical Board of California",
        "Texas Medical Board, hospital liaison",
        "Junta de Farmacia de Puerto Rico",
        "Junta de Enfermería de Puerto Rico",
        "Junta de Licenciamiento y Disciplina Médica, clínica",
        "COFEPRIS, farmacia",
    ],
    "benefits administration": [
        "Administración del Seguro Social",
        "Administracion del Seguro Social",
        "ADMINISTRACIÓN  DEL  SEGURO  SOCIAL, oficina de Ponce",
        "Oficina del Seguro Social",
        "Social Security Administration",
        "S.S.A. field office, clinic liaison",
        "Instituto Nacional de la Seguridad Social",
        "INSTITUTO NACIONAL DE LA SEGURIDAD SOCIAL",
        "Tesorería General de la Seguridad Social",
        "Social Security System",
        "Veterans Benefits Administration",
    ],
    "immigration enforcement": [
        "ICE Processing Center Clinic",
        "I.C.E. Health Clinic",
        "i c e clinic",
        "Ice Detention Infirmary",
        "Otay Mesa Processing Center, medical unit hospital",
        "Estación Migratoria Siglo XXI, enfermería",
        "Centro de Detención, Clínica",
        "Enforcement and Removal Operations Clinic",
    ],
    "insurers of a health system": [
        "Kaiser Foundation Health Plan",
        "Geisinger Health Plan",
    ],
    "a law office (a law firm's other name)": [
        "Ed Smith Law Office, clinic",
    ],
    "a fire office that runs no rescue": [
        "State Fire Marshal, fire department",
    ],
}


@pytest.mark.parametrize(
    "affiliation", [pytest.param(n, id=f"{c}: {n}") for c, names in AGENCIES.items() for n in names]
)
def test_an_agency_is_no_place_of_care(affiliation: str) -> None:
    assert _errors(affiliation).get("recipient_affiliation") == NOT_MEDICAL


# --- Step 2: the kind of place of care, chosen when the name does not say (lane fac26)

CHOOSE_A_KIND = "choose what kind of place of care it is: only medical personnel may receive it"
NO_SUCH_KIND = "choose a kind of place of care from the list"
NO_CARE_WORD = ["Cedars-Sinai", "Johns Hopkins", "Sutter Health", "NHS Lothian Health Board", "IESS Quito"]


@pytest.mark.parametrize("affiliation", NO_CARE_WORD)
def test_a_name_with_no_care_word_is_asked_its_kind(affiliation: str) -> None:
    assert _errors(affiliation).get("recipient_facility_kind") == CHOOSE_A_KIND


@pytest.mark.parametrize("affiliation", NO_CARE_WORD)
def test_a_name_with_no_care_word_is_flagged_with_the_question(affiliation: str) -> None:
    """Review 22p keeps the name flagged ("News Desk, Ed" names no place of care), saying to choose a kind."""
    assert "choose what kind of place it is" in _errors(affiliation).get("recipient_affiliation", "")


@pytest.mark.parametrize("affiliation", NO_CARE_WORD)
def test_a_name_with_no_care_word_passes_once_its_kind_is_chosen(affiliation: str) -> None:
    assert _errors(affiliation, recipient_facility_kind="hospital") == {}


def test_the_chosen_kind_is_the_recorded_one() -> None:
    terms = parse_emergency(_emergency("Cedars-Sinai", recipient_facility_kind="hospital"))
    assert terms.facility_kind == ("hospital", "chosen")


def test_a_chosen_kind_wins_over_the_names() -> None:
    terms = parse_emergency(_emergency("Mercy Hospital", recipient_facility_kind="poison_center"))
    assert terms.facility_kind == ("poison_center", "chosen")


@pytest.mark.parametrize(
    ("affiliation", "kind"),
    [
        ("Mercy Hospital emergency department", "hospital"),
        ("County EMS", "ems"),
        ("Springfield Fire Dept.", "ems"),
        ("Cruz Roja Mexicana", "ems"),
        ("Poison Control Center", "poison_center"),
        ("Poison Control Center at Children's Hospital", "poison_center"),
        ("Valley Urgent Care", "clinic"),
        ("Clínica 5 del Seguro Social", "clinic"),
        ("Politzer Family Medicine", "practice"),
        ("Consultorio Dra. Ruiz", "practice"),
        ("Eastside Opioid Treatment Program", "otp"),
        ("Instituto Mexicano del Seguro Social", "hospital"),
        ("Kaiser Permanente", "hospital"),
        ("Mount Sinai Health System", "hospital"),
    ],
)
def test_the_kind_is_read_from_the_names_care_word(affiliation: str, kind: str) -> None:
    assert parse_emergency(_emergency(affiliation)).facility_kind == (kind, "name")


@pytest.mark.parametrize("kind", ["hospital", "ems", "clinic", "practice", "otp", "poison_center"])
@pytest.mark.parametrize(
    "affiliation",
    [
        "County Drug Court",
        "Riverside Police Department",
        "Instituto Nacional de la Seguridad Social",
        "ICE Processing Center",
        "State Pharmacy Board",
        "Administración del Seguro Social",
    ],
)
def test_a_kind_never_makes_an_agency_a_place_of_care(affiliation: str, kind: str) -> None:
    assert _errors(affiliation, recipient_facility_kind=kind).get("recipient_affiliation") == NOT_MEDICAL


@pytest.mark.parametrize("kind", ["morgue", "Hospital", " hospital", ["hospital"], 3, {"k": "hospital"}])
def test_a_kind_not_on_the_list_is_refused_by_name(kind: object) -> None:
    assert _errors("Mercy Hospital", recipient_facility_kind=kind) == {
        "recipient_facility_kind": NO_SUCH_KIND
    }


@pytest.mark.parametrize("kind", ["", None])
def test_a_blank_kind_is_none_chosen(kind: object) -> None:
    assert parse_emergency(_emergency("Mercy Hospital", recipient_facility_kind=kind)).facility_kind == (
        "hospital",
        "name",
    )


def test_every_kind_has_care_words_and_a_label() -> None:
    from keel.core import sharing

    assert list(sharing._CARE_KINDS) == list(sharing.FACILITY_KINDS)


# --- Step 2 over HTTP: the API and the page (SQLite, and PostgreSQL with KEEL_DATABASE_URL)

EMERGENCY = {
    "basis": "emergency",
    "categories": ["medication"],
    "recipient_name": "Dr. Example",
    "recipient_role": "physician",
    "recipient_affiliation": "Cedars-Sinai",
    "nature": "Unresponsive after a suspected overdose; the treating team needs the methadone dose",
    "password": PASSWORD,
}


def _api(world: World, **changes: Any) -> Any:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = json.dumps({**EMERGENCY, **changes})
    return nurse.post(f"/api/v1/patients/{world.alice.pk}/disclosures", body, content_type="application/json")


def _page(world: World, language: str = "en", **changes: Any) -> Any:
    nurse = sign_in(Client(), world.staff["nurse"])
    url = f"/patients/{world.alice.pk}/sharing/disclose/"
    return nurse.post(url, {**EMERGENCY, **changes}, HTTP_ACCEPT_LANGUAGE=language)


def _fields(response: Any) -> list[str]:
    return sorted(e["field"] for e in response.json()["errors"])


@pytest.mark.django_db
def test_the_api_asks_the_kind_of_a_name_with_no_care_word(world: World) -> None:
    response = _api(world)
    assert (response.status_code, _fields(response)) == (
        422,
        ["recipient_affiliation", "recipient_facility_kind"],
    )


@pytest.mark.django_db
def test_the_api_refusal_writes_nothing_and_is_audited_by_field(world: World) -> None:
    _api(world)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (Disclosure.objects.count(), event.reason) == (
        0,
        "refused: recipient_affiliation, recipient_facility_kind",
    )


@pytest.mark.django_db
def test_the_api_accepts_a_real_facility_once_its_kind_is_chosen(world: World) -> None:
    response = _api(world, recipient_facility_kind="hospital")
    assert response.status_code == 201
    disclosure = response.json()["disclosure"]
    assert (disclosure["recipient_facility_kind"], disclosure["recipient_facility_kind_from"]) == (
        "hospital",
        "chosen",
    )


@pytest.mark.django_db
def test_the_kind_is_stored_with_the_disclosure(world: World) -> None:
    _api(world, recipient_facility_kind="ems")
    row = Disclosure.objects.get()
    assert (row.recipient_facility_kind, row.recipient_facility_kind_from) == ("ems", "chosen")


@pytest.mark.django_db
def test_the_kind_read_from_the_name_is_stored_as_read(world: World) -> None:
    _api(world, recipient_affiliation="Poison Control Center")
    row = Disclosure.objects.get()
    assert (row.recipient_facility_kind, row.recipient_facility_kind_from) == ("poison_center", "name")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["morgue", ["hospital"], 7, True])
def test_the_api_refuses_a_kind_not_on_the_list_naming_the_field(world: World, kind: object) -> None:
    response = _api(world, recipient_affiliation="Mercy Hospital", recipient_facility_kind=kind)
    assert (response.status_code, _fields(response)) == (422, ["recipient_facility_kind"])


@pytest.mark.django_db
@pytest.mark.parametrize("affiliation", ["County Drug Court", "Instituto Nacional de la Seguridad Social"])
def test_the_api_refuses_an_agency_whatever_kind_is_chosen(world: World, affiliation: str) -> None:
    response = _api(world, recipient_affiliation=affiliation, recipient_facility_kind="hospital")
    assert (response.status_code, _fields(response)) == (422, ["recipient_affiliation"])


@pytest.mark.django_db
def test_the_published_schema_lists_the_kinds() -> None:
    from keel.core.sharing import FACILITY_KINDS

    doc = Client().get("/api/v1/openapi.json").json()
    enums = [
        s["properties"]["recipient_facility_kind"].get("enum")
        for s in doc["components"]["schemas"].values()
        if "recipient_facility_kind" in s.get("properties", {})
        and "enum" in s["properties"]["recipient_facility_kind"]
    ]
    assert enums == [list(FACILITY_KINDS)]


@pytest.mark.django_db
def test_the_audit_detail_says_the_kind_and_no_health_information(world: World) -> None:
    _api(world, recipient_facility_kind="hospital")
    event = AuditEvent.objects.filter(action="disclose").order_by("-id").first()
    assert event is not None
    assert event.detail == {
        "basis": "emergency",
        "consent_id": None,
        "categories": ["medication"],
        "facility_kind": "hospital",
        "facility_kind_from": "chosen",
    }


@pytest.mark.django_db
def test_the_emergency_form_offers_the_kinds(world: World) -> None:
    html = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/sharing/").content
    form = html.decode().split('value="emergency"')[1].split("</form>")[0]
    assert form.count('name="recipient_facility_kind"') == 1
    assert '<option value="poison_center">Poison center</option>' in form


@pytest.mark.django_db
def test_the_emergency_form_offers_the_kinds_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    html = client.get(f"/patients/{world.alice.pk}/sharing/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<option value="hospital">Hospital o sala de urgencias</option>' in html


@pytest.mark.django_db
def test_the_page_asks_the_kind_of_a_name_with_no_care_word(world: World) -> None:
    page = _page(world)
    assert (page.status_code, "<strong>recipient_facility_kind</strong>" in page.content.decode()) == (
        422,
        True,
    )


@pytest.mark.django_db
def test_the_page_asks_the_kind_in_spanish(world: World) -> None:
    page = _page(world, language="es")
    assert "elija qué tipo de lugar de atención médica es" in page.content.decode()


@pytest.mark.django_db
def test_the_page_keeps_the_kind_chosen_after_a_refusal(world: World) -> None:
    page = _page(world, recipient_facility_kind="clinic", nature="")
    assert '<option value="clinic" selected>' in page.content.decode()


@pytest.mark.django_db
def test_the_page_refuses_a_court_with_a_kind_chosen(world: World) -> None:
    page = _page(world, recipient_affiliation="County Drug Court", recipient_facility_kind="hospital")
    html = page.content.decode()
    assert (page.status_code, "<strong>recipient_affiliation</strong>" in html) == (422, True)


@pytest.mark.django_db
def test_the_disclosures_page_says_the_kind_and_where_it_comes_from(world: World) -> None:
    page = _page(world, recipient_facility_kind="hospital")
    expected = "Kind of place of care: Hospital or emergency department (chosen on the form)."
    assert (page.status_code, expected in page.content.decode()) == (200, True)


@pytest.mark.django_db
def test_the_staff_accounting_shows_the_kind(world: World) -> None:
    _page(world, recipient_affiliation="County EMS")
    html = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/sharing/").content
    assert (
        "County EMS · Emergency medical service (ambulance, fire rescue) (read from the name)"
        in html.decode()
    )


@pytest.mark.django_db
def test_the_patients_accounting_shows_the_kind_in_spanish(world: World) -> None:
    _page(world, recipient_facility_kind="practice")
    html = sign_in(Client(), world.alice.user).get("/me/sharing/", HTTP_ACCEPT_LANGUAGE="es").content
    assert "Cedars-Sinai · Consultorio médico (elegido en el formulario)" in html.decode()
