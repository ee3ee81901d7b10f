"""An account of one's own (issue #20): made with a username and a password only, the recovery companion and
nothing else, one's data downloaded and deleted for good, never seen by staff unless brought by consent."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.test import Client

from keel.accounts.models import Program, ProgramMembership, Role, User
from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember, Enrollment, Patient
from keel.recovery.models import CheckIn
from keel.selfguided import services
from keel.selfguided.models import HistoryConsent, SignupBucket
from tests.conftest import PASSWORD, STAFF_ROLES, World, sign_in

pytestmark = pytest.mark.django_db
SIGNUP = "/en/start/"


def _form(username: str = "river-walker", **extra: str) -> dict[str, str]:
    return {
        "username": username,
        "password": PASSWORD,
        "password_again": PASSWORD,
        "time_zone": "America/Denver",
        "understood": "on",
    } | extra


def _sign_up(client: Client, username: str = "river-walker", address: str = "203.0.113.9") -> Any:
    return client.post(SIGNUP, _form(username), REMOTE_ADDR=address)


def _check_in(client: Client, note: str = "walked by the river") -> Any:
    import uuid

    return client.post(
        "/api/v1/me/checkins",
        json.dumps({"craving": 4, "mood": 3, "used": False, "medication": "not_on_medication", "note": note}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


# --- making one -----------------------------------------------------------------------------------------


def test_an_account_needs_only_a_username_and_a_password() -> None:
    page = Client().get(SIGNUP).content.decode()
    inputs = {n for n in __import__("re").findall(r'<(?:input|select)[^>]* name="([^"]+)"', page)}
    assert inputs == {
        "csrfmiddlewaretoken",
        "username",
        "password",
        "password_again",
        "time_zone",
        "understood",
    }
    assert "No name and no email." in page


def test_signing_up_signs_in_and_opens_the_companion() -> None:
    client = Client()
    response = _sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/me/account/"
    home = client.get("/me/account/").content.decode()
    assert "no clinic or staff member can see it" in home
    user = User.objects.get(username="river-walker")
    assert (user.role, user.first_name, user.last_name, user.email) == ("self_guided", "", "", "")
    record = Patient.objects.select_related("program").get(user=user)
    assert record.program.is_personal
    assert record.program.time_zone == "America/Denver"
    assert (record.given_name, record.family_name, record.date_of_birth) == ("", "", None)


def test_sign_up_goes_through_the_one_sign_in_completion() -> None:
    from keel.accounts.middleware import AUTH_AT

    client = Client()
    before = AuditEvent.objects.count()
    _sign_up(client)
    assert AUTH_AT in client.session  # the session limits start, as for any sign-in
    actions = list(AuditEvent.objects.order_by("id")[before:].values_list("action", "target_type"))
    assert ("login", "user") in actions
    assert ("create", "self_guided_account") in actions


def test_a_self_guided_account_signs_in_again_through_the_usual_page_with_its_second_factor() -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from keel.accounts import services as accounts
    from tests.conftest import totp_now

    _sign_up(Client())
    user = User.objects.get(username="river-walker")
    device = accounts.enroll_totp(user=user)
    client = Client()
    response = client.post("/accounts/login/", {"username": "river-walker", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/verify/"  # the second factor is asked, as for everyone
    client.post("/accounts/login/verify/", {"code": totp_now(device)})
    assert client.get("/me/account/").status_code == 200
    assert TOTPDevice.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        (_form(username="ab"), "username", "Use 3 to 40 letters or numbers."),
        (_form(username="with space"), "username", "No spaces."),
        (
            _form(password_again="something else entirely"),
            "password_again",
            "The two passwords are not the same.",
        ),
        (_form(password="short", password_again="short"), "password", "too short"),
        (_form(time_zone="Mars/Olympus"), "time_zone", "Choose your time zone from the list."),
        ({k: v for k, v in _form().items() if k != "understood"}, "understood", "Check the box"),
    ],
)
def test_a_bad_sign_up_names_the_field_and_keeps_what_was_typed(
    form: dict[str, str], field: str, words: str
) -> None:
    response = Client().post(SIGNUP, form)
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 422
    assert f'id="{field}-error"' in page
    assert words in page
    if field != "username":
        assert 'value="river-walker"' in page
    assert PASSWORD not in page
    assert User.objects.filter(role="self_guided").count() == 0


def test_a_taken_username_is_refused_whatever_its_case(world: World) -> None:
    response = Client().post(SIGNUP, _form(username="DANA-OWN"))
    assert response.status_code == 422
    assert "That username is taken." in response.content.decode()


def test_sign_ups_are_limited_per_visitor_in_the_shared_database() -> None:
    from django.core.cache import caches

    before = SignupBucket.objects.count()  # the module's world signed one person up, from another address
    for i in range(5):
        assert _sign_up(Client(), f"walker-{i}").status_code == 302
    caches["default"].clear()  # nothing is counted in a process's memory
    blocked = _sign_up(Client(), "walker-6")
    assert blocked.status_code == 429
    assert "Please try again in an hour." in blocked.content.decode()
    assert _sign_up(Client(), "walker-7", address="203.0.113.200").status_code == 302  # another visitor
    assert SignupBucket.objects.count() == before + 2
    assert not SignupBucket.objects.filter(key__contains="203.0.113").exists()  # the address is not stored


def test_a_refused_sign_up_spends_no_token() -> None:
    for _ in range(6):
        Client().post(SIGNUP, _form(username="ab"), REMOTE_ADDR="203.0.113.9")
    assert _sign_up(Client()).status_code == 302


# --- the companion and nothing else ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/me/checkin/",
        "/me/progress/",
        "/me/thoughts/",
        "/me/thoughts/new/",
        "/me/skills/",
        "/me/plan/",
        "/me/plan/edit/",
        "/me/meetings/",
        "/me/reminders/",
        "/me/account/",
        "/me/account/my-data.json",
    ],
)
def test_the_companion_is_theirs(world: World, path: str) -> None:
    assert sign_in(Client(), world.dana).get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/me/",
        "/me/sharing/",
        "/me/care-plan/",
        "/me/instruments/",
        "/me/record.fhir.json",
        "/api/v1/me/fhir",
        "/api/v1/me/sharing",
        "/api/v1/me/care-plan",
        "/me/home-start/",
        "/dosing/",
        "/audit/",
    ],
)
def test_nothing_but_the_companion_opens(world: World, path: str) -> None:
    assert sign_in(Client(), world.dana).get(path).status_code in (403, 404)


def test_a_check_in_reported_use_shows_help_but_raises_no_flag(world: World) -> None:
    client = sign_in(Client(), world.dana)
    client.post(
        "/me/checkin/",
        {
            "idempotency_key": "k1",
            "craving": "8",
            "mood": "2",
            "used": "yes",
            "used_what": "heroin",
            "used_how": "smoke",
            "medication": "not_on_medication",
        },
    )
    page = client.get("/me/checkin/done/").content.decode()
    assert "1-800-662-4357" in page
    assert "ask my care team" not in page
    from keel.patients.models import PatientFlag

    assert not PatientFlag.objects.exists()


def test_audit_rows_of_a_self_guided_account_name_no_one(world: World) -> None:
    before = AuditEvent.objects.count()
    assert _check_in(sign_in(Client(), world.dana)).status_code == 201
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert rows
    assert all(
        (e.actor_id, e.patient_id, e.program_id, e.target_id, e.ip_address, e.detail)
        == (None, None, None, "", None, {})
        and e.actor_role == "self_guided"
        for e in rows
    )


# --- never seen by staff ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_no_staff_list_shows_a_self_guided_account(world: World, role: str) -> None:
    _check_in(sign_in(Client(), world.dana))
    client = sign_in(Client(), world.staff[role])
    listed = client.get("/api/v1/patients")
    ids = {p["id"] for p in listed.json()} if listed.status_code == 200 else set()
    assert Patient.objects.get(user=world.dana).pk not in ids
    assert "dana-own" not in client.get("/patients/").content.decode()


def test_a_membership_in_a_personal_space_grants_nothing(world: World) -> None:
    space = Patient.objects.get(user=world.dana).program
    admin = world.staff["program_admin"]
    ProgramMembership.objects.create(user=admin, program=space)  # made by hand, against every service
    client = sign_in(Client(), admin)
    record = Patient.objects.get(user=world.dana)
    assert record.pk not in {p["id"] for p in client.get("/api/v1/patients").json()}
    assert client.get(f"/patients/{record.pk}/recovery/").status_code == 404


# --- download and delete ---------------------------------------------------------------------------------


def test_the_download_holds_all_of_their_data_and_only_theirs(world: World) -> None:
    client = sign_in(Client(), world.dana)
    _check_in(client, note="a note only I can read")
    client.post(
        "/api/v1/me/skills/tries",
        json.dumps({"skill": "halt", "helped": "yes"}),
        content_type="application/json",
    )
    response = client.get("/me/account/my-data.json")
    assert response["Content-Disposition"] == 'attachment; filename="keel-my-data.json"'
    data = json.loads(response.content)
    assert data["account"]["username"] == "dana-own"
    assert data["checkins"][0]["note"] == "a note only I can read"
    assert data["skill_tries"][0]["skill"] == "halt"
    assert "Zamorano" not in response.content.decode()


def _rows_pointing_at(ids: dict[str, set[int]]) -> list[str]:
    """Every row in any table whose foreign key points at the user, the record or the personal space."""
    targets = {User: ids["user"], Patient: ids["patient"], Program: ids["program"]}
    found = []
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, models.ForeignKey | models.OneToOneField) and f.related_model in targets:
                wanted = targets[f.related_model]  # type: ignore[index]
                if model.objects.filter(**{f"{f.name}_id__in": wanted}).exists():
                    found.append(f"{model._meta.label}.{f.name}")
    return found


def test_deleting_leaves_no_row_of_it(world: World) -> None:
    from axes.models import AccessAttempt, AccessLog

    client = sign_in(Client(), world.dana)
    _check_in(client)
    client.post("/me/thoughts/new/", {"situation": "s", "thought": "t", "intensity_before": "7"})
    client.post("/me/plan/edit/", {"version": "0", "reasons": "my kids"})
    Client().post("/accounts/login/", {"username": "dana-own", "password": "not it at all 123"})
    record = Patient.objects.get(user=world.dana)
    ids = {"user": {world.dana.pk}, "patient": {record.pk}, "program": {record.program_id}}
    response = client.post("/me/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/en/start/deleted/"
    assert not User.objects.filter(pk=world.dana.pk).exists()
    assert not Patient.objects.filter(pk=record.pk).exists()
    assert not Program.objects.filter(pk=record.program_id).exists()
    assert _rows_pointing_at(ids) == []
    assert not AuditEvent.objects.filter(actor_id=world.dana.pk).exists()
    assert not AuditEvent.objects.filter(patient_id=record.pk).exists()
    assert not AuditEvent.objects.filter(program_id=record.program_id).exists()
    assert not AccessAttempt.objects.filter(username="dana-own").exists()
    assert not AccessLog.objects.filter(username="dana-own").exists()
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(world.dana.pk)
    ]
    assert client.get("/me/account/").status_code == 302  # signed out
    assert (
        Client().post("/accounts/login/", {"username": "dana-own", "password": PASSWORD}).status_code == 200
    )


def test_deleting_needs_the_password_and_a_wrong_one_counts_toward_the_lockout(world: World) -> None:
    from axes.models import AccessAttempt

    client = sign_in(Client(), world.dana)
    response = client.post("/me/account/delete/", {"password": "not my password 000"})
    assert response.status_code == 422
    assert "That password is not right." in response.content.decode()
    assert User.objects.filter(pk=world.dana.pk).exists()
    assert AccessAttempt.objects.filter(username="dana-own").exists()


def test_a_patient_of_a_program_cannot_delete_their_record_this_way(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.post("/me/account/delete/", {"password": PASSWORD}).status_code == 404
    assert Patient.objects.filter(pk=world.alice.pk).exists()


# --- joining a program, by a signed choice ---------------------------------------------------------------


@pytest.fixture
def erin(world: World) -> Patient:
    """A new Riverside patient, admitted at the front desk, on the nurse's team, without an account yet."""
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0009",
        given_name="Erin",
        family_name="Okoro",
        date_of_birth=date(1994, 3, 2),
    )
    Enrollment.objects.create(patient=patient, program=world.riverside, started_on=date(2026, 11, 1))
    CareTeamMember.objects.create(patient=patient, user=world.staff["nurse"])
    return patient


