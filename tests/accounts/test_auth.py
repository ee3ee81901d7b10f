"""Sign-in, lockout (T4), MFA for staff, session limits (T5), logout, API tokens, CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from tests.conftest import PASSWORD, World, sign_in, totp_now

pytestmark = pytest.mark.django_db


def _password_step(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def _full_login(client: Client, world: World, role: str) -> Any:
    user = world.user(role)
    response = _password_step(client, user.username)
    if role != "patient":
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/verify/"
        response = client.post("/accounts/login/verify/", {"code": totp_now(world.devices[user.pk])})
    return response


def test_patient_signs_in_with_password_alone(world: World) -> None:
    client = Client()
    response = _full_login(client, world, "patient")
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == "/me/"
    assert AuditEvent.objects.filter(action="login", actor_id=world.alice.user.pk).count() == 1


def test_staff_must_enter_a_totp_code_before_seeing_anything(world: World) -> None:
    client = Client()
    response = _password_step(client, "r-nurse")
    assert response["Location"] == "/accounts/login/verify/"
    # Password alone is not a session: the patient list still sends us to sign in.
    assert client.get("/patients/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_staff_with_the_right_code_reaches_the_patient_list(world: World) -> None:
    client = Client()
    _full_login(client, world, "nurse")
    response = client.get("/patients/")
    assert response.status_code == 200
    assert b"Zamorano" in response.content


def test_a_wrong_code_is_refused_and_audited(world: World) -> None:
    client = Client()
    _password_step(client, "r-nurse")
    response = client.post("/accounts/login/verify/", {"code": "000000"})
    assert response.status_code == 200
    assert b"did not work" in response.content
    assert client.get("/patients/").status_code == 302
    assert AuditEvent.objects.filter(action="failed_login", reason="mfa code").count() == 1


def test_a_totp_code_cannot_be_used_twice(world: World) -> None:
    device = world.devices[world.staff["nurse"].pk]
    code = totp_now(device)
    first = Client()
    _password_step(first, "r-nurse")
    assert first.post("/accounts/login/verify/", {"code": code})["Location"] == "/"
    second = Client()
    _password_step(second, "r-nurse")
    assert second.post("/accounts/login/verify/", {"code": code}).status_code == 200  # refused


def test_five_wrong_codes_end_the_pending_sign_in(world: World) -> None:
    client = Client()
    _password_step(client, "r-nurse")
    for _ in range(5):
        response = client.post("/accounts/login/verify/", {"code": "123456"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/verify/").status_code == 302


def test_a_staff_session_without_verified_mfa_is_ended(world: World) -> None:
    client = Client()
    client.force_login(world.staff["nurse"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/patients/").status_code == 302
    assert Session.objects.count() == 1  # the new, anonymous session holding the notice; the old one is gone
    assert client.get("/patients/").status_code == 302


def test_wrong_password_gives_the_same_answer_for_known_and_unknown_users(world: World) -> None:
    known = _password_step(Client(), "alice", "not the password at all")
    unknown = _password_step(Client(), "nobody", "not the password at all")
    assert known.status_code == unknown.status_code == 200
    assert b"do not match" in known.content
    assert b"do not match" in unknown.content
    assert known.content.count(b"do not match") == unknown.content.count(b"do not match")
    assert AuditEvent.objects.filter(action="failed_login").count() == 2


@pytest.mark.parametrize("username", ["alice", "nobody-at-all"])
def test_five_failures_lock_username_and_ip_for_fifteen_minutes(world: World, username: str) -> None:
    client = Client()
    for _ in range(5):
        _password_step(client, username, "wrong password again")
    locked = _password_step(client, username, PASSWORD)
    assert locked.status_code == 429
    assert b"15 minutes" in locked.content
    assert AuditEvent.objects.filter(action="locked_out").exists()
    # Another IP is not locked out of the same account.
    if username == "alice":
        other = Client(REMOTE_ADDR="10.0.0.9")
        assert _password_step(other, username, PASSWORD).status_code == 302
    # After the cool-off the right password works again.
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = _password_step(Client(), username, PASSWORD)
        assert response.status_code == (302 if username == "alice" else 200)


def test_four_failures_do_not_lock(world: World) -> None:
    client = Client()
    for _ in range(4):
        _password_step(client, "alice", "wrong password again")
    assert _password_step(client, "alice").status_code == 302


# --- Session limits (time pinned) -----------------------------------------------------------


def _signed_in_at(world: World, role: str, start: Any) -> Client:
    client = Client()
    with time_machine.travel(start, tick=False):
        _full_login(client, world, role)
    return client


@pytest.mark.parametrize(
    ("role", "idle_ok", "idle_out"),
    [("nurse", 14, 16), ("prescriber", 14, 16), ("patient", 29, 31)],
)
def test_idle_sessions_end_after_the_role_limit(world: World, role: str, idle_ok: int, idle_out: int) -> None:
    start = timezone.now()
    path = "/me/" if role == "patient" else "/patients/"
    client = _signed_in_at(world, role, start)
    with time_machine.travel(start + timedelta(minutes=idle_ok), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(start + timedelta(minutes=idle_ok + idle_out), tick=False):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/"
        assert b"no activity" in client.get("/accounts/login/").content


def test_sessions_end_after_twelve_hours_even_when_active(world: World) -> None:
    start = timezone.now()
    client = _signed_in_at(world, "nurse", start)
    minute = 0
    while minute < 12 * 60:
        minute += 10
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            status = client.get("/patients/").status_code
            if minute <= 12 * 60:
                assert status == 200, minute
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get("/patients/").status_code == 302


def test_api_session_past_idle_limit_gets_401(world: World) -> None:
    start = timezone.now()
    client = _signed_in_at(world, "nurse", start)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        response = client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.json()["message"]


def test_logout_deletes_the_session_and_the_old_cookie_is_dead(world: World) -> None:
    client = Client()
    _full_login(client, world, "nurse")
    cookie = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=cookie).exists()
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=cookie).exists()
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/patients/").status_code == 302
    assert replay.get("/api/v1/me").status_code == 401


def test_logout_needs_post(world: World) -> None:
    client = Client()
    _full_login(client, world, "nurse")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/patients/").status_code == 200


def test_disabling_a_user_ends_their_sessions_and_tokens(world: World) -> None:
    from keel.accounts import services

    client = Client()
    _full_login(client, world, "nurse")
    token = services.create_token(user=world.staff["nurse"]).secret
    services.deactivate_user(user=world.staff["nurse"], by=world.staff["program_admin"])
    assert client.get("/patients/").status_code == 302
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


# --- CSRF -------------------------------------------------------------------------------------


def test_forms_refuse_posts_without_a_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert b"expired" in response.content


def test_signed_in_logout_without_csrf_is_refused(world: World) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world.staff["nurse"])
    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/patients/").status_code == 200


def test_session_api_writes_need_csrf_but_token_writes_do_not(world: World) -> None:
    from keel.accounts import services

    issued = services.create_token(user=world.staff["nurse"])
    session_client = sign_in(Client(enforce_csrf_checks=True), world.staff["nurse"])
    assert session_client.delete(f"/api/v1/auth/tokens/{issued.token.pk}").status_code == 403
    token_client = Client(enforce_csrf_checks=True)
    response = token_client.delete(
        f"/api/v1/auth/tokens/{issued.token.pk}", HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
    )
    assert response.status_code == 200
    assert response.json()["revoked_at"]


def test_an_authorization_header_does_not_revive_an_idle_session_on_pages(world: World) -> None:
    start = timezone.now()
    client = _signed_in_at(world, "nurse", start)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        response = client.get("/patients/", HTTP_AUTHORIZATION="Bearer whatever")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/"


def test_an_authorization_header_does_not_skip_mfa_on_pages(world: World) -> None:
    client = Client()
    client.force_login(world.staff["nurse"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/patients/", HTTP_AUTHORIZATION="Bearer whatever").status_code == 302


def test_an_api_token_call_ignores_a_stale_session_cookie(world: World) -> None:
    from keel.accounts import services

    token = services.create_token(user=world.alice.user).secret
    start = timezone.now()
    client = _signed_in_at(world, "nurse", start)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert me.status_code == 200
        assert me.json()["username"] == "alice"
