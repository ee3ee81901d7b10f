"""Review 13b: the hand-written session read (`keel.accounts.sessions`) and TOTP device read
(`keel.accounts.middleware.OTPMiddleware`), attacked from the API. Each test says the scenario and what
must happen; they pass on SQLite and PostgreSQL unless marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts.middleware import OTPMiddleware
from keel.accounts.sessions import SessionStore
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def _row(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def test_a_signed_in_nurse_reads_me(world: World) -> None:
    """The baseline every attack below departs from: a whole session answers."""
    assert sign_in(Client(), world.staff["nurse"]).get(ME).status_code == 200


def test_an_expired_session_row_is_anonymous(world: World) -> None:
    """A session row whose expire_date has passed (a second ago) must not authenticate."""
    c = sign_in(Client(), world.staff["nurse"])
    Session.objects.filter(pk=_row(c).pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert c.get(ME).status_code == 401


def test_expiry_written_in_another_time_zone_is_the_same_instant(world: World) -> None:
    """expire_date stored as an aware time at +14:00 one minute in the past is expired; one minute ahead
    at -11:00 is not (the instant counts, not the wall clock)."""
    c = sign_in(Client(), world.staff["nurse"])
    key = _row(c).pk
    plus14 = dt_timezone(timedelta(hours=14))
    past = (timezone.now() - timedelta(minutes=1)).astimezone(plus14)
    Session.objects.filter(pk=key).update(expire_date=past)
    assert c.get(ME).status_code == 401


def test_expiry_a_minute_ahead_in_a_western_zone_still_answers(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    minus11 = dt_timezone(timedelta(hours=-11))
    Session.objects.filter(pk=_row(c).pk).update(
        expire_date=(timezone.now() + timedelta(minutes=1)).astimezone(minus11)
    )
    assert c.get(ME).status_code == 200


def test_a_deactivated_user_session_is_anonymous(world: World) -> None:
    user = world.staff["nurse"]
    c = sign_in(Client(), user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert c.get(ME).status_code == 401


def test_a_password_change_ends_other_sessions(world: World) -> None:
    """The session auth hash: a password changed elsewhere ends this session."""
    user = world.staff["nurse"]
    c = sign_in(Client(), user)
    user.set_password("a-wholly-new-password-9183")
    user.save()
    assert c.get(ME).status_code == 401


def test_a_logged_out_session_key_replayed_is_anonymous(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    old = c.cookies["sessionid"].value
    c.logout()
    thief = Client()
    thief.cookies["sessionid"] = old
    assert thief.get(ME).status_code == 401


def test_the_key_before_cycle_key_no_longer_answers(world: World) -> None:
    """After cycle_key (what login does), the old key is gone."""
    c = sign_in(Client(), world.staff["nurse"])
    old = c.cookies["sessionid"].value
    store = SessionStore(old)
    store.load()
    store.cycle_key()
    thief = Client()
    thief.cookies["sessionid"] = old
    assert thief.get(ME).status_code == 401


@pytest.mark.parametrize(
    "key",
    [
        "short",  # under 8: Django forgets it before reading
        "x" * 41,  # longer than the column
        "x" * 5000,
        "' OR '1'='1' --",
        "%s%s%s%s%s%s",
        "clé-de-sesión-ñandú",  # Latin-1 (a WSGI header carries no more)
        "abcdefgh\\",
    ],
)
def test_an_odd_session_key_is_anonymous_and_never_a_500(world: World, key: str) -> None:
    thief = Client()
    thief.cookies["sessionid"] = key
    assert thief.get(ME).status_code == 401


@pytest.mark.parametrize(
    "key", ["short", "x" * 41, "x" * 5000, "' OR '1'='1' --", "%s%s%s%s%s%s", "ключ-сессии-юникод"]
)
def test_the_store_answers_as_djangos_for_odd_keys(world: World, key: str) -> None:
    ours, django = SessionStore(key), DjangoStore(key)
    assert (ours.load(), ours.session_key) == (django.load(), django.session_key)


def test_the_store_reads_a_live_row_as_djangos(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    key = c.cookies["sessionid"].value
    assert SessionStore(key).load() == DjangoStore(key).load()


def test_the_store_forgets_the_key_of_an_expired_row_as_djangos(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    key = c.cookies["sessionid"].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    ours, django = SessionStore(key), DjangoStore(key)
    ours.load()
    django.load()
    assert ours.session_key == django.session_key


# --- The second factor --------------------------------------------------------------------------------


def test_a_staff_session_whose_device_was_deleted_ends_on_the_api(world: World) -> None:
    """The nurse's second factor is reset (device deleted) while signed in: the session is not whole."""
    c = sign_in(Client(), world.staff["nurse"])
    TOTPDevice.objects.filter(user=world.staff["nurse"]).delete()
    assert c.get(ME).status_code == 401


def test_a_staff_session_whose_device_was_unconfirmed_ends(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    TOTPDevice.objects.filter(user=world.staff["nurse"]).update(confirmed=False)
    assert c.get(ME).status_code == 401


def test_a_staff_session_whose_device_was_replaced_ends(world: World) -> None:
    """Reset then re-enrolled: a new device (new id); the session verified with the old one is not whole."""
    user = world.staff["nurse"]
    c = sign_in(Client(), user)
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="new", confirmed=True)
    assert c.get(ME).status_code == 401