def _code(world: World, erin: Patient) -> str:
    page = sign_in(Client(), world.staff["nurse"]).post(f"/patients/{erin.pk}/link-code/").content.decode()
    return __import__("re").search(r'<code class="secret">([A-Z0-9-]+)</code>', page).group(1)  # type: ignore[union-attr]


def _join(client: Client, code: str, bring: str, signature: str = "Erin Okoro") -> Any:
    return client.post(
        "/me/account/join/sign/", {"code": code, "bring_history": bring, "signature": signature}
    )


def test_joining_with_the_history_brings_it_to_the_care_team(world: World, erin: Patient) -> None:
    client = sign_in(Client(), world.dana)
    _check_in(client, note="the week I decided")
    code = _code(world, erin)
    preview = client.post("/me/account/join/", {"code": code}).content.decode()
    assert "Riverside Recovery" in preview
    assert "42 CFR Part 2" in preview
    assert _join(client, code, "yes").status_code == 302
    world.dana.refresh_from_db()
    assert world.dana.role == Role.PATIENT
    assert Patient.objects.get(user=world.dana).pk == erin.pk
    consent = HistoryConsent.objects.get()
    assert (consent.bring_history, consent.signature, consent.moved["checkins"]) == (True, "Erin Okoro", 1)
    assert "move into my record there" in consent.words
    view = sign_in(Client(), world.staff["nurse"]).get(f"/api/v1/patients/{erin.pk}/checkins").json()
    assert view and view[0]["note"] == "the week I decided"  # decrypted under the new record
    assert not Program.objects.filter(is_personal=True, patients__isnull=True).exists()


