"""Registration at the front desk and the care team (issue #18, journey 0): one service under the page and
the API; the access policy decides who may; every write audited; bad input names its field; a likely
duplicate is shown before a second record is made."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember, Enrollment, Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db
NOON_CHICAGO = "2026-03-10T18:00:00+00:00"

BODY = {
    "given_name": "Maria",
    "family_name": "Lopez",
    "preferred_name": "Mari",
    "pronouns": "she/her",
    "date_of_birth": "1988-04-02",
    "gender": "female",
    "birth_sex": "F",
    "phone": "555-0100",
    # issue #18: the kind of care and the two confirmations at admission are required
    "episode_kind": "otp",
    "notice_given": True,
    "consented": True,
}


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/patients", json.dumps(body), content_type="application/json")


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_a_program_admin_registers_a_patient_through_the_api(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), BODY)
    assert response.status_code == 201
    patient = Patient.objects.get(pk=response.json()["id"])
    assert (patient.given_name, patient.family_name, patient.preferred_name) == ("Maria", "Lopez", "Mari")
    assert (patient.pronouns, patient.date_of_birth) == ("she/her", date(1988, 4, 2))
    assert (patient.gender, patient.birth_sex, patient.phone) == ("female", "F", "555-0100")
    assert patient.program == world.riverside


def test_registration_opens_an_active_episode_of_care(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "started_on": "2026-02-01"})
    enrollment = Enrollment.objects.get(patient_id=response.json()["id"])
    assert (enrollment.status, enrollment.started_on) == ("active", date(2026, 2, 1))


def test_the_episode_starts_today_in_the_program_s_time_zone(world: World, signed_in: Any) -> None:
    world.riverside.time_zone = "America/Chicago"
    world.riverside.save()
    with time_machine.travel("2026-03-11T03:30:00+00:00", tick=False):  # 21:30 on the 10th in Chicago
        response = _post(signed_in("program_admin"), BODY)
        assert Enrollment.objects.get(patient_id=response.json()["id"]).started_on == date(2026, 3, 10)


def test_a_record_number_is_generated_when_none_is_given(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), BODY)
    assert response.json()["record_number"] == "RIVERSID-00003"


def test_an_entered_record_number_is_kept(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "record_number": "RR-7000"})
    assert response.json()["record_number"] == "RR-7000"


def test_a_record_number_already_used_in_the_program_is_refused(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "record_number": "rr-0001"})
    assert response.status_code == 422
    assert _fields(response) == ["record_number"]


def test_registration_is_audited(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), BODY)
    pid = response.json()["id"]
    rows = AuditEvent.objects.filter(patient_id=pid, action="create")
    assert sorted(rows.values_list("target_type", flat=True)) == ["enrollment", "patient"]


def test_a_clinician_who_registers_someone_joins_their_care_team(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    response = _post(client, BODY)
    assert response.status_code == 201
    assert CareTeamMember.objects.filter(patient_id=response.json()["id"], user=world.staff["nurse"]).exists()
    assert client.get(f"/api/v1/patients/{response.json()['id']}").status_code == 200


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "patient", "self_guided"])
def test_other_roles_may_not_register(world: World, signed_in: Any, role: str) -> None:
    before = Patient.objects.count()
    response = _post(signed_in(role), BODY)
    assert response.status_code == 403
    assert Patient.objects.count() == before


def test_a_refused_registration_is_audited(world: World, signed_in: Any) -> None:
    _post(signed_in("peer_specialist"), BODY)
    assert AuditEvent.objects.filter(
        action="denied", target_type="patient", actor_role="peer_specialist"
    ).exists()


def test_registration_in_another_program_is_refused(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "program": "lakeside"})
    assert response.status_code == 422
    assert _fields(response) == ["program"]
    assert not Patient.objects.filter(family_name="Lopez").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"family_name": "   "}, "family_name"),
        ({"given_name": "x" * 101}, "given_name"),
        ({"date_of_birth": ""}, "date_of_birth"),
        ({"date_of_birth": "1988-02-30"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth"),
        ({"gender": "woman"}, "gender"),
        ({"birth_sex": "X"}, "birth_sex"),
        ({"record_number": "has space"}, "record_number"),
        ({"started_on": "1980-01-01"}, "started_on"),
        ({"pronouns": 7}, "pronouns"),
    ],
)
def test_bad_input_names_the_field(world: World, signed_in: Any, change: dict[str, Any], field: str) -> None:
    before = Patient.objects.count()
    response = _post(signed_in("program_admin"), {**BODY, **change})
    assert response.status_code == 422
    assert _fields(response) == [field]
    assert Patient.objects.count() == before


def test_every_bad_field_is_named_at_once(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "given_name": "", "date_of_birth": "soon"})
    assert _fields(response) == ["given_name", "date_of_birth"]


def test_a_body_that_is_not_an_object_is_refused(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post("/api/v1/patients", "[1]", content_type="application/json")
    assert response.status_code == 422
    assert _fields(response) == ["body"]


def test_a_likely_duplicate_is_refused_until_confirmed(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    _post(client, BODY)
    second = _post(client, {**BODY, "given_name": "MARIA", "preferred_name": ""})
    assert second.status_code == 422
    assert _fields(second) == ["not_a_duplicate"]
    assert Patient.objects.filter(family_name="Lopez").count() == 1


def test_a_confirmed_different_person_with_the_same_name_is_registered(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    _post(client, BODY)
    second = _post(client, {**BODY, "not_a_duplicate": True})
    assert second.status_code == 201
    assert Patient.objects.filter(family_name="Lopez").count() == 2


def test_the_same_name_in_another_program_is_not_a_duplicate(world: World, signed_in: Any) -> None:
    charlie = {**BODY, "given_name": "Charlotte", "family_name": "Vandersloot", "date_of_birth": "1990-05-17"}
    assert _post(signed_in("program_admin"), charlie).status_code == 201


# --- The page ---------------------------------------------------------------------------------------------


def test_the_front_desk_page_registers_and_opens_the_record(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    response = client.post("/patients/new/", BODY)
    assert response.status_code == 302
    patient = Patient.objects.get(family_name="Lopez")
    assert response["Location"].startswith(f"/patients/{patient.pk}/")


def test_the_page_names_a_missing_field(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post("/patients/new/", {**BODY, "date_of_birth": ""})
    assert response.status_code == 422
    assert response.context["form"].errors["date_of_birth"] == ["this is required"]


def test_the_page_shows_the_duplicate_question(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    client.post("/patients/new/", BODY)
    response = client.post("/patients/new/", BODY)
    assert response.status_code == 422
    assert 'name="not_a_duplicate"' in response.content.decode()
    assert client.post("/patients/new/", {**BODY, "not_a_duplicate": "on"}).status_code == 302


def test_the_page_in_spanish(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    client.cookies["django_language"] = "es"
    body = client.get("/patients/new/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Registrar a un paciente" in body
    assert "Fecha de nacimiento" in body


@pytest.mark.parametrize("role", ["peer_specialist", "auditor"])
def test_the_page_is_refused_to_roles_that_do_not_register(world: World, signed_in: Any, role: str) -> None:
    assert signed_in(role).get("/patients/new/").status_code == 403


# --- The care team ---------------------------------------------------------------------------------------


def test_a_program_admin_puts_a_nurse_on_a_care_team(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    nurse = world.staff["nurse"]
    response = client.post(
        f"/api/v1/patients/{world.bob.pk}/care-team", {"user_id": nurse.pk}, content_type="application/json"
    )
    assert response.status_code == 201
    assert signed_in("nurse").get(f"/api/v1/patients/{world.bob.pk}").status_code == 200


def test_taking_someone_off_the_team_ends_their_access_at_once(world: World, signed_in: Any) -> None:
    nurse_client = signed_in("nurse")
    assert nurse_client.get(f"/api/v1/patients/{world.alice.pk}").status_code == 200
    nurse = world.staff["nurse"]
    response = signed_in("program_admin").delete(f"/api/v1/patients/{world.alice.pk}/care-team/{nurse.pk}")
    assert response.status_code == 204
    assert nurse_client.get(f"/api/v1/patients/{world.alice.pk}").status_code == 404


def test_care_team_changes_are_audited(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    nurse = world.staff["nurse"]
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["prescriber"])  # stays (care_gap)
    client.post(
        f"/api/v1/patients/{world.bob.pk}/care-team", {"user_id": nurse.pk}, content_type="application/json"
    )
    client.delete(f"/api/v1/patients/{world.bob.pk}/care-team/{nurse.pk}")
    rows = AuditEvent.objects.filter(patient_id=world.bob.pk, target_type="care_team")
    assert sorted(rows.values_list("action", flat=True)) == ["create", "delete"]


def test_staff_of_another_program_cannot_join_the_team(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post(
        f"/api/v1/patients/{world.bob.pk}/care-team",
        {"user_id": world.lakeside_nurse.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _fields(response) == ["user_id"]


@pytest.mark.parametrize("role", ["auditor", "program_admin"])
def test_an_auditor_or_admin_is_never_a_team_member(world: World, signed_in: Any, role: str) -> None:
    response = signed_in("program_admin").post(
        f"/api/v1/patients/{world.bob.pk}/care-team",
        {"user_id": world.staff[role].pk},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_a_nurse_may_not_change_a_care_team(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/care-team",
        {"user_id": world.staff["counselor"].pk},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_the_care_team_page_adds_and_removes(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    nurse = world.staff["nurse"]
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["prescriber"])  # stays (care_gap)
    assert client.post(f"/patients/{world.bob.pk}/care-team/add/", {"user_id": nurse.pk}).status_code == 302
    assert CareTeamMember.objects.filter(patient=world.bob, user=nurse).exists()
    assert client.post(f"/patients/{world.bob.pk}/care-team/{nurse.pk}/remove/").status_code == 302
    assert not CareTeamMember.objects.filter(patient=world.bob, user=nurse).exists()


# --- One URL per action (issue #17): adding and taking off each post to their own URL ---------------------


def test_the_care_team_page_posts_each_action_to_its_own_url(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    nurse = world.staff["nurse"]
    client.post(f"/patients/{world.bob.pk}/care-team/add/", {"user_id": nurse.pk})
    page = client.get(f"/patients/{world.bob.pk}/care-team/").content.decode()
    assert f'action="/patients/{world.bob.pk}/care-team/{nurse.pk}/remove/"' in page
    assert 'name="remove"' not in page


def test_the_care_team_page_refuses_a_post(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    response = signed_in("program_admin").post(f"/patients/{world.bob.pk}/care-team/", {"user_id": nurse.pk})
    assert response.status_code == 405
    assert not CareTeamMember.objects.filter(patient=world.bob, user=nurse).exists()


def test_the_add_url_does_not_remove(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    nurse = world.staff["nurse"]
    client.post(f"/patients/{world.bob.pk}/care-team/add/", {"user_id": nurse.pk})
    response = client.post(f"/patients/{world.bob.pk}/care-team/add/", {"remove": nurse.pk})
    assert response.status_code == 422
    assert CareTeamMember.objects.filter(patient=world.bob, user=nurse).exists()
    assert not AuditEvent.objects.filter(target_type="care_team", reason="removed").exists()


def test_the_remove_url_does_not_add(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    nurse = world.staff["nurse"]
    response = client.post(f"/patients/{world.bob.pk}/care-team/{nurse.pk}/remove/", {"user_id": nurse.pk})
    assert response.status_code == 422
    assert not CareTeamMember.objects.filter(patient=world.bob, user=nurse).exists()


# --- The CLI ----------------------------------------------------------------------------------------------


def _keel(*args: str) -> tuple[int, str, str]:
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


def test_the_cli_registers_through_the_same_service(world: World) -> None:
    code, out, _ = _keel("register_patient", "--by", "r-program_admin", "--data", json.dumps(BODY), "--json")
    assert code == 0
    patient = Patient.objects.get(pk=json.loads(out)["id"])
    assert (patient.family_name, patient.program.slug) == ("Lopez", "riverside")
    assert AuditEvent.objects.filter(patient_id=patient.pk, target_type="patient", action="create").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "nobody", "--data", "{}"], "--by: "),
        (["--by", "r-program_admin", "--data", "{"], "--data: "),
        (["--by", "r-program_admin", "--data", "[]"], "--data: "),
        (["--by", "r-program_admin", "--data", json.dumps({**BODY, "date_of_birth": ""})], "date_of_birth: "),
    ],
)
def test_the_cli_names_bad_input_and_exits_2(world: World, args: list[str], message: str) -> None:
    code, _, error = _keel("register_patient", *args)
    assert code == 2
    assert error.startswith(message)
    assert not Patient.objects.filter(family_name="Lopez").exists()


def test_the_cli_refuses_a_role_that_does_not_register(world: World) -> None:
    code, _, _ = _keel("register_patient", "--by", "r-auditor", "--data", json.dumps(BODY))
    assert code == 2