def test_a_session_naming_another_users_device_ends(world: World) -> None:
    """The session names the counselor's device (a confirmed device of someone else): not verified."""
    c = sign_in(Client(), world.staff["nurse"])
    other = TOTPDevice.objects.get(user=world.staff["counselor"])
    s = c.session
    s[DEVICE_ID_SESSION_KEY] = other.persistent_id
    s.save()
    assert c.get(ME).status_code == 401


@pytest.mark.parametrize(
    "persistent_id",
    [
        "otp_totp.totpdevice/",
        "otp_totp.totpdevice/abc",
        "otp_totp.totpdevice/-1",
        "otp_totp.totpdevice/ 1",
        "otp_totp.totpdevice/\u0661",  # an Arabic-Indic digit: isdigit, not ASCII
        "otp_totp.totpdevice/0",
        "otp_static.staticdevice/1",
        "django_otp.plugins.otp_totp.models.TOTPDevice/1",  # the legacy form
        "nonsense",
        "otp_totp.totpdevice/1/2",
    ],
)
def test_odd_persistent_ids_read_as_django_otps(world: World, persistent_id: str) -> None:
    ours = OTPMiddleware(lambda r: None)._device_from_persistent_id(persistent_id)
    theirs = DjangoOTPMiddleware(lambda r: None)._device_from_persistent_id(persistent_id)
    assert ours == theirs


def test_the_legacy_persistent_id_of_the_nurses_device_verifies_as_django_otps(world: World) -> None:
    device = TOTPDevice.objects.get(user=world.staff["nurse"])
    legacy = f"django_otp.plugins.otp_totp.models.TOTPDevice/{device.pk}"
    ours = OTPMiddleware(lambda r: None)._device_from_persistent_id(legacy)
    assert ours == device


def test_a_device_id_past_64_bits_reads_as_none_as_django_otps(world: World) -> None:
    """Review 13b hole (fixed): an id past 64 bits reached SQLite as a Python int it cannot bind
    (OverflowError, a 500 on every request of that session); django-otp's ORM read answers None."""
    persistent_id = "otp_totp.totpdevice/" + "9" * 30
    theirs = DjangoOTPMiddleware(lambda r: None)._device_from_persistent_id(persistent_id)
    ours = OTPMiddleware(lambda r: None)._device_from_persistent_id(persistent_id)
    assert ours == theirs


def test_a_patient_with_a_second_factor_who_gave_only_the_password_cannot_check_in(world: World) -> None:
    """Alice confirmed an authenticator; her session gave the password only (no device in the session).
    Two-step sign-in must hold on the API: no check-in is written, the session ends."""
    from keel.recovery.models import CheckIn

    user = world.alice.user
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    r = c.post(
        "/api/v1/me/checkins",
        {"craving": 2, "mood": 3, "used": False, "medication": "taken"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-13b-half",
    )
    assert (r.status_code, CheckIn.objects.filter(patient=world.alice).count()) == (401, 0)


def test_a_half_signed_in_staff_session_with_a_basic_header_gets_no_data(world: World) -> None:
    c = Client()
    c.force_login(world.staff["nurse"], backend="django.contrib.auth.backends.ModelBackend")
    r = c.get(ME, HTTP_AUTHORIZATION="Basic eDp5")
    assert r.status_code == 401


def test_a_session_whose_device_id_was_removed_mid_session_ends(world: World) -> None:
    c = sign_in(Client(), world.staff["nurse"])
    s = c.session
    del s[DEVICE_ID_SESSION_KEY]
    s.save()
    assert c.get(ME).status_code == 401


def test_session_store_read_uses_an_aware_now(world: World) -> None:
    """Held: the read's time is timezone.now() (aware), so a naive UTC clock never enters."""
    assert timezone.now().tzinfo is not None
    assert datetime.now(UTC).tzinfo is UTC


def test_a_session_key_with_a_nul_byte_is_anonymous_not_a_500(world: World) -> None:
    """Review 13b hole (fixed; Django's own store has it too): a cookie whose key holds NUL reached
    PostgreSQL as a text parameter it refuses (DataError): a 500 for anyone who sends it."""
    thief = Client()
    thief.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert thief.get(ME).status_code == 401


def test_the_store_forgets_a_key_with_a_nul_byte(world: World) -> None:
    store = SessionStore("abcdefgh\x00ijkl")
    assert (store.load(), store.session_key) == ({}, None)


def test_a_session_of_a_deleted_user_is_anonymous(world: World) -> None:
    """The user row is gone (the session row stays until cleared): the session authenticates no one."""
    from keel.accounts.models import User

    user = User.objects.create_user(username="gone-13b", password="x-very-long-password-1", role="patient")
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    User.objects.filter(pk=user.pk).delete()
    assert c.get(ME).status_code == 401


def test_a_patient_token_cannot_record_an_intake(world: World) -> None:
    from keel.accounts import services as accounts
    from keel.treatment.models import Intake

    token = accounts.create_token(user=world.alice.user).secret
    r = Client().post(
        f"/api/v1/patients/{world.alice.pk}/intakes",
        '{"pregnant": "no"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert (r.status_code in (403, 404), Intake.objects.count()) == (True, 0)
