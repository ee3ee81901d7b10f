"""The Twilio adapter (KEEL_SMS_BACKEND=twilio) against a local server that answers like Twilio's Messages
API: the request it makes, what counts as sent, retried or refused for good, timeouts, and no number or
words in the stored error or the logs."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time as clock
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured

from keel.recovery.models import Reminder
from keel.reminders import channels, services
from keel.reminders.models import ReminderSend, SendStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db

EIGHT = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
PHONE = "+15555550101"
SID, TOKEN, FROM = "ACtest0123", "secret-token", "+15555550199"
CREATED = (201, {"sid": "SM0123", "status": "queued"})


class Twilio:
    """Records each request; answers with the next of `answers` (the last repeats), after `delay` seconds."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, Any]]] = [CREATED]
        self.delay = 0.0


@pytest.fixture
def twilio(settings: Any) -> Iterator[Twilio]:
    state = Twilio()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(
                {
                    "path": self.path,
                    "auth": self.headers.get("Authorization"),
                    "form": parse_qs(self.rfile.read(length).decode()),
                }
            )
            status, body = state.answers[min(len(state.requests) - 1, len(state.answers) - 1)]
            clock.sleep(state.delay)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.KEEL_SMS_BACKEND = "twilio"
    settings.KEEL_TWILIO_ACCOUNT_SID, settings.KEEL_TWILIO_AUTH_TOKEN, settings.KEEL_SMS_FROM = (
        SID,
        TOKEN,
        FROM,
    )
    settings.KEEL_TWILIO_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.KEEL_SMS_CONNECT_TIMEOUT, settings.KEEL_SMS_READ_TIMEOUT = 1, 1
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def by_sms(world: World) -> Reminder:
    world.alice.phone = PHONE
    world.alice.save()
    reminder = Reminder.objects.create(
        patient=world.alice, kind="medication", at=time(8, 0), created_at=EIGHT
    )
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="sms")
    return reminder


def _row() -> ReminderSend:
    return ReminderSend.objects.get()


def test_a_201_is_sent(twilio: Twilio, by_sms: Reminder) -> None:
    assert services.send_due(now=EIGHT) == 1


def test_it_posts_to_the_accounts_messages_resource(twilio: Twilio, by_sms: Reminder) -> None:
    services.send_due(now=EIGHT)
    assert twilio.requests[0]["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"


def test_it_authenticates_with_sid_and_token(twilio: Twilio, by_sms: Reminder) -> None:
    services.send_due(now=EIGHT)
    assert twilio.requests[0]["auth"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()


def test_it_sends_to_from_and_body(twilio: Twilio, by_sms: Reminder) -> None:
    services.send_due(now=EIGHT)
    form = twilio.requests[0]["form"]
    assert (form["To"], form["From"]) == ([PHONE], [FROM])


def test_the_body_has_the_stop_link_and_no_health_information(twilio: Twilio, by_sms: Reminder) -> None:
    services.send_due(now=EIGHT)
    body = twilio.requests[0]["form"]["Body"][0]
    assert "/reminders/stop/" in body
    assert "medication" not in body.lower()


def test_a_400_is_refused_for_good(twilio: Twilio, by_sms: Reminder) -> None:
    twilio.answers = [(400, {"code": 21211, "message": f"The 'To' number {PHONE} is not valid."})]
    for minutes in (0, 1, 11, 21):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert (len(twilio.requests), _row().status) == (1, SendStatus.FAILED)


def test_a_400_stores_the_class_only(twilio: Twilio, by_sms: Reminder) -> None:
    twilio.answers = [(400, {"code": 21211, "message": f"The 'To' number {PHONE} is not valid."})]
    services.send_due(now=EIGHT)
    assert _row().error == "SmsRejected"


def test_a_400_logs_no_number(twilio: Twilio, by_sms: Reminder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    twilio.answers = [(400, {"code": 21211, "message": f"The 'To' number {PHONE} is not valid."})]
    services.send_due(now=EIGHT)
    assert PHONE not in caplog.text
    assert "reminder you asked for" not in caplog.text


def test_the_refusal_names_the_status_and_code_only(twilio: Twilio, by_sms: Reminder) -> None:
    twilio.answers = [(400, {"code": 21211, "message": f"The 'To' number {PHONE} is not valid."})]
    sender = channels.TwilioSms()
    with pytest.raises(channels.SmsRejected) as raised:
        sender.send(channels.Message(to=PHONE, subject="", body="words", stop_url=""))
    assert str(raised.value) == "Twilio answered 400 (code 21211)"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_429_or_5xx_is_tried_again(twilio: Twilio, by_sms: Reminder, status: int) -> None:
    twilio.answers = [(status, {"code": 20429, "message": "Too Many Requests"}), CREATED]
    services.send_due(now=EIGHT)
    assert (_row().status, _row().error) == (SendStatus.RETRYING, "SmsProviderBusy")


def test_a_429_then_201_is_sent_on_the_retry(twilio: Twilio, by_sms: Reminder) -> None:
    twilio.answers = [(429, {"code": 20429, "message": "Too Many Requests"}), CREATED]
    services.send_due(now=EIGHT)
    assert services.send_due(now=EIGHT + timedelta(minutes=1)) == 1


def test_a_read_timeout_is_tried_again(twilio: Twilio, by_sms: Reminder) -> None:
    twilio.delay = 1.5  # KEEL_SMS_READ_TIMEOUT is 1 here
    services.send_due(now=EIGHT)
    assert (_row().status, _row().error) == (SendStatus.RETRYING, "ReadTimeout")


def test_a_server_that_is_not_there_is_tried_again(twilio: Twilio, by_sms: Reminder, settings: Any) -> None:
    settings.KEEL_TWILIO_BASE_URL = "http://127.0.0.1:1"
    services.send_due(now=EIGHT)
    assert (_row().status, _row().error) == (SendStatus.RETRYING, "ConnectionError")


@pytest.mark.parametrize("missing", ["KEEL_TWILIO_ACCOUNT_SID", "KEEL_TWILIO_AUTH_TOKEN", "KEEL_SMS_FROM"])
def test_the_adapter_refuses_to_start_without_its_settings(
    twilio: Twilio, settings: Any, missing: str
) -> None:
    setattr(settings, missing, "")
    with pytest.raises(ImproperlyConfigured):
        channels.TwilioSms()