def test_joining_without_the_history_deletes_it(world: World, erin: Patient) -> None:
    client = sign_in(Client(), world.dana)
    _check_in(client)
    assert _join(client, _code(world, erin), "no").status_code == 302
    assert not CheckIn.objects.exists()
    assert HistoryConsent.objects.get().bring_history is False


@pytest.mark.parametrize(
    ("bring", "signature", "field"),
    [("yes", "Someone Else", "signature"), ("yes", "", "signature"), ("", "Erin Okoro", "bring_history")],
)
def test_joining_needs_a_choice_and_the_name_on_the_record(
    world: World, erin: Patient, bring: str, signature: str, field: str
) -> None:
    client = sign_in(Client(), world.dana)
    response = _join(client, _code(world, erin), bring, signature)
    assert response.status_code == 422
    assert field in response.content.decode()
    assert not HistoryConsent.objects.exists()
    assert Patient.objects.get(pk=erin.pk).user_id is None


def test_a_code_works_once(world: World, erin: Patient) -> None:
    code = _code(world, erin)
    _join(sign_in(Client(), world.dana), code, "no")
    other = services.sign_up(
        username="another-one",
        password=PASSWORD,
        password_again=PASSWORD,
        time_zone="America/Chicago",
        understood=True,
        address="192.0.2.1",
    )
    response = _join(sign_in(Client(), other), code, "no")
    assert response.status_code == 422
    assert "That code did not work." in response.content.decode()


