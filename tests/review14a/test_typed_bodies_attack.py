"""Review 14a: hostile and ordinary input against session 14's typed bodies (RegistrationIn, ContactIn,
DischargeIn, ReadmissionIn, CareTeamsIn, InvitationIn, ProgramSettingsIn), through the API as an integration
engineer would post it. Each test asserts the correct behaviour: a failing test documents a hole."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from tests.conftest import World, audit_count, sign_in

API = "/api/v1"


def _post(c: Client, path: str, body: Any, method: str = "post") -> Any:
    return getattr(c, method)(API + path, data=json.dumps(body), content_type="application/json")


def _fields(r: Any) -> list[str]:
    body = r.json()
    errs = body.get("errors") or body.get("detail") or []
    out = []
    if isinstance(errs, dict):
        return list(errs)
    for e in errs:
        if isinstance(e, dict):
            out.append(str(e.get("field") or ".".join(str(x) for x in e.get("loc", []))))
    return out


def _admin(world: World) -> Client:
    return sign_in(Client(), world.staff["program_admin"])


def _reg(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_name": "Test",
        "family_name": "Person",
        "date_of_birth": "1985-03-04",
        "episode_kind": "otp",
        "notice_given": True,
        "consented": True,
    }
    body.update(over)
    return body


def _patient_count() -> int:
    from keel.patients.models import Patient

    return Patient.objects.count()


# --- Registration ------------------------------------------------------------------------------------


def test_registration_baseline_is_accepted(world: World) -> None:
    r = _post(_admin(world), "/patients", _reg())
    assert r.status_code == 201, r.content


@pytest.mark.parametrize(
    "over,field",
    [
        ({"given_name": ["Ann"]}, "given_name"),
        ({"given_name": {"x": 1}}, "given_name"),
        ({"given_name": None}, "given_name"),
        ({"given_name": "   "}, "given_name"),
        ({"given_name": "x" * 100_000}, "given_name"),
        ({"date_of_birth": 19850304}, "date_of_birth"),  # a number where a date string belongs
        ({"date_of_birth": "1899-12-31"}, "date_of_birth"),
        ({"date_of_birth": "3000-01-01"}, "date_of_birth"),
        ({"date_of_birth": True}, "date_of_birth"),
        ({"notice_given": 1}, "notice_given"),  # a number is not the boolean true
        ({"notice_given": "yes"}, "notice_given"),
        ({"consented": False}, "consented"),
        ({"gender": ["male"]}, "gender"),
        ({"episode_kind": "OTP"}, "episode_kind"),
        ({"email": "a@b"}, "email"),
        ({"email": ["a@b.org"]}, "email"),
        ({"email": "\uff41@example.org"}, "email"),  # a full-width confusable local part
        ({"record_number": 12345}, "record_number"),
        ({"phone": 5551234567}, "phone"),
        ({"not_a_duplicate": "maybe"}, "not_a_duplicate"),
        ({"program": ["riverside"]}, "program"),
        ({"program": "lakeside"}, "program"),
        ({"started_on": "1984-01-01"}, "started_on"),  # before the birth date
        ({"colour": "blue"}, "colour"),  # not a field
        ({"preferred_language": "fr"}, "preferred_language"),
    ],
)
def test_registration_bad_field_is_422_naming_it_and_writes_nothing(
    world: World, over: dict[str, Any], field: str
) -> None:
    c = _admin(world)
    before = _patient_count()
    r = _post(c, "/patients", _reg(**over))
    assert r.status_code == 422, (over, r.status_code, r.content[:300])
    assert field in _fields(r), (over, r.content[:300])
    assert _patient_count() == before


@pytest.mark.parametrize("body", [[], "x", None, 3, [_reg()]])
def test_registration_body_not_an_object(world: World, body: Any) -> None:
    r = _post(_admin(world), "/patients", body)
    assert r.status_code == 422
    assert "body" in _fields(r)


def test_registration_nan_number_as_text(world: World) -> None:
    """A bare NaN token (not JSON) where a name belongs must not become the patient named "NaN"."""
    c = _admin(world)
    r = c.post(
        API + "/patients",
        data=json.dumps(_reg()).replace('"Test"', "NaN"),
        content_type="application/json",
    )
    assert r.status_code == 422
    assert "given_name" in _fields(r)


@pytest.mark.parametrize("role", ["patient", "peer_specialist", "auditor"])
def test_registration_refused_role_before_fields(world: World, role: str) -> None:
    c = sign_in(Client(), world.user(role))
    before, audits = _patient_count(), audit_count()
    r = _post(c, "/patients", {"given_name": ["x"], "bogus": 1})
    assert r.status_code in (403, 404), r.content
    assert _patient_count() == before
    assert audit_count() > audits


def test_registration_other_programs_admin_cannot_register_into_riverside(world: World) -> None:
    from keel.accounts import services

    admin, _ = services.create_user(
        username="l-admin", role="program_admin", password="x" * 20, program_slug="lakeside"
    )
    r = _post(sign_in(Client(), admin), "/patients", _reg(program="riverside"))
    assert r.status_code == 422 and "program" in _fields(r)


# --- Contact -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,field",
    [
        ({"version": "²"}, "version"),  # str.isdigit() is true, int() refuses it
        ({"version": "\u0661"}, "version"),  # an Arabic-Indic digit: text, not an integer
        ({"version": "3"}, "version"),  # a number as a string (schema: integer)
        ({"version": True}, "version"),
        ({"version": 1.5}, "version"),
        ({"phone": ["5551234567"]}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"email": "not an email"}, "email"),
        ({"preferred_language": None}, "preferred_language"),
        ({"given_name": "Mallory"}, "given_name"),  # not changed here
        ({"date_of_birth": "1990-01-01"}, "date_of_birth"),
        ({"emergency_contact_name": "Pat"}, "emergency_contact_phone"),
        ({"pronouns": "x" * 41}, "pronouns"),
    ],
)
def test_contact_bad_field_is_422_naming_it(world: World, body: dict[str, Any], field: str) -> None:
    from keel.patients.models import Patient

    c = _admin(world)
    before = Patient.objects.get(pk=world.alice.pk).version
    r = _post(c, f"/patients/{world.alice.pk}/contact", body, method="patch")
    assert r.status_code == 422, (body, r.status_code, r.content[:300])
    assert field in _fields(r)
    assert Patient.objects.get(pk=world.alice.pk).version == before


@pytest.mark.parametrize(
    "role,target",
    [("peer_specialist", "alice"), ("auditor", "alice"), ("patient", "bob"), ("program_admin", "charlie")],
)
def test_contact_refused_caller_before_fields(world: World, role: str, target: str) -> None:
    c = sign_in(Client(), world.user(role))
    patient = getattr(world, target)
    audits = audit_count()
    r = _post(c, f"/patients/{patient.pk}/contact", {"given_name": ["x"], "version": "²"}, method="patch")
    assert r.status_code in (403, 404), (role, r.status_code, r.content[:300])
    assert audit_count() > audits


# --- Discharge and readmission -----------------------------------------------------------------------


_PW = "correct horse battery staple 42"


def _active(patient: Any) -> Any:
    from keel.patients.models import Enrollment

    return Enrollment.objects.filter(patient=patient, status="active").first()


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "reason"),
        ({"reason": None}, "reason"),
        ({"reason": ["left"]}, "reason"),
        ({"reason": "left", "ended_on": "2025-12-31"}, "ended_on"),  # before the episode began (2026-01-05)
        ({"reason": "left", "ended_on": "2999-01-01"}, "ended_on"),
        ({"reason": "left", "ended_on": 20260301}, "ended_on"),  # a number
        ({"reason": "left", "ended_on": "2026-03-01T23:30:00-05:00"}, "ended_on"),
        (
            {"reason": "left", "recipient_name": "Lakeside"},
            "recipient_name",
        ),  # a transfer part, not a transfer
        ({"reason": "left", "resaon": "x"}, "resaon"),
        ({"reason": "transferred"}, "recipient_name"),
        (
            {"reason": "transferred", "consent": ["1"], "recipient_name": "Lakeside Health", "password": _PW},
            "consent",
        ),
        (
            {
                "reason": "transferred",
                "consent": {"id": 1},
                "recipient_name": "Lakeside Health",
                "password": _PW,
            },
            "consent",
        ),
        (
            {
                "reason": "transferred",
                "consent": 999999,
                "recipient_name": "Lakeside Health",
                "password": _PW,
            },
            "consent",
        ),
        (
            {"reason": "transferred", "consent": 1, "recipient_name": ["Lakeside"], "password": _PW},
            "recipient_name",
        ),
    ],
)
def test_discharge_bad_body_is_422_and_episode_stays(world: World, body: dict[str, Any], field: str) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    r = _post(c, f"/patients/{world.alice.pk}/discharge", body)
    assert r.status_code == 422, (body, r.status_code, r.content[:300])
    assert field in _fields(r), (body, r.content[:300])
    assert _active(world.alice) is not None


def test_discharge_twice_second_is_422(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    assert _post(c, f"/patients/{world.alice.pk}/discharge", {"reason": "left"}).status_code == 200
    r = _post(c, f"/patients/{world.alice.pk}/discharge", {"reason": "left"})
    assert r.status_code == 422 and "patient" in _fields(r)


def test_discharge_transfer_with_revoked_consent_writes_nothing(world: World) -> None:
    from keel.sharing.models import Disclosure

    c = sign_in(Client(), world.staff["nurse"])
    before = Disclosure.objects.count()
    r = _post(
        c,
        f"/patients/{world.alice.pk}/discharge",
        {
            "reason": "transferred",
            "consent": 999999,
            "recipient_name": "Lakeside",
            "password": "correct horse battery staple 42",
        },
    )
    assert r.status_code == 422, r.content
    assert Disclosure.objects.count() == before
    assert _active(world.alice) is not None


@pytest.mark.parametrize(
    "role,target",
    [
        ("peer_specialist", "alice"),
        ("auditor", "alice"),
        ("patient", "alice"),
        ("nurse", "charlie"),
        ("program_admin", "charlie"),
    ],
)
def test_discharge_refused_before_fields(world: World, role: str, target: str) -> None:
    c = sign_in(Client(), world.user(role))
    patient = getattr(world, target)
    audits = audit_count()
    r = _post(c, f"/patients/{patient.pk}/discharge", {"reason": ["x"], "bogus": True})
    assert r.status_code in (403, 404), (role, r.status_code, r.content[:300])
    assert audit_count() > audits
    assert _active(patient) is not None


def test_readmit_someone_in_care_is_422(world: World) -> None:
    from keel.patients.models import Enrollment

    c = sign_in(Client(), world.staff["nurse"])
    n = Enrollment.objects.filter(patient=world.alice).count()
    r = _post(c, f"/patients/{world.alice.pk}/readmit", {"notice_given": True, "consented": True})
    assert r.status_code == 422 and "patient" in _fields(r)
    assert Enrollment.objects.filter(patient=world.alice).count() == n


@pytest.mark.parametrize(
    "body,field",
    [
        ({"notice_given": True}, "consented"),
        ({"notice_given": 1, "consented": 1}, "notice_given"),
        ({"notice_given": True, "consented": True, "started_on": "2999-01-01"}, "started_on"),
        ({"notice_given": True, "consented": True, "episode_kind": "detox"}, "episode_kind"),
        ({"notice_given": True, "consented": True, "kind": "otp"}, "kind"),
    ],
)
def test_readmit_bad_body(world: World, body: dict[str, Any], field: str) -> None:
    from keel.patients.models import Enrollment

    c = sign_in(Client(), world.staff["nurse"])
    assert _post(c, f"/patients/{world.alice.pk}/discharge", {"reason": "left"}).status_code == 200
    n = Enrollment.objects.filter(patient=world.alice).count()
    r = _post(c, f"/patients/{world.alice.pk}/readmit", body)
    assert r.status_code == 422, (body, r.status_code, r.content[:300])
    assert field in _fields(r)
    assert Enrollment.objects.filter(patient=world.alice).count() == n


def test_readmit_before_last_end_is_422(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    today = date.today()
    assert (
        _post(
            c, f"/patients/{world.alice.pk}/discharge", {"reason": "left", "ended_on": today.isoformat()}
        ).status_code
        == 200
    )
    r = _post(
        c,
        f"/patients/{world.alice.pk}/readmit",
        {"notice_given": True, "consented": True, "started_on": (today - timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 422 and "started_on" in _fields(r)


# --- Bulk care teams ---------------------------------------------------------------------------------


def _team(patient: Any, user: Any) -> bool:
    from keel.patients.models import CareTeamMember

    return CareTeamMember.objects.filter(patient=patient, user=user).exists()


@pytest.mark.parametrize(
    "ids_of",
    [
        lambda w: [w.bob.pk + 0.9],  # a float truncated to another id
        lambda w: [str(w.bob.pk)],  # a number as text
        lambda w: [True] if w.bob.pk == 1 else [float(w.bob.pk) + 0.5],
    ],
)
def test_care_teams_ids_must_be_integers(world: World, ids_of: Any) -> None:
    c = _admin(world)
    nurse = world.staff["nurse"]
    r = _post(c, "/patients/care-teams", {"patient_ids": ids_of(world), "user_id": nurse.pk})
    assert r.status_code == 422, (r.status_code, r.content[:300])
    assert "patient_ids" in _fields(r)
    assert not _team(world.bob, nurse)


@pytest.mark.parametrize("user_id", ["{pk}", "{pk}.7", True])
def test_care_teams_user_id_must_be_integer(world: World, user_id: Any) -> None:
    c = _admin(world)
    nurse = world.staff["nurse"]
    uid: Any = user_id
    if isinstance(user_id, str):
        uid = user_id.format(pk=nurse.pk)
        if "." in uid:
            uid = float(uid)
    r = _post(c, "/patients/care-teams", {"patient_ids": [world.bob.pk], "user_id": uid})
    assert r.status_code == 422, (uid, r.status_code, r.content[:300])
    assert "user_id" in _fields(r)


def test_care_teams_10000_ids_is_422(world: World) -> None:
    r = _post(_admin(world), "/patients/care-teams", {"patient_ids": list(range(1, 10_001)), "user_id": 1})
    assert r.status_code == 422 and "patient_ids" in _fields(r)


def test_care_teams_other_program_ids_refused_nothing_written(world: World) -> None:
    nurse = world.staff["nurse"]
    r = _post(
        _admin(world),
        "/patients/care-teams",
        {"patient_ids": [world.bob.pk, world.charlie.pk], "user_id": nurse.pk},
    )
    assert r.status_code == 422 and "patient_ids" in _fields(r)
    assert not _team(world.bob, nurse)


def test_care_teams_duplicate_ids_ok(world: World) -> None:
    nurse = world.staff["nurse"]
    r = _post(
        _admin(world),
        "/patients/care-teams",
        {"patient_ids": [world.bob.pk, world.bob.pk], "user_id": nurse.pk},
    )
    assert r.status_code == 200, r.content
    assert r.json()["patient_ids"] == [world.bob.pk]


def test_care_teams_nurse_refused_before_fields(world: World) -> None:
    """A nurse may not change care teams: 403/404, audited, before her body's fields are judged."""
    c = sign_in(Client(), world.staff["nurse"])
    audits = audit_count()
    r = _post(c, "/patients/care-teams", {"patient_ids": "all", "user_id": 1})
    assert r.status_code in (403, 404), (r.status_code, r.content[:300])
    assert audit_count() > audits


