"""Issue #19, review 19: what a reminder's links open on a shared phone, and who gets no reminder. The
account link opens the sign-in page (neutral words, no crisis line) and leads to the person's page once
signed in, never to another site; the stop pages use a neutral layout, also for a used or made-up link; an
account the clinic turned off gets no medication or check-in reminder, not even a retry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from keel.recovery.models import Reminder
from keel.reminders import services
from keel.reminders.models import ReminderSend, SendStatus
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

EIGHT = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # 08:00 EST in New York (the program's zone)
WORDS = (b"opioid", b"overdose", b"naloxone", b"withdrawal", b"sobredosis", b"opioide", b"Keel")


@pytest.fixture
def emailed(world: World, settings: Any) -> Reminder:
    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    world.alice.user.email = "alice@example.org"
    world.alice.user.save()
    reminder = Reminder.objects.create(patient=world.alice, kind="checkin", at=time(8, 0), created_at=EIGHT)
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="email")
    return reminder


def _account_link(body: str) -> str:
    return next(u for u in re.findall(r"https://clinic\.example(\S*)", body) if "/stop/" not in u)


def test_the_account_link_is_the_sign_in_page_leading_to_my_reminders(emailed: Reminder) -> None:
    services.send_due(now=EIGHT)
    assert _account_link(mail.outbox[0].body) == "/accounts/login/?next=/me/reminders/"


def test_the_message_names_no_product(emailed: Reminder) -> None:
    services.send_due(now=EIGHT)
    assert "Keel" not in mail.outbox[0].body


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_sign_in_page_has_no_crisis_or_drug_words(db: Any, language: str) -> None:
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language).content
    assert [w for w in WORDS[:-1] if w in page.lower()] == []


def test_signing_in_from_the_link_opens_the_persons_page(world: World) -> None:
    response = Client().post(
        "/accounts/login/?next=/me/reminders/", {"username": "alice", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/me/reminders/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_signing_in_never_leads_to_another_site(world: World, target: str) -> None:
    response = Client().post(f"/accounts/login/?next={target}", {"username": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_a_staff_member_reaches_the_page_after_the_code(world: World) -> None:
    from tests.conftest import totp_now

    client = Client()
    client.post("/accounts/login/?next=/patients/", {"username": "r-nurse", "password": PASSWORD})
    device = world.devices[world.staff["nurse"].pk]
    response = client.post("/accounts/login/verify/", {"code": totp_now(device)})
    assert response.headers["Location"] == "/patients/"


@pytest.mark.parametrize("path", ["/reminders/stop/made-up/", "/appointments/stop/made-up/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_used_or_made_up_stop_link_is_not_found_in_the_neutral_layout(
    db: Any, path: str, method: str
) -> None:
    response = getattr(Client(), method)(path)
    page = response.content
    assert (response.status_code, [w for w in WORDS if w in (page if w == b"Keel" else page.lower())]) == (
        404,
        [],
    )


def test_the_stop_page_names_no_product(emailed: Reminder) -> None:
    token = emailed.delivery.stop_token
    page = Client().get(f"/reminders/stop/{token}/").content
    assert [w for w in WORDS if w in (page if w == b"Keel" else page.lower())] == []


def test_no_reminder_goes_to_a_deactivated_account(world: World, emailed: Reminder) -> None:
    world.alice.user.is_active = False
    world.alice.user.save(update_fields=["is_active"])
    assert services.send_due(now=EIGHT) == 0


def test_a_pending_retry_stops_once_the_account_is_deactivated(world: World, emailed: Reminder) -> None:
    row = ReminderSend.objects.create(
        reminder=emailed,
        local_date=EIGHT.date(),
        channel="email",
        status=SendStatus.RETRYING,
        attempts=1,
        sent_at=EIGHT,
        next_try_at=EIGHT,
    )
    world.alice.user.is_active = False
    world.alice.user.save(update_fields=["is_active"])
    services.send_due(now=EIGHT + timedelta(minutes=5))
    row.refresh_from_db()
    assert (row.status, len(mail.outbox)) == (SendStatus.STOPPED, 0)