def test_the_first_step_never_joins_even_with_the_old_step_field(world: World, erin: Patient) -> None:
    client = sign_in(Client(), world.dana)
    code = _code(world, erin)
    response = client.post(
        "/me/account/join/", {"step": "sign", "code": code, "bring_history": "no", "signature": "Erin Okoro"}
    )
    assert response.status_code == 200
    assert not HistoryConsent.objects.exists()


def test_the_preview_posts_the_signature_to_its_own_address(world: World, erin: Patient) -> None:
    client = sign_in(Client(), world.dana)
    preview = client.post("/me/account/join/", {"code": _code(world, erin)}).content.decode()
    assert 'action="/me/account/join/sign/"' in preview


def test_signing_is_a_post_only(world: World) -> None:
    response = sign_in(Client(), world.dana).get("/me/account/join/sign/")
    assert response.status_code == 405


def test_signing_with_a_wrong_code_goes_back_to_the_first_step(world: World) -> None:
    client = sign_in(Client(), world.dana)
    response = client.post(
        "/me/account/join/sign/", {"code": "AAAAA-BBBBB", "bring_history": "no", "signature": "Erin Okoro"}
    )
    assert response.status_code == 422
    assert 'action="/me/account/join/"' in response.content.decode()


def test_signing_as_anyone_but_the_account_holder_is_not_found(world: World, erin: Patient) -> None:
    code = _code(world, erin)
    response = sign_in(Client(), world.staff["nurse"]).post(
        "/me/account/join/sign/", {"code": code, "bring_history": "no", "signature": "Erin Okoro"}
    )
    assert response.status_code == 404
    assert Patient.objects.get(pk=erin.pk).user_id is None


def test_a_wrong_code_is_audited_as_a_failed_attempt(world: World) -> None:
    client = sign_in(Client(), world.dana)
    response = client.post("/me/account/join/", {"code": "AAAAA-BBBBB"})
    assert response.status_code == 422
    assert AuditEvent.objects.filter(action="failed_login").exists()


def test_codes_cannot_be_guessed_past_ten_tries_an_hour(world: World, erin: Patient) -> None:
    client = sign_in(Client(), world.dana)
    for _ in range(10):
        client.post("/me/account/join/", {"code": "AAAAA-BBBBB"})
    response = client.post("/me/account/join/", {"code": _code(world, erin)})
    assert response.status_code == 422
    assert "Too many codes were tried." in response.content.decode()


def test_a_peer_specialist_cannot_make_a_code(world: World, erin: Patient) -> None:
    CareTeamMember.objects.create(patient=erin, user=world.staff["peer_specialist"])
    response = sign_in(Client(), world.staff["peer_specialist"]).post(f"/patients/{erin.pk}/link-code/")
    assert response.status_code == 403


def test_a_self_guided_session_has_the_patients_idle_limit(world: World) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import time_machine

    start = datetime(2026, 12, 1, 20, 0, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(start, tick=False):
        client = sign_in(Client(), world.dana)
        assert client.get("/me/account/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert client.get("/me/account/").status_code == 200  # a staff session would have ended at 15
    with time_machine.travel(start + timedelta(minutes=51), tick=False):
        assert client.get("/me/account/").status_code == 302  # 31 idle minutes: signed out
