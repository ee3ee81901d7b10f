"""Lane fix23o (review 23o): the second factor's lifecycle, the variants of the four holes.

1. A sign-in half done (the password given, the code step pending) is bound to the password it was begun
   with and is one of the person's sessions: a password change or reset, or a second factor reset, ends it.
2. A new key's setup belongs to the session that gave the password: another session of the person neither
   sees the key nor confirms it.
3. Adding or replacing a second factor ends the person's other sessions (signed in or half done), not only
   pauses them; the session that gave the new code stays signed in.
4. One code is accepted once, also by the API's token creation (the race: PostgreSQL, real threads)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import passwords, second_factor, services
from keel.accounts.queries import pending_totp_device
from tests.conftest import PASSWORD, World, sign_in, totp_now

NEW_PASSWORD = "a wholly different passphrase 77"


def _begin(client: Client, user: Any) -> Client:
    """The password given on the sign-in page: the code step is pending in this client's session."""
    answer = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == reverse("accounts:verify")
    assert client.session.get(services.PENDING_SIGN_IN)
    return client


def _signed_in_as(client: Client) -> Any:
    return client.session.get("_auth_user_id")


def _still_signed_in(client: Client, user: Any) -> bool:
    """A signed-in page answers (the second-factor middleware did not sign the session out)."""
    return client.get(reverse("accounts:mfa")).status_code == 200 and _signed_in_as(client) == str(user.pk)


def _alive(client: Client) -> bool:
    return Session.objects.filter(pk=client.session.session_key).exists()


def _fresh_code(device: TOTPDevice) -> str:
    """The device's code now, usable again (a test gives the same 30 seconds' code more than once)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return totp_now(device)


def _enrol(user: Any) -> TOTPDevice:
    device = services.start_totp_enrollment(user=user)
    assert services.confirm_totp_enrollment(user=user, code=totp_now(device))
    device.refresh_from_db()
    return device


# --- 1. a pending sign-in -----------------------------------------------------------------------------


def test_a_pending_code_step_is_refused_once_the_password_changed_even_if_its_session_survived(
    world: World,
) -> None:
    """The pending step carries the session auth hash of the password it began with: a password changed by
    a path that did not end sessions still ends it at the code step (staff, a device of their own)."""
    nurse = world.staff["nurse"]
    intruder = _begin(Client(), nurse)
    nurse.set_password(NEW_PASSWORD)
    nurse.save(update_fields=["password"])  # no session ended: only the binding stands in the way
    answer = intruder.post(reverse("accounts:verify"), {"code": _fresh_code(world.devices[nurse.pk])})
    assert answer.status_code == 302 and answer["Location"] == reverse("accounts:login")
    assert _signed_in_as(intruder) is None
    assert services.PENDING_SIGN_IN not in intruder.session


def test_the_right_password_and_code_still_sign_in(world: World) -> None:
    nurse = world.staff["nurse"]
    client = _begin(Client(), nurse)
    client.post(reverse("accounts:verify"), {"code": _fresh_code(world.devices[nurse.pk])})
    assert _signed_in_as(client) == str(nurse.pk)


def test_a_password_change_in_ones_own_session_ends_ones_pending_sign_ins_elsewhere(world: World) -> None:
    nurse = world.staff["nurse"]
    own, intruder = sign_in(Client(), nurse), _begin(Client(), nurse)
    bystander = _begin(Client(), world.staff["prescriber"])
    changed = own.post(
        reverse("accounts:password_change"),
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert changed.status_code == 200
    assert _alive(own) and not _alive(intruder)
    assert _alive(bystander)  # someone else's pending sign-in is not the nurse's
    assert _still_signed_in(own, nurse)


def test_a_second_factor_reset_ends_a_pending_sign_in(world: World) -> None:
    nurse = world.staff["nurse"]
    intruder = _begin(Client(), nurse)
    assert services.end_sessions(world.staff["prescriber"]) == 0  # only the person's own are counted
    second_factor.remove_second_factor(nurse)
    assert not _alive(intruder)
    answer = intruder.post(reverse("accounts:verify"), {"code": "123456"})
    assert answer.status_code == 302 and answer["Location"] == reverse("accounts:login")
    assert _signed_in_as(intruder) is None


def test_a_patients_pending_sign_in_ends_with_a_password_reset(world: World) -> None:
    alice = world.alice.user
    device = _enrol(alice)
    intruder = _begin(Client(), alice)
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    token = default_token_generator.make_token(alice)
    passwords.reset_password(uidb64=uid, token=token, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    intruder.post(reverse("accounts:verify"), {"code": _fresh_code(device)})
    assert _signed_in_as(intruder) is None


# --- 2. the new key's setup belongs to the session that gave the password --------------------------------


def test_another_browser_is_told_to_give_its_password_and_confirms_nothing(world: World) -> None:
    alice = world.alice.user
    home, other = sign_in(Client(), alice), sign_in(Client(), alice)
    assert home.post(reverse("accounts:mfa_start"), {"password": PASSWORD}).status_code == 200
    device = pending_totp_device(alice)
    assert device is not None
    secret = services.totp_secret_base32(device)
    assert secret in home.get(reverse("accounts:mfa")).content.decode()
    answer = other.post(reverse("accounts:mfa_confirm"), {"code": totp_now(device)})
    body = answer.content.decode()
    assert "Give your password again to set up two-step sign-in on this device." in body
    assert secret not in body
    device.refresh_from_db()
    assert not device.confirmed
    # The session that gave the password confirms it, and stays signed in with its second factor.
    home.post(reverse("accounts:mfa_confirm"), {"code": totp_now(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert _still_signed_in(home, alice)


def test_the_refusal_is_said_in_spanish(world: World) -> None:
    alice = world.alice.user
    home, other = sign_in(Client(), alice), sign_in(Client(), alice)
    home.post(reverse("accounts:mfa_start"), {"password": PASSWORD})
    body = other.post(
        reverse("accounts:mfa_confirm"), {"code": "123456"}, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Vuelva a escribir su contraseña para configurar el inicio de sesión en dos pasos" in body


def test_a_later_setup_in_another_session_supersedes_the_first(world: World) -> None:
    """Session B gives the password too: its key replaces A's; A's page no longer shows a key and A cannot
    confirm B's (A never saw it)."""
    alice = world.alice.user
    a, b = sign_in(Client(), alice), sign_in(Client(), alice)
    a.post(reverse("accounts:mfa_start"), {"password": PASSWORD})
    b.post(reverse("accounts:mfa_start"), {"password": PASSWORD})
    device = pending_totp_device(alice)
    assert device is not None
    assert services.totp_secret_base32(device) not in a.get(reverse("accounts:mfa")).content.decode()
    a.post(reverse("accounts:mfa_confirm"), {"code": totp_now(device)})
    device.refresh_from_db()
    assert not device.confirmed
    b.post(reverse("accounts:mfa_confirm"), {"code": totp_now(device)})
    device.refresh_from_db()
    assert device.confirmed