def test_care_teams_discharged_patient_same_as_single_route(world: World) -> None:
    """The bulk route answers a discharged patient as the one-patient route does."""
    nurse_c = sign_in(Client(), world.staff["nurse"])
    assert _post(nurse_c, f"/patients/{world.alice.pk}/discharge", {"reason": "left"}).status_code == 200
    c = _admin(world)
    peer = world.staff["peer_specialist"]
    from keel.patients.models import CareTeamMember

    CareTeamMember.objects.filter(patient=world.alice, user=peer).delete()
    single = _post(c, f"/patients/{world.alice.pk}/care-team", {"user_id": peer.pk}).status_code
    CareTeamMember.objects.filter(patient=world.alice, user=peer).delete()
    bulk = _post(c, "/patients/care-teams", {"patient_ids": [world.alice.pk], "user_id": peer.pk}).status_code
    assert (single == 201) == (bulk == 200), (single, bulk)


# --- Invitations -------------------------------------------------------------------------------------


def _invites() -> int:
    from keel.accounts.models import Invitation

    return Invitation.objects.count()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"email": "new@example.org", "role": "nurse", "first_name": ["Ann"]}, "first_name"),
        ({"email": "new@example.org", "role": "nurse", "last_name": {"a": 1}}, "last_name"),
        ({"email": "new@example.org", "role": "nurse", "first_name": True}, "first_name"),
        ({"email": "new@example.org", "role": "nurse", "first_name": 42}, "first_name"),
        ({"email": ["new@example.org"], "role": "nurse"}, "email"),
        ({"email": "new@example.org", "role": ["nurse"]}, "role"),
        ({"email": "new@example.org", "role": "superuser"}, "role"),
        ({"email": "new@example.org", "role": "patient"}, "role"),
        ({"email": "new@example.org"}, "role"),
        ({"email": "", "role": "nurse"}, "email"),
        ({"email": "new@example.org", "role": "nurse", "is_superuser": True}, "is_superuser"),
        ({"email": "new@example.org", "role": "nurse", "first_name": "x" * 151}, "first_name"),
    ],
)
def test_invitation_bad_field(world: World, body: dict[str, Any], field: str) -> None:
    n = _invites()
    r = _post(_admin(world), "/programs/riverside/invitations", body)
    assert r.status_code == 422, (body, r.status_code, r.content[:300])
    assert field in _fields(r)
    assert _invites() == n


