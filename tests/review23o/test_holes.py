"""Review 23o: the second factor's lifecycle (the operator's reset, sessions and tokens when a factor is
added, replaced or removed, the two-step sign-in, the lockout, the password reset). Each test is one hole:
it fails while the hole is open."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP

from keel.accounts import passwords, second_factor, services
from keel.accounts.queries import pending_totp_device
from tests import lock_waits
from tests.conftest import PASSWORD, World, sign_in, totp_now

NEW_PASSWORD = "a wholly different passphrase 77"


def _code_of_key(key_hex: str) -> str:
    return f"{TOTP(bytes.fromhex(key_hex)).token():06d}"


def _signed_in_as(client: Client) -> Any:
    """The id of the account the client's session is signed in as, or None."""
    return client.session.get("_auth_user_id")


def test_a_pending_sign_in_outlives_the_password_reset_that_followed_it(world: World) -> None:
    """Harm: a staff member's authenticator is reset by the operator (lost phone) and they reset their
    password because someone else had it. Someone who typed the OLD password a minute earlier holds a
    half-done sign-in; the reset ends every session but not that one, so they add their own authenticator
    with the key the pending sign-in shows and are signed in as the nurse (every patient of her program),
    with a password that no longer exists."""
    nurse = world.staff["nurse"]
    nurse.email = "nurse@example.org"
    nurse.save(update_fields=["email"])
    second_factor.reset_by_operator(
        username=nurse.username, reason="lost her phone on the bus, verified by phone call"
    )
    intruder = Client()
    to_verify = intruder.post(reverse("accounts:login"), {"username": nurse.username, "password": PASSWORD})
    assert to_verify.status_code == 302
    assert intruder.get(reverse("accounts:verify")).status_code == 200  # the enrolment page, key in session
    key = intruder.session["keel_mfa_pending"]["key"]
    # The nurse resets her password through the emailed link (every session and token of hers ends).
    uid = urlsafe_base64_encode(force_bytes(nurse.pk))
    token = default_token_generator.make_token(nurse)
    passwords.reset_password(uidb64=uid, token=token, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    intruder.post(reverse("accounts:verify"), {"code": _code_of_key(key)})
    assert _signed_in_as(intruder) is None, (
        "a sign-in begun with the old password finished after the password reset: the intruder is signed in "
        "as the nurse with an authenticator of their own"
    )


def test_the_new_authenticator_key_is_shown_to_a_session_that_never_gave_the_password(world: World) -> None:
    """Harm: SECURITY.md asks the password again before any MFA change. The patient gives it at home (session
    A) and is shown a new key; any other session of theirs (B: a library computer they left signed in)
    opens /accounts/mfa/ and reads the same key without the password, then confirms it: two-step sign-in
    is turned on (or replaced) by someone who never re-authenticated, and they hold the patient's second
    factor."""
    alice = world.alice.user
    home, other = sign_in(Client(), alice), sign_in(Client(), alice)
    assert home.post(reverse("accounts:mfa_start"), {"password": PASSWORD}).status_code == 200
    device = pending_totp_device(alice)
    assert device is not None
    secret = services.totp_secret_base32(device)
    page = other.get(reverse("accounts:mfa")).content.decode()
    other.post(reverse("accounts:mfa_confirm"), {"code": _code_of_key(device.key)})
    device.refresh_from_db()
    assert secret not in page and not device.confirmed, (
        "a session that never gave the password was shown the pending key"
        + (" and turned two-step sign-in on with it" if device.confirmed else "")
    )


def test_a_session_from_before_the_second_factor_comes_back_when_it_is_turned_off(world: World) -> None:
    """Harm: a patient signed in on a shared computer (no second factor then) turns two-step sign-in on at
    home, expecting what was signed in without a code to end (tokens do end: `_new_second_factor`). The
    old session is only suspended: its row stays, and once the patient turns the factor off again (a new
    phone, a lost app) that password-only session on the shared computer is signed in again, never having
    given a code, nor the password since."""
    alice = world.alice.user
    shared, own = sign_in(Client(), alice), sign_in(Client(), alice)
    assert own.post(reverse("accounts:mfa_start"), {"password": PASSWORD}).status_code == 200
    device = pending_totp_device(alice)
    assert device is not None
    own.post(reverse("accounts:mfa_confirm"), {"code": _code_of_key(device.key)})
    device.refresh_from_db()
    assert device.confirmed
    own.post(reverse("accounts:mfa_disable"), {"password": PASSWORD})
    device_gone = not type(device).objects.filter(user=alice).exists()
    assert device_gone
    answer = shared.get(reverse("web:home"))
    assert answer.status_code in {200, 302} and _signed_in_as(shared) is None, (
        "the session signed in before two-step sign-in was turned on is signed in again now it is off"
    )


@pytest.mark.django_db(transaction=True)
def test_one_code_signs_in_twice_when_two_requests_carry_it_at_once(world: World, monkeypatch: Any) -> None:
    """Harm: SECURITY.md promises single-use codes. A code read over a nurse's shoulder, or relayed by a
    phishing page while she types it herself, is accepted twice when the two requests check it at the same
    moment: `verify_totp` reads the device without a lock, each request sees the code as unused and saves it
    as used. The intruder's sign-in (or API token) rides on the nurse's own code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    nurse = world.staff["nurse"]
    code = totp_now(world.devices[nurse.pk])
    both_checked = threading.Barrier(2)
    original_save = TOTPDevice.save

    def save_once_both_checked(self: Any, *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):  # a lock serialising the two: no pair
            both_checked.wait(timeout=3)
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(TOTPDevice, "save", save_once_both_checked)
    outcomes: dict[str, Any] = {}
    threads = [
        lock_waits.run(lambda: services.verify_totp(nurse, code) is not None, outcomes, name)
        for name in ("nurse", "intruder")
    ]
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(str(v) for v in outcomes.values()) == ["False", "True"], (
        f"one code, two requests at once: {outcomes} (each should be the other's refusal)"
    )
