"""Patients may turn on two-step sign-in (and off again); staff may not turn it off. Password first."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.audit.models import AuditEvent
from tests.conftest import PASSWORD, World, sign_in, totp_now

pytestmark = pytest.mark.django_db


def test_a_patient_turns_on_two_step_sign_in_and_then_needs_a_code(world: World) -> None:
    user = world.alice.user
    client = sign_in(Client(), user)
    assert "Set it up" in client.get("/accounts/mfa/").content.decode()
    wrong = client.post("/accounts/mfa/start/", {"password": "not my password!"})
    assert "not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    started = client.post("/accounts/mfa/start/", {"password": PASSWORD}).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.key
    assert "Turn on" in started
    assert client.post("/accounts/mfa/confirm/", {"code": "000000"}).status_code == 200
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):  # past the throttle after a wrong code
        device.refresh_from_db()
        done = client.post("/accounts/mfa/confirm/", {"code": totp_now(device)}).content.decode()
    assert "is on" in done
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(target_type="mfa", reason="enrolled", actor_id=user.pk).count() == 1
    fresh = Client()
    response = fresh.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/verify/"


def test_a_patient_turns_it_off_with_their_password(world: World) -> None:
    from keel.accounts import services

    user = world.alice.user
    services.enroll_totp(user=user)
    client = sign_in(Client(), user)
    client.post("/accounts/mfa/disable/", {"password": "wrong wrong wrong"})
    assert TOTPDevice.objects.filter(user=user).exists()
    client.post("/accounts/mfa/disable/", {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=user).exists()
    response = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/"


def test_staff_cannot_turn_two_step_sign_in_off(world: World) -> None:
    nurse = world.staff["nurse"]
    client = sign_in(Client(), nurse)
    page = client.get("/accounts/mfa/").content.decode()
    assert "Turn off" not in page
    client.post("/accounts/mfa/disable/", {"password": PASSWORD})
    assert TOTPDevice.objects.filter(user=nurse, confirmed=True).exists()


# --- One URL per action (issue #17): start, confirm and disable each post to their own URL ------------------


def test_the_mfa_page_posts_each_step_to_its_own_url(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    page = client.get("/accounts/mfa/").content.decode()
    assert 'action="/accounts/mfa/start/"' in page
    assert 'name="action"' not in page
    assert client.post("/accounts/mfa/", {"action": "start", "password": PASSWORD}).status_code == 405
    assert not TOTPDevice.objects.filter(user=world.alice.user).exists()


def test_the_disable_url_does_not_start(world: World) -> None:
    user = world.alice.user
    client = sign_in(Client(), user)
    page = client.post("/accounts/mfa/disable/", {"action": "start", "password": PASSWORD})
    assert page.status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_the_start_url_does_not_disable(world: World) -> None:
    from keel.accounts import services

    user = world.alice.user
    services.enroll_totp(user=user)
    client = sign_in(Client(), user)
    client.post("/accounts/mfa/start/", {"action": "disable", "password": PASSWORD})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_the_confirm_url_does_not_start_or_disable(world: World) -> None:
    user = world.alice.user
    client = sign_in(Client(), user)
    page = client.post("/accounts/mfa/confirm/", {"action": "start", "password": PASSWORD})
    assert page.status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_once_locked_the_mfa_password_gets_the_lockout_page(world: World) -> None:
    """Why the page checks the password on its own request, not through accounts.services.reauthenticate
    (which checks a request of its own): a lockout answers with the lockout page, audited, as at sign-in."""
    client = sign_in(Client(), world.alice.user)
    for _ in range(5):
        client.post("/accounts/mfa/start/", {"password": "not my password!"})
    response = client.post("/accounts/mfa/start/", {"password": PASSWORD})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="locked_out").exists()
    assert not TOTPDevice.objects.filter(user=world.alice.user).exists()