def test_invitation_existing_staff_email_any_case(world: World) -> None:
    nurse = world.staff["nurse"]
    nurse.email = "Nurse.One@Example.org"
    nurse.save()
    r = _post(
        _admin(world), "/programs/riverside/invitations", {"email": "nurse.one@EXAMPLE.ORG", "role": "nurse"}
    )
    assert r.status_code == 422 and "email" in _fields(r)


def test_invitation_double_submit(world: World) -> None:
    c = _admin(world)
    body = {"email": "twice@example.org", "role": "counselor"}
    assert _post(c, "/programs/riverside/invitations", body).status_code == 201
    r = _post(c, "/programs/riverside/invitations", body)
    assert r.status_code == 422 and "email" in _fields(r)


@pytest.mark.parametrize(
    "role,slug",
    [
        ("nurse", "riverside"),
        ("counselor", "riverside"),
        ("auditor", "riverside"),
        ("patient", "riverside"),
        ("program_admin", "lakeside"),
    ],
)
def test_invitation_refused_before_fields(world: World, role: str, slug: str) -> None:
    c = sign_in(Client(), world.user(role))
    n, audits = _invites(), audit_count()
    r = _post(c, f"/programs/{slug}/invitations", {"email": ["x"], "role": 7, "bogus": 1})
    assert r.status_code in (403, 404), (role, r.status_code, r.content[:300])
    assert _invites() == n
    assert audit_count() > audits