def test_the_service_refuses_a_marker_of_another_setup(world: World) -> None:
    alice = world.alice.user
    first = services.start_totp_enrollment(user=alice)
    marker = services.setup_marker(first)
    second = services.start_totp_enrollment(user=alice)
    assert not services.confirm_totp_enrollment(user=alice, code=totp_now(second), started=marker)
    assert not services.confirm_totp_enrollment(user=alice, code=totp_now(second), started="")
    assert services.confirm_totp_enrollment(
        user=alice, code=totp_now(second), started=services.setup_marker(second)
    )


# --- 3. a new second factor ends the person's other sessions ----------------------------------------------


def test_a_staff_member_replacing_the_authenticator_ends_their_other_sessions(world: World) -> None:
    nurse = world.staff["nurse"]
    own, other = sign_in(Client(), nurse), sign_in(Client(), nurse)
    pending = _begin(Client(), nurse)
    own.post(reverse("accounts:mfa_start"), {"password": PASSWORD})
    device = pending_totp_device(nurse)
    assert device is not None
    own.post(reverse("accounts:mfa_confirm"), {"code": totp_now(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert not _alive(other) and not _alive(pending)
    assert _still_signed_in(own, nurse)


def test_enrolling_at_sign_in_after_a_reset_ends_the_other_pending_sign_ins(world: World) -> None:
    """After a reset two browsers give the password (the nurse's, and someone else's who knows it): the
    nurse adds her authenticator first; the other pending sign-in ends, its key with it."""
    nurse = world.staff["nurse"]
    setup = second_factor.remove_second_factor(nurse).setup_code.code  # lane acct35: both typed it
    mine, theirs = _begin(Client(), nurse), _begin(Client(), nurse)
    assert mine.get(reverse("accounts:verify")).status_code == 200
    assert theirs.get(reverse("accounts:verify")).status_code == 200
    key = mine.session[services.PENDING_SIGN_IN]["key"]
    their_key = theirs.session[services.PENDING_SIGN_IN]["key"]
    from django_otp.oath import TOTP

    mine.post(
        reverse("accounts:verify"), {"setup_code": setup, "code": f"{TOTP(bytes.fromhex(key)).token():06d}"}
    )
    assert _signed_in_as(mine) == str(nurse.pk)
    assert not _alive(theirs)
    theirs.post(
        reverse("accounts:verify"),
        {"setup_code": setup, "code": f"{TOTP(bytes.fromhex(their_key)).token():06d}"},
    )
    assert _signed_in_as(theirs) is None
    assert TOTPDevice.objects.get(user=nurse).key == key


# --- 4. one code, once --------------------------------------------------------------------------------


def _token_with(username: str, code: str) -> int:
    body = {"username": username, "password": PASSWORD, "name": "t", "otp_code": code}
    return Client().post("/api/v1/auth/tokens", json.dumps(body), content_type="application/json").status_code


def test_the_api_takes_one_code_for_one_token(world: World) -> None:
    nurse = world.staff["nurse"]
    code = _fresh_code(world.devices[nurse.pk])
    assert _token_with(nurse.username, code) == 201
    assert _token_with(nurse.username, code) == 401


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
    reason="row locks seen waiting (pg_stat_activity): PostgreSQL; SQLite: review 23o's own test",
)
def test_two_token_requests_with_one_code_at_once_make_one_token(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request holds the device's row lock (inside `verify_token`, the step saved, not committed)
    until the second is seen waiting for it: serialised by the lock; the second reads the used step."""
    from tests.lock_waits import Pause, run, wait_for_a_lock_waiter

    assert connection.vendor == "postgresql"
    nurse = world.staff["nurse"]
    code = totp_now(world.devices[nurse.pk])
    pause = Pause(TOTPDevice.verify_token)
    monkeypatch.setattr(TOTPDevice, "verify_token", lambda self, token: pause(self, token))
    outcomes: dict[str, Any] = {}
    one = run(lambda: _token_with(nurse.username, code), outcomes, "one")
    assert pause.held.wait(timeout=30)
    two = run(lambda: _token_with(nurse.username, code), outcomes, "two")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert waited, "the second request did not wait for the device's lock"
    assert outcomes == {"one": 201, "two": 401}, outcomes
