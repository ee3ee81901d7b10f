"""Issue #17 (lane shape17h): the seven bodies that were read as `dict[str, Any]` (registration, contact
details, discharge, readmission, the bulk care team, the staff invitation, the program settings) are typed
`ThingIn` models whose field lists are the core's (`keel.core.desk`, `keel.core.program`) and whose checks
need the program, the record or Django (`keel.patients.checks`, `keel.accounts.checks`). These tests fail if
that parse breaks: each field's error in the words it always had, a JSON key that is not a field refused by
name, the access check before any field is judged, the page and the API through the same parse, and each
body published once as a component. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import STAFF_ROLES
from keel.accounts.schemas import InvitationIn, ProgramSettingsIn
from keel.audit.models import AuditEvent
from keel.core import desk
from keel.core import program as program_fields
from keel.patients.models import AdministrativeGender, BirthSex, EndReason, Enrollment, EpisodeKind, Patient
from keel.patients.schemas import CareTeamsIn, ContactIn, DischargeIn, ReadmissionIn, RegistrationIn
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "given_name": "Maya",
    "family_name": "Okafor",
    "date_of_birth": "1991-04-02",
    "episode_kind": "otp",
    "notice_given": True,
    "consented": True,
}
UNKNOWN = "not an input of this rule"


def _send(client: Client, method: str, path: str, body: Any) -> Any:
    return client.generic(method, path, json.dumps(body), content_type="application/json")


def _errors(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.content[:300]
    return [(e["field"], e["reason"]) for e in response.json()["errors"]]


def _ended(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on="2026-02-01", end_reason="left"
    )


# --- The core's lists are the models' choices ---


def test_the_cores_choices_are_the_models_choices() -> None:
    assert list(desk.GENDERS) == list(AdministrativeGender.values)
    assert list(desk.BIRTH_SEXES) == ["", *BirthSex.values]
    assert list(desk.EPISODE_KINDS) == list(EpisodeKind.values)
    assert list(desk.END_REASONS) == list(EndReason.values)
    assert set(program_fields.STAFF_ROLES) == {r.value for r in STAFF_ROLES}
    assert list(program_fields.STAFF_ROLES) == sorted(program_fields.STAFF_ROLES)


def test_each_model_declares_the_cores_fields() -> None:
    assert list(RegistrationIn.model_fields) == [f.name for f in desk.REGISTRATION]
    assert list(ContactIn.model_fields) == [*desk.CONTACT_FIELDS, "version"]
    assert list(DischargeIn.model_fields)[:2] == ["ended_on", "reason"]
    assert list(ReadmissionIn.model_fields) == [f.name for f in desk.READMISSION]
    assert list(CareTeamsIn.model_fields) == ["patient_ids", "user_id"]
    assert list(InvitationIn.model_fields) == [f.name for f in program_fields.INVITATION]
    assert set(ProgramSettingsIn.model_fields) == {
        "time_zone",
        "dosing_opens",
        "dosing_closes",
        "closure_days",
        "contact_phone",
        "contact_address",
    }


# --- Each field's error, in the words it always had ---

REGISTRATION_ERRORS = [
    ({**REGISTRATION, "given_name": ""}, [("given_name", "this is required")]),
    ({**REGISTRATION, "family_name": ["a"]}, [("family_name", "must be text")]),
    ({**REGISTRATION, "pronouns": "x" * 41}, [("pronouns", "at most 40 characters")]),
    ({**REGISTRATION, "phone": "12"}, [("phone", "give a phone number: digits, at least 7 of them")]),
    ({**REGISTRATION, "date_of_birth": "2099-01-01"}, [("date_of_birth", "cannot be in the future")]),
    ({**REGISTRATION, "date_of_birth": "1899-12-31"}, [("date_of_birth", "cannot be before 1900")]),
    ({**REGISTRATION, "date_of_birth": "02/04/1991"}, [("date_of_birth", "give a date as YYYY-MM-DD")]),
    ({**REGISTRATION, "date_of_birth": None}, [("date_of_birth", "this is required")]),
    ({**REGISTRATION, "started_on": "1990-01-01"}, [("started_on", "cannot be before the date of birth")]),
    ({**REGISTRATION, "gender": "x"}, [("gender", "choose one of: male, female, other, unknown")]),
    ({**REGISTRATION, "birth_sex": "Q"}, [("birth_sex", "choose one of: F, M, UNK")]),
    ({**REGISTRATION, "preferred_language": "fr"}, [("preferred_language", "choose one of: en, es")]),
    (
        {**REGISTRATION, "record_number": "has space!"},
        [("record_number", "1 to 32 letters, digits, dots, hyphens or underscores")],
    ),
    ({**REGISTRATION, "email": "nope"}, [("email", "give an email address like name@example.org")]),
    ({**REGISTRATION, "email": 5}, [("email", "must be text")]),
    (
        {**REGISTRATION, "emergency_contact_relationship": "sister"},
        [("emergency_contact_name", "give the emergency contact's name")],
    ),
    (
        {**REGISTRATION, "emergency_contact_name": "Ann"},
        [("emergency_contact_phone", "give the emergency contact's phone")],
    ),
    ({**REGISTRATION, "episode_kind": None}, [("episode_kind", "choose the kind of care")]),
    ({**REGISTRATION, "episode_kind": "spa"}, [("episode_kind", "choose one of: otp, obot, counseling")]),
    (
        {**REGISTRATION, "notice_given": False, "consented": "no"},
        [
            ("notice_given", "give the person the privacy notice for their records, then confirm"),
            ("consented", "the person must consent to treatment; then confirm"),
        ],
    ),
    ({**REGISTRATION, "program": "nowhere"}, [("program", "not one of your programs")]),
    ({**REGISTRATION, "favourite": "blue"}, [("favourite", UNKNOWN)]),
]


@pytest.mark.parametrize(("body", "expected"), REGISTRATION_ERRORS)
def test_registration_names_each_bad_field(world: World, body: dict[str, object], expected: Any) -> None:
    before = Patient.objects.count()
    response = _send(sign_in(Client(), world.staff["nurse"]), "POST", "/api/v1/patients", body)
    assert _errors(response) == expected
    assert Patient.objects.count() == before


def test_registration_names_every_bad_field_at_once_unknown_first(world: World) -> None:
    body = {"nickname": "x", "given_name": "", "family_name": "O", "date_of_birth": "2099-01-01"}
    response = _send(sign_in(Client(), world.staff["nurse"]), "POST", "/api/v1/patients", body)
    assert _errors(response) == [
        ("nickname", UNKNOWN),
        ("given_name", "this is required"),
        ("date_of_birth", "cannot be in the future"),
        ("episode_kind", "choose the kind of care"),
        ("notice_given", "give the person the privacy notice for their records, then confirm"),
        ("consented", "the person must consent to treatment; then confirm"),
    ]


def test_a_good_registration_is_typed_through(world: World) -> None:
    body = {
        **REGISTRATION,
        "given_name": "  Maya   Ada ",
        "started_on": "2026-02-01",
        "preferred_language": "es",
    }
    response = _send(sign_in(Client(), world.staff["nurse"]), "POST", "/api/v1/patients", body)
    assert response.status_code == 201, response.content
    p = Patient.objects.get(pk=response.json()["id"])
    assert (p.given_name, p.preferred_language, str(p.date_of_birth)) == ("Maya Ada", "es", "1991-04-02")
    assert str(p.enrollments.get().started_on) == "2026-02-01"


CONTACT_ERRORS = [
    ({"given_name": "Other"}, [("given_name", "cannot be changed here")]),
    ({"zzz": 1, "aaa": 2}, [("aaa", "cannot be changed here"), ("zzz", "cannot be changed here")]),
    ({"city": ["a"]}, [("city", "must be text")]),
    ({"postal_code": "1" * 21}, [("postal_code", "at most 20 characters")]),
    ({"email": "no at sign"}, [("email", "give an email address like name@example.org")]),
    ({"preferred_language": ""}, [("preferred_language", "choose one of: en, es")]),
    ({"version": "x"}, [("version", "must be a whole number")]),
    (
        {"emergency_contact_phone": "555 987 6543"},
        [("emergency_contact_name", "give the emergency contact's name")],
    ),
]


@pytest.mark.parametrize(("body", "expected"), CONTACT_ERRORS)
def test_contact_names_each_bad_field(world: World, body: dict[str, object], expected: Any) -> None:
    path = f"/api/v1/patients/{world.alice.pk}/contact"
    assert _errors(_send(sign_in(Client(), world.staff["nurse"]), "PATCH", path, body)) == expected


def test_contact_changes_only_what_is_given(world: World) -> None:
    path = f"/api/v1/patients/{world.alice.pk}/contact"
    response = _send(
        sign_in(Client(), world.staff["nurse"]), "PATCH", path, {"city": " Spring  field ", "version": 1}
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == ["city"]
    world.alice.refresh_from_db()
    assert (world.alice.city, world.alice.given_name) == ("Spring field", "Alicia")


DISCHARGE_ERRORS = [
    ({}, [("reason", "this is required")]),
    (
        {"reason": "bored"},
        [("reason", "choose one of: completed, transferred, left, administrative, deceased, other")],
    ),
    ({"reason": "left", "ended_on": "2099-01-01"}, [("ended_on", "cannot be in the future")]),
    (
        {"reason": "left", "ended_on": "2026-03-01T00:00:00+09:00"},
        [("ended_on", "give a date as YYYY-MM-DD")],
    ),
    ({"reason": "left", "ended_on": "2025-12-01"}, [("ended_on", "cannot be before the episode began")]),
    ({"reason": "left", "note": "x"}, [("note", UNKNOWN)]),
]


@pytest.mark.parametrize(("body", "expected"), DISCHARGE_ERRORS)
def test_discharge_names_each_bad_field(world: World, body: dict[str, object], expected: Any) -> None:
    path = f"/api/v1/patients/{world.alice.pk}/discharge"
    assert _errors(_send(sign_in(Client(), world.staff["nurse"]), "POST", path, body)) == expected
    assert Enrollment.objects.get(patient=world.alice).status == "active"


READMIT_ERRORS = [
    (
        {},
        [
            ("notice_given", "give the person the privacy notice for their records, then confirm"),
            ("consented", "the person must consent to treatment; then confirm"),
        ],
    ),
    (
        {"notice_given": True, "consented": True, "started_on": "2099-01-01"},
        [("started_on", "cannot be in the future")],
    ),
    (
        {"notice_given": True, "consented": True, "episode_kind": ["otp"]},
        [("episode_kind", "choose one of: otp, obot, counseling")],
    ),
    (
        {"notice_given": True, "consented": True, "started_on": "2026-01-20"},
        [("started_on", "cannot be before the last episode ended")],
    ),
    ({"notice_given": True, "consented": True, "reason": "back"}, [("reason", UNKNOWN)]),
]


@pytest.mark.parametrize(("body", "expected"), READMIT_ERRORS)
def test_readmission_names_each_bad_field(world: World, body: dict[str, object], expected: Any) -> None:
    _ended(world)
    path = f"/api/v1/patients/{world.alice.pk}/readmit"
    assert _errors(_send(sign_in(Client(), world.staff["nurse"]), "POST", path, body)) == expected
    assert Enrollment.objects.filter(patient=world.alice).count() == 1


def test_a_readmission_without_a_kind_takes_the_last_ones(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(kind="obot")
    _ended(world)
    path = f"/api/v1/patients/{world.alice.pk}/readmit"
    response = _send(
        sign_in(Client(), world.staff["nurse"]), "POST", path, {"notice_given": True, "consented": True}
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "obot"


def _bulk_errors(world: World, body: dict[str, object]) -> list[tuple[str, str]]:
    return _errors(
        _send(sign_in(Client(), world.staff["program_admin"]), "POST", "/api/v1/patients/care-teams", body)
    )


def test_bulk_care_team_names_each_bad_field(world: World) -> None:
    nurse, a = world.staff["nurse"].pk, world.alice.pk
    assert _bulk_errors(world, {"patient_ids": [], "user_id": nurse}) == [
        ("patient_ids", "choose 1 to 200 people")
    ]
    assert _bulk_errors(world, {"patient_ids": a, "user_id": nurse}) == [
        ("patient_ids", "choose 1 to 200 people")
    ]
    assert _bulk_errors(world, {"patient_ids": ["abc"], "user_id": nurse}) == [
        ("patient_ids", "choose people from the list")
    ]
    assert _bulk_errors(world, {"patient_ids": [a, world.charlie.pk], "user_id": nurse}) == [
        ("patient_ids", "some of these people are not in your program")
    ]
    assert _bulk_errors(world, {"patient_ids": [a], "user_id": "abc"}) == [
        ("user_id", "choose a staff member")
    ]
    assert _bulk_errors(world, {"patient_ids": [a], "user_id": nurse, "role": "x"}) == [("role", UNKNOWN)]


def test_bulk_care_team_takes_each_id_once(world: World) -> None:
    body = {
        "patient_ids": [world.bob.pk, world.bob.pk, world.bob.pk],  # (review 14a: "5" is not an id)
        "user_id": world.staff["nurse"].pk,
    }
    response = _send(
        sign_in(Client(), world.staff["program_admin"]), "POST", "/api/v1/patients/care-teams", body
    )
    assert response.status_code == 200, response.content
    assert response.json()["patient_ids"] == [world.bob.pk]


INVITE = "/api/v1/programs/riverside/invitations"


def test_invitation_names_each_bad_field(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    roles = "auditor, counselor, nurse, peer_specialist, prescriber, program_admin"
    assert _errors(_send(admin, "POST", INVITE, {})) == [
        ("email", "give an email address such as name@example.org"),
        ("role", f"choose one of: {roles}"),
    ]
    assert _errors(
        _send(admin, "POST", INVITE, {"email": "a@example.org", "role": "nurse", "last_name": "y" * 151})
    ) == [("last_name", "at most 150 characters")]
    assert _errors(
        _send(admin, "POST", INVITE, {"email": "a@example.org", "role": "nurse", "username": "a"})
    ) == [("username", UNKNOWN)]


SETTINGS = "/api/v1/programs/riverside/settings"


def test_program_settings_names_each_bad_field(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    ok = {"time_zone": "America/Chicago"}
    assert _errors(_send(admin, "PUT", SETTINGS, {})) == [
        ("time_zone", "choose a time zone such as America/Chicago")
    ]
    assert _errors(_send(admin, "PUT", SETTINGS, {**ok, "dosing_opens": "07:00"})) == [
        ("dosing_closes", "give both the opening and the closing time, or neither")
    ]
    assert _errors(
        _send(admin, "PUT", SETTINGS, {**ok, "dosing_opens": "11:00", "dosing_closes": "07:00"})
    ) == [("dosing_closes", "must be after the opening time")]
    assert _errors(_send(admin, "PUT", SETTINGS, {**ok, "dosing_opens": "7h"})) == [
        ("dosing_opens", "give a time as HH:MM")
    ]
    assert _errors(_send(admin, "PUT", SETTINGS, {**ok, "closure_days": 3})) == [
        ("closure_days", "give a list of dates")
    ]
    assert _errors(_send(admin, "PUT", SETTINGS, {**ok, "closure_days": ["2026-13-01"]})) == [
        ("closure_days", "give each date as YYYY-MM-DD")
    ]
    assert _errors(_send(admin, "PUT", SETTINGS, {**ok, "contact_phone": "1" * 41})) == [
        ("contact_phone", "at most 40 characters")
    ]
    assert _errors(_send(admin, "PUT", SETTINGS, {**ok, "name": "Other"})) == [("name", UNKNOWN)]


def test_program_settings_are_typed_through(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    body = {"time_zone": "America/Chicago", "dosing_opens": "07:00", "dosing_closes": "11:30"}
    response = _send(admin, "PUT", SETTINGS, body)
    assert response.status_code == 200, response.content
    assert (response.json()["dosing_opens"], response.json()["dosing_closes"]) == ("07:00", "11:30")


# --- The access check before any field is judged ---

REFUSED_FIRST = [
    ("peer_specialist", "POST", "/api/v1/patients", {"nickname": 1}, 403),
    ("auditor", "PATCH", "/api/v1/patients/{alice}/contact", {"given_name": 1}, 404),
    ("peer_specialist", "POST", "/api/v1/patients/{alice}/discharge", {"note": 1}, 404),
    ("counselor", "POST", "/api/v1/patients/{charlie}/discharge", {"note": 1}, 404),
    ("program_admin", "POST", "/api/v1/patients/{charlie}/readmit", {"note": 1}, 404),
    ("nurse", "POST", "/api/v1/programs/riverside/invitations", {"username": 1}, 403),
    ("program_admin", "POST", "/api/v1/programs/lakeside/invitations", {"username": 1}, 403),
    ("nurse", "PUT", "/api/v1/programs/riverside/settings", {"name": 1}, 403),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), REFUSED_FIRST)
def test_a_caller_who_may_not_act_is_refused_before_the_body_is_judged(
    world: World, role: str, method: str, path: str, body: dict[str, object], status: int
) -> None:
    before = AuditEvent.objects.count()
    path = path.format(alice=world.alice.pk, charlie=world.charlie.pk)
    response = _send(sign_in(Client(), world.staff[role]), method, path, body)
    assert response.status_code == status, response.content[:300]
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert [(r.action, r.outcome) for r in rows] == [("denied", "denied")]


# --- Pages and the API: the same parse ---


def test_the_page_and_the_api_say_the_same_about_a_discharge(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    api = _send(
        nurse,
        "POST",
        f"/api/v1/patients/{world.alice.pk}/discharge",
        {"reason": "left", "ended_on": "2099-01-01"},
    )
    page = nurse.post(f"/patients/{world.alice.pk}/discharge/", {"reason": "left", "ended_on": "2099-01-01"})
    assert _errors(api) == [("ended_on", "cannot be in the future")]
    assert page.status_code == 422
    assert "cannot be in the future" in page.content.decode()


def test_a_pages_other_form_keys_are_not_refused(world: World) -> None:
    """A form carries keys that are not fields (its CSRF token, a key it does not know): a page is not held
    to the JSON body's exact keys."""
    _ended(world)
    nurse = sign_in(Client(), world.staff["nurse"])
    page = nurse.post(
        f"/patients/{world.alice.pk}/readmit/",
        {"confirmed": "on", "notice_given": "on", "consented": "on", "extra": "x"},
    )
    assert page.status_code == 302, page.content[:300]


# --- The OpenAPI document ---


def test_each_body_is_a_component_of_the_openapi_document(world: World) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    routes = {
        ("/api/v1/patients", "post"): "RegistrationIn",
        ("/api/v1/patients/{patient_id}/contact", "patch"): "ContactIn",
        ("/api/v1/patients/{patient_id}/discharge", "post"): "DischargeIn",
        ("/api/v1/patients/{patient_id}/readmit", "post"): "ReadmissionIn",
        ("/api/v1/patients/care-teams", "post"): "CareTeamsIn",
        ("/api/v1/programs/{slug}/invitations", "post"): "InvitationIn",
        ("/api/v1/programs/{slug}/settings", "put"): "ProgramSettingsIn",
    }
    for (path, method), name in routes.items():
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}
        assert schemas[name]["additionalProperties"] is False
    assert schemas["RegistrationIn"]["required"] == [
        "given_name",
        "family_name",
        "date_of_birth",
        "episode_kind",
        "notice_given",
        "consented",
    ]
    assert schemas["RegistrationIn"]["properties"]["given_name"]["maxLength"] == 100
    assert schemas["ContactIn"]["properties"]["email"]["format"] == "email"