# --- Program settings --------------------------------------------------------------------------------


def _settings_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "time_zone": "America/Chicago",
        "dosing_opens": "06:00",
        "dosing_closes": "11:00",
        "closure_days": [],
        "contact_phone": "555 123 4567",
        "contact_address": "1 Main St",
    }
    body.update(over)
    return body


@pytest.mark.parametrize(
    "over,field",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ["America/Chicago"]}, "time_zone"),
        ({"time_zone": None}, "time_zone"),
        ({"dosing_opens": "11:00", "dosing_closes": "06:00"}, "dosing_closes"),
        ({"dosing_opens": "06:00+02:00"}, "dosing_opens"),
        ({"dosing_opens": 6}, "dosing_opens"),  # a number where HH:MM belongs
        ({"dosing_opens": "25:00"}, "dosing_opens"),
        ({"closure_days": ["2020-01-01"]}, "closure_days"),
        ({"closure_days": ["2999-01-01"]}, "closure_days"),
        ({"closure_days": [20261225]}, "closure_days"),  # a number, not an ISO date text
        ({"closure_days": {"2026-12-25": True}}, "closure_days"),  # an object: not silently "no closures"
        ({"closure_days": 0}, "closure_days"),
        ({"closure_days": False}, "closure_days"),
        ({"contact_phone": ["555"]}, "contact_phone"),  # a list where text belongs
        ({"contact_address": {"line": "1 Main"}}, "contact_address"),
        ({"contact_phone": 5551234567}, "contact_phone"),
        ({"contact_phone": "x" * 41}, "contact_phone"),
        ({"timezone": "UTC"}, "timezone"),
    ],
)
def test_settings_bad_field(world: World, over: dict[str, Any], field: str) -> None:
    from keel.accounts.models import Program

    c = _admin(world)
    before = Program.objects.filter(slug="riverside").values().get()
    r = _post(c, "/programs/riverside/settings", _settings_body(**over), method="put")
    assert r.status_code == 422, (over, r.status_code, r.content[:300])
    assert field in _fields(r)
    assert Program.objects.filter(slug="riverside").values().get() == before


