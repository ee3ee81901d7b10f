"""Issue #18: a patient's contact details and preferred language change after registration, by the front
desk's roles (program admins; counselors, nurses and prescribers of the care team), on the page and the API;
a wrong field is named; the change is audited by field name, never value; the patient's account follows the
language."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine

from keel.audit.models import AuditEvent
from keel.patients.models import Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db
NOW = "2026-03-10T16:00:00+00:00"


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _patch(client: Any, patient: Any, body: dict[str, Any]) -> Any:
    return client.patch(
        f"/api/v1/patients/{patient.pk}/contact", json.dumps(body), content_type="application/json"
    )


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("role", ["counselor", "nurse", "prescriber", "program_admin"])
def test_the_front_desk_roles_change_the_phone(world: World, signed_in: Any, role: str) -> None:
    assert _patch(signed_in(role), world.alice, {"phone": "555-0199"}).status_code == 200


@pytest.mark.parametrize("role", ["counselor", "nurse", "prescriber", "program_admin"])
def test_the_new_phone_is_kept(world: World, signed_in: Any, role: str) -> None:
    _patch(signed_in(role), world.alice, {"phone": "555-0199"})
    assert Patient.objects.get(pk=world.alice.pk).phone == "555-0199"


@pytest.mark.parametrize(("role", "status"), [("patient", 403), ("peer_specialist", 404), ("auditor", 404)])
def test_other_roles_cannot_change_contact_details(
    world: World, signed_in: Any, role: str, status: int
) -> None:
    assert _patch(signed_in(role), world.alice, {"phone": "555-0199"}).status_code == status


def test_a_refused_change_writes_nothing(world: World, signed_in: Any) -> None:
    _patch(signed_in("patient"), world.alice, {"phone": "555-0199"})
    assert Patient.objects.get(pk=world.alice.pk).phone == ""


def test_a_nurse_cannot_change_someone_off_her_team(world: World, signed_in: Any) -> None:
    assert _patch(signed_in("nurse"), world.bob, {"phone": "555-0199"}).status_code == 404


def test_another_programs_patient_is_not_found(world: World, signed_in: Any) -> None:
    assert _patch(signed_in("program_admin"), world.charlie, {"phone": "555-0199"}).status_code == 404


def test_the_response_names_the_changed_fields(world: World, signed_in: Any) -> None:
    response = _patch(signed_in("nurse"), world.alice, {"phone": "555-0199", "pronouns": "she/her"})
    assert response.json()["changed"] == ["pronouns", "phone"]


def test_only_the_fields_given_change(world: World, signed_in: Any) -> None:
    Patient.objects.filter(pk=world.alice.pk).update(city="Albany")
    _patch(signed_in("nurse"), world.alice, {"phone": "555-0199"})
    assert Patient.objects.get(pk=world.alice.pk).city == "Albany"


def test_the_audit_names_the_fields_not_their_values(world: World, signed_in: Any) -> None:
    _patch(signed_in("nurse"), world.alice, {"phone": "555-0199"})
    row = AuditEvent.objects.get(reason="contact details changed")
    assert (row.detail, "555-0199" in json.dumps(row.detail) + row.reason) == ({"changed": ["phone"]}, False)


def test_nothing_different_writes_no_audit_row(world: World, signed_in: Any) -> None:
    _patch(signed_in("nurse"), world.alice, {"phone": ""})
    assert not AuditEvent.objects.filter(reason="contact details changed").exists()


def test_a_bad_email_is_named(world: World, signed_in: Any) -> None:
    response = _patch(signed_in("nurse"), world.alice, {"email": "not an email"})
    assert (response.status_code, _fields(response)) == (422, ["email"])


def test_an_unknown_language_is_named(world: World, signed_in: Any) -> None:
    response = _patch(signed_in("nurse"), world.alice, {"preferred_language": "fr"})
    assert (response.status_code, _fields(response)) == (422, ["preferred_language"])


def test_a_blank_language_is_named(world: World, signed_in: Any) -> None:
    assert _fields(_patch(signed_in("nurse"), world.alice, {"preferred_language": ""})) == [
        "preferred_language"
    ]


def test_a_field_not_changed_here_is_named(world: World, signed_in: Any) -> None:
    response = _patch(signed_in("nurse"), world.alice, {"date_of_birth": "1980-01-01"})
    assert (response.status_code, _fields(response)) == (422, ["date_of_birth"])


def test_a_too_long_phone_is_named(world: World, signed_in: Any) -> None:
    assert _fields(_patch(signed_in("nurse"), world.alice, {"phone": "5" * 41})) == ["phone"]


def test_a_number_for_text_is_named(world: World, signed_in: Any) -> None:
    assert _fields(_patch(signed_in("nurse"), world.alice, {"city": 12})) == ["city"]


def test_an_emergency_contact_needs_a_phone(world: World, signed_in: Any) -> None:
    response = _patch(signed_in("nurse"), world.alice, {"emergency_contact_name": "Ana"})
    assert _fields(response) == ["emergency_contact_phone"]


def test_one_bad_field_writes_none_of_the_others(world: World, signed_in: Any) -> None:
    _patch(signed_in("nurse"), world.alice, {"phone": "555-0199", "email": "nope"})
    assert Patient.objects.get(pk=world.alice.pk).phone == ""


def test_a_stale_version_is_refused(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    version = Patient.objects.get(pk=world.alice.pk).version
    _patch(client, world.alice, {"phone": "555-0100", "version": version})
    assert _patch(client, world.alice, {"phone": "555-0199", "version": version}).status_code == 409


def test_the_patients_account_follows_the_language(world: World, signed_in: Any) -> None:
    _patch(signed_in("nurse"), world.alice, {"preferred_language": "es"})
    world.alice.user.refresh_from_db()
    assert world.alice.user.preferred_language == "es"


def test_the_page_shows_the_current_details(world: World, signed_in: Any) -> None:
    Patient.objects.filter(pk=world.alice.pk).update(phone="555-0123")
    assert (
        'value="555-0123"' in signed_in("nurse").get(f"/patients/{world.alice.pk}/contact/").content.decode()
    )


def test_the_page_saves_the_details(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    body = {"phone": "555-0199", "preferred_language": "es", "city": "Troy", "version": "1"}
    assert client.post(f"/patients/{world.bob.pk}/contact/", body).status_code == 302
    assert Patient.objects.get(pk=world.bob.pk).city == "Troy"


def test_the_page_names_a_bad_email(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    response = client.post(
        f"/patients/{world.alice.pk}/contact/", {"email": "nope", "preferred_language": "en"}
    )
    assert (response.status_code, "give an email address like" in response.content.decode()) == (422, True)


def test_the_page_is_closed_to_a_patient(world: World, signed_in: Any) -> None:
    assert signed_in("patient").get(f"/patients/{world.alice.pk}/contact/").status_code == 403


def test_the_page_is_closed_to_a_peer_specialist(world: World, signed_in: Any) -> None:
    assert signed_in("peer_specialist").get(f"/patients/{world.alice.pk}/contact/").status_code == 404


def test_the_page_in_spanish(world: World, signed_in: Any) -> None:
    body = signed_in("nurse").get(f"/patients/{world.alice.pk}/contact/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Guardar los datos de contacto" in body.content.decode()


def test_the_page_names_a_bad_email_in_spanish(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    response = client.post(
        f"/patients/{world.alice.pk}/contact/",
        {"email": "nope", "preferred_language": "en"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "correo" in response.content.decode().lower()


def test_opening_the_page_is_audited_as_a_read(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    before = AuditEvent.objects.filter(action="read", patient_id=world.alice.pk).count()
    client.get(f"/patients/{world.alice.pk}/contact/")
    assert AuditEvent.objects.filter(action="read", patient_id=world.alice.pk).count() == before + 1


def test_the_cli_changes_the_phone(world: World) -> None:
    from django.core.management import call_command

    call_command("update_patient_contact", by="r-nurse", patient=world.alice.pk, data='{"phone": "555-0142"}')
    assert Patient.objects.get(pk=world.alice.pk).phone == "555-0142"


def test_the_cli_names_a_bad_field_and_exits_2(world: World) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as exc:
        call_command("update_patient_contact", by="r-nurse", patient=world.alice.pk, data='{"email": "x"}')
    assert (exc.value.returncode, str(exc.value).startswith("email:")) == (2, True)


def test_the_cli_does_not_find_another_programs_patient(world: World) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as exc:
        call_command("update_patient_contact", by="r-nurse", patient=world.charlie.pk, data='{"phone": "1"}')
    assert exc.value.returncode == 2
