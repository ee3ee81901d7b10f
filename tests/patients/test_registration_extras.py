"""Registration extras (issue #18): address, email, emergency contact, the kind of care, and the two
confirmations at admission (the Part 2 patient notice, 42 CFR 2.22, and consent to treatment), on the page,
the API and the CLI through one service; the new personal fields are protected fields of the field policy."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import Enrollment, Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db

BODY: dict[str, Any] = {
    "given_name": "Maria",
    "family_name": "Lopez",
    "date_of_birth": "1988-04-02",
    "address_line": "12 Elm St",
    "city": "Riverside",
    "region": "CA",
    "postal_code": "92501",
    "email": "maria@example.org",
    "emergency_contact_name": "Ana Lopez",
    "emergency_contact_relationship": "sister",
    "emergency_contact_phone": "555-0111",
    "episode_kind": "counseling",
    "notice_given": True,
    "consented": True,
}


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/patients", json.dumps(body), content_type="application/json")


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _registered(signed_in: Any, role: str = "program_admin") -> Patient:
    response = _post(signed_in(role), BODY)
    assert response.status_code == 201, response.content
    return Patient.objects.get(pk=response.json()["id"])


# --- The service through the API ------------------------------------------------------------------------


def test_the_address_is_kept(world: World, signed_in: Any) -> None:
    p = _registered(signed_in)
    assert (p.address_line, p.city, p.region, p.postal_code) == ("12 Elm St", "Riverside", "CA", "92501")


def test_the_email_is_kept(world: World, signed_in: Any) -> None:
    assert _registered(signed_in).email == "maria@example.org"


def test_the_emergency_contact_is_kept(world: World, signed_in: Any) -> None:
    p = _registered(signed_in)
    assert (p.emergency_contact_name, p.emergency_contact_relationship, p.emergency_contact_phone) == (
        "Ana Lopez",
        "sister",
        "555-0111",
    )


def test_the_episode_has_the_kind_of_care(world: World, signed_in: Any) -> None:
    p = _registered(signed_in)
    assert Enrollment.objects.get(patient=p).kind == "counseling"


def test_the_notice_is_stored_with_who_gave_it(world: World, signed_in: Any) -> None:
    e = Enrollment.objects.get(patient=_registered(signed_in))
    assert e.notice_given_by == world.staff["program_admin"]


def test_the_consent_is_stored_with_who_took_it(world: World, signed_in: Any) -> None:
    e = Enrollment.objects.get(patient=_registered(signed_in))
    assert e.consented_by == world.staff["program_admin"]


def test_the_notice_and_consent_carry_when(world: World, signed_in: Any) -> None:
    e = Enrollment.objects.get(patient=_registered(signed_in))
    assert e.notice_given_at is not None
    assert e.consented_at is not None


def test_the_admission_audit_row_names_the_confirmations(world: World, signed_in: Any) -> None:
    p = _registered(signed_in)
    row = AuditEvent.objects.get(patient_id=p.pk, target_type="enrollment", action="create")
    assert row.detail == {"kind": "counseling", "notice_given": True, "consented": True}


def test_the_personal_extras_are_optional(world: World, signed_in: Any) -> None:
    body = {k: BODY[k] for k in ("given_name", "family_name", "date_of_birth", "episode_kind")}
    response = _post(signed_in("program_admin"), {**body, "notice_given": True, "consented": True})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"notice_given": False}, "notice_given"),
        ({"notice_given": None}, "notice_given"),
        ({"notice_given": "no"}, "notice_given"),
        ({"consented": False}, "consented"),
        ({"consented": ""}, "consented"),
        ({"episode_kind": ""}, "episode_kind"),
        ({"episode_kind": "methadone"}, "episode_kind"),
        ({"email": "maria"}, "email"),
        ({"email": "maria@"}, "email"),
        ({"email": 5}, "email"),
        ({"email": "a" * 250 + "@x.org"}, "email"),
        ({"postal_code": "9" * 21}, "postal_code"),
        ({"address_line": "x" * 201}, "address_line"),
        ({"emergency_contact_name": ""}, "emergency_contact_name"),
        ({"emergency_contact_phone": ""}, "emergency_contact_phone"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    world: World, signed_in: Any, change: dict[str, Any], field: str
) -> None:
    response = _post(signed_in("program_admin"), {**BODY, **change})
    assert response.status_code == 422
    assert field in _fields(response)
    assert not Patient.objects.filter(family_name="Lopez").exists()


@pytest.mark.parametrize("missing", ["notice_given", "consented", "episode_kind"])
def test_a_missing_confirmation_or_kind_is_refused(world: World, signed_in: Any, missing: str) -> None:
    response = _post(signed_in("program_admin"), {k: v for k, v in BODY.items() if k != missing})
    assert _fields(response) == [missing]


def test_a_relationship_without_a_contact_name_is_refused(world: World, signed_in: Any) -> None:
    body = {**BODY, "emergency_contact_name": "", "emergency_contact_phone": ""}
    assert "emergency_contact_name" in _fields(_post(signed_in("program_admin"), body))


def test_spaces_around_an_email_are_dropped(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "email": "  maria@example.org "})
    assert Patient.objects.get(pk=response.json()["id"]).email == "maria@example.org"


# --- Readmission keeps or changes the kind -------------------------------------------------------------


def test_readmission_keeps_the_last_kind_unless_told(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    p = _registered(signed_in)
    client.post(f"/api/v1/patients/{p.pk}/discharge", json.dumps({"reason": "left"}), "application/json")
    body = json.dumps({"notice_given": True, "consented": True})
    response = client.post(f"/api/v1/patients/{p.pk}/readmit", body, "application/json")
    assert response.json()["kind"] == "counseling"


def test_readmission_takes_a_new_kind(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    p = _registered(signed_in)
    client.post(f"/api/v1/patients/{p.pk}/discharge", json.dumps({"reason": "left"}), "application/json")
    body = json.dumps({"episode_kind": "obot", "notice_given": True, "consented": True})
    assert client.post(f"/api/v1/patients/{p.pk}/readmit", body, "application/json").json()["kind"] == "obot"


def test_readmission_with_an_unknown_kind_is_refused(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    p = _registered(signed_in)
    client.post(f"/api/v1/patients/{p.pk}/discharge", json.dumps({"reason": "left"}), "application/json")
    body = json.dumps({"episode_kind": "detox", "notice_given": True, "consented": True})
    response = client.post(f"/api/v1/patients/{p.pk}/readmit", body, "application/json")
    assert response.status_code == 422


# --- Who sees the protected fields (page and API) -------------------------------------------------------


def test_the_registering_counselor_sees_the_extras_in_the_api(world: World, signed_in: Any) -> None:
    p = _registered(signed_in, "counselor")
    body = signed_in("counselor").get(f"/api/v1/patients/{p.pk}").json()
    assert (body["address"]["city"], body["email"], body["emergency_contact"]["name"]) == (
        "Riverside",
        "maria@example.org",
        "Ana Lopez",
    )


def _alice_with_extras(world: World) -> Patient:
    a = world.alice
    a.address_line, a.city, a.region, a.postal_code = "12 Elm St", "Riverside", "CA", "92501"
    a.email, a.emergency_contact_name = "alicia@example.org", "Rosa Zamorano"
    a.emergency_contact_relationship, a.emergency_contact_phone = "sister", "555-0199"
    a.save()
    return a


LEAKS = ["12 Elm St", "92501", "alicia@example.org", "Rosa Zamorano", "555-0199"]


@pytest.mark.parametrize("role", ["peer_specialist", "auditor"])
@pytest.mark.parametrize("path", ["/api/v1/patients/{p}", "/patients/{p}/", "/fhir/R4/Patient/{p}"])
def test_peers_and_auditors_never_see_the_address_email_or_contact(
    world: World, signed_in: Any, role: str, path: str
) -> None:
    a = _alice_with_extras(world)
    body = signed_in(role).get(path.format(p=a.pk)).content.decode()
    assert [t for t in LEAKS if t in body] == []


@pytest.mark.parametrize("text", LEAKS)
def test_a_nurse_on_the_team_sees_them_on_the_patient_page(world: World, signed_in: Any, text: str) -> None:
    a = _alice_with_extras(world)
    assert text in signed_in("nurse").get(f"/patients/{a.pk}/").content.decode()


def test_the_patient_page_names_the_kind_of_care(world: World, signed_in: Any) -> None:
    p = _registered(signed_in, "counselor")
    assert "Counseling" in signed_in("counselor").get(f"/patients/{p.pk}/").content.decode()


# --- The page --------------------------------------------------------------------------------------------


def _page_body(**change: Any) -> dict[str, Any]:
    body = {**BODY, "notice_given": "on", "consented": "on", **change}
    return {k: v for k, v in body.items() if v is not None}


def test_the_page_registers_with_the_extras(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post("/patients/new/", _page_body())
    assert response.status_code == 302
    assert Patient.objects.get(family_name="Lopez").email == "maria@example.org"


@pytest.mark.parametrize("field", ["notice_given", "consented"])
def test_the_page_refuses_an_unticked_confirmation(world: World, signed_in: Any, field: str) -> None:
    response = signed_in("program_admin").post("/patients/new/", _page_body(**{field: None}))
    assert response.status_code == 422
    assert field in response.context["form"].errors


def test_the_page_names_a_bad_email(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post("/patients/new/", _page_body(email="maria"))
    assert response.context["form"].errors["email"] == ["give an email address like name@example.org"]


def test_the_page_asks_for_the_kind_and_both_confirmations(world: World, signed_in: Any) -> None:
    body = signed_in("program_admin").get("/patients/new/").content.decode()
    assert [n for n in ("episode_kind", "notice_given", "consented") if f'name="{n}"' not in body] == []


def test_the_page_in_spanish_asks_for_consent(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    client.cookies["django_language"] = "es"
    body = client.get("/patients/new/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "La persona da su consentimiento para el tratamiento" in body


def test_the_page_in_spanish_names_a_missing_consent(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    client.cookies["django_language"] = "es"
    response = client.post("/patients/new/", _page_body(consented=None), HTTP_ACCEPT_LANGUAGE="es")
    assert "consentimiento" in " ".join(response.context["form"].errors["consented"])


# --- The CLI ----------------------------------------------------------------------------------------------


def test_the_cli_refuses_registration_without_consent(world: World) -> None:
    body = json.dumps({**BODY, "consented": False})
    with pytest.raises(CommandError) as exc:
        call_command("register_patient", "--by", "r-program_admin", "--data", body, stdout=io.StringIO())
    assert (exc.value.returncode, str(exc.value).split(":")[0]) == (2, "consented")


def test_the_cli_registers_with_the_extras(world: World) -> None:
    out = io.StringIO()
    call_command(
        "register_patient", "--by", "r-program_admin", "--data", json.dumps(BODY), "--json", stdout=out
    )
    assert Patient.objects.get(pk=json.loads(out.getvalue())["id"]).postal_code == "92501"


def test_the_episodes_page_readmits_with_a_new_kind(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    p = _registered(signed_in)
    client.post(f"/api/v1/patients/{p.pk}/discharge", json.dumps({"reason": "left"}), "application/json")
    client.post(
        f"/patients/{p.pk}/readmit/",
        {
            "episode_kind": "otp",
            "confirmed": "on",
            "notice_given": "on",
            "consented": "on",
        },
    )
    assert Enrollment.objects.filter(patient=p, status="active").get().kind == "otp"


def test_the_episodes_page_names_the_kind_of_care(world: World, signed_in: Any) -> None:
    p = _registered(signed_in)
    assert "Counseling" in signed_in("program_admin").get(f"/patients/{p.pk}/episodes/").content.decode()