def test_settings_over_100_closure_days(world: World) -> None:
    start = date.today() + timedelta(days=1)
    days = [(start + timedelta(days=i)).isoformat() for i in range(101)]
    r = _post(_admin(world), "/programs/riverside/settings", _settings_body(closure_days=days), method="put")
    assert r.status_code == 422 and "closure_days" in _fields(r)


def test_settings_accepted_baseline(world: World) -> None:
    r = _post(_admin(world), "/programs/riverside/settings", _settings_body(), method="put")
    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    "role,slug",
    [
        ("counselor", "riverside"),
        ("nurse", "riverside"),
        ("auditor", "riverside"),
        ("patient", "riverside"),
        ("program_admin", "lakeside"),
    ],
)
def test_settings_refused_before_fields(world: World, role: str, slug: str) -> None:
    c = sign_in(Client(), world.user(role))
    audits = audit_count()
    r = _post(c, f"/programs/{slug}/settings", {"time_zone": ["x"], "bogus": 1}, method="put")
    assert r.status_code in (403, 404), (role, r.status_code, r.content[:300])
    assert audit_count() > audits


# --- OpenAPI: each published body matches what is accepted --------------------------------------------


@pytest.fixture
def openapi(world: World) -> dict[str, Any]:
    r = _admin(world).get(API + "/openapi.json")
    assert r.status_code == 200
    return r.json()


@pytest.mark.parametrize(
    "name",
    [
        "RegistrationIn",
        "ContactIn",
        "DischargeIn",
        "ReadmissionIn",
        "CareTeamsIn",
        "InvitationIn",
        "ProgramSettingsIn",
    ],
)
def test_openapi_body_is_closed_component(openapi: dict[str, Any], name: str) -> None:
    schema = openapi["components"]["schemas"][name]
    assert schema.get("additionalProperties") is False, (name, schema.get("additionalProperties"))
    assert schema["properties"]


def test_openapi_registration_required_matches_accepted(openapi: dict[str, Any]) -> None:
    schema = openapi["components"]["schemas"]["RegistrationIn"]
    assert set(schema.get("required", [])) == {
        "given_name",
        "family_name",
        "date_of_birth",
        "episode_kind",
        "notice_given",
        "consented",
    }


def test_openapi_settings_closure_days_and_discharge_consent(openapi: dict[str, Any]) -> None:
    s = openapi["components"]["schemas"]
    assert s["DischargeIn"]["properties"]["consent"]["type"] == "integer"
    assert set(s["DischargeIn"].get("required", [])) == {"reason"}
    assert s["ProgramSettingsIn"]["properties"]["closure_days"]["type"] == "array"
    # the invitation's role: its choices published
    assert set(s["InvitationIn"]["properties"]["role"].get("enum", [])) >= {"nurse", "counselor"}


def test_openapi_routes_reference_components(openapi: dict[str, Any]) -> None:
    refs = {
        ("/api/v1/patients", "post"): "RegistrationIn",
        ("/api/v1/patients/{patient_id}/contact", "patch"): "ContactIn",
        ("/api/v1/patients/{patient_id}/discharge", "post"): "DischargeIn",
        ("/api/v1/patients/{patient_id}/readmit", "post"): "ReadmissionIn",
        ("/api/v1/patients/care-teams", "post"): "CareTeamsIn",
        ("/api/v1/programs/{slug}/invitations", "post"): "InvitationIn",
        ("/api/v1/programs/{slug}/settings", "put"): "ProgramSettingsIn",
    }
    for (path, method), name in refs.items():
        body = openapi["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}, (path, body)


# --- Pages behave like the API -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,target", [("peer_specialist", "alice"), ("auditor", "alice"), ("nurse", "charlie")]
)
def test_readmit_page_refuses_caller_before_judging_confirmed(world: World, role: str, target: str) -> None:
    """The episodes page's readmission: a caller who may not readmit gets 403/404 (audited), not a 422 about
    the unticked confirmation box, as the API answers."""
    patient = getattr(world, target)
    c = sign_in(Client(), world.user(role))
    audits = audit_count()
    r = c.post(f"/patients/{patient.pk}/readmit/", {})
    assert r.status_code in (403, 404), (role, r.status_code)
    assert audit_count() > audits


def test_discharge_page_twice_is_422_not_500(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    r1 = c.post(f"/patients/{world.alice.pk}/discharge/", {"reason": "left"})
    assert r1.status_code == 302
    r2 = c.post(f"/patients/{world.alice.pk}/discharge/", {"reason": "left"})
    assert r2.status_code == 422


@pytest.mark.parametrize("ended_on", ["2999-01-01", "2025-12-31", "01/03/2026", "2026-02-30"])
def test_discharge_page_bad_date_is_422(world: World, ended_on: str) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    r = c.post(f"/patients/{world.alice.pk}/discharge/", {"reason": "left", "ended_on": ended_on})
    assert r.status_code == 422
    assert _active(world.alice) is not None


def test_bulk_page_nurse_refused(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    r = c.post("/program/care-teams/", {"patient_ids": ["x"], "user_id": "1"})
    assert r.status_code in (403, 404)


def test_bulk_page_fractional_id_is_422(world: World) -> None:
    c = _admin(world)
    nurse = world.staff["nurse"]
    r = c.post("/program/care-teams/", {"patient_ids": [f"{world.bob.pk}.9"], "user_id": str(nurse.pk)})
    assert r.status_code == 422
    assert not _team(world.bob, nurse)


def test_settings_page_counselor_refused(world: World) -> None:
    c = sign_in(Client(), world.staff["counselor"])
    r = c.post("/program/settings/", {"time_zone": "Nowhere/Land"})
    assert r.status_code in (403, 404)


def test_settings_page_bad_zone_is_422(world: World) -> None:
    from keel.accounts.models import Program

    before = Program.objects.filter(slug="riverside").values().get()
    r = _admin(world).post("/program/settings/", {"time_zone": "Nowhere/Land", "contact_phone": "1"})
    assert r.status_code == 422
    assert Program.objects.filter(slug="riverside").values().get() == before


def test_register_page_bad_date_is_422_no_patient(world: World) -> None:
    c = _admin(world)
    n = _patient_count()
    r = c.post(
        "/patients/new/",
        {**_reg(date_of_birth="3000-01-01"), "notice_given": "on", "consented": "on"},
    )
    assert r.status_code == 422
    assert _patient_count() == n
