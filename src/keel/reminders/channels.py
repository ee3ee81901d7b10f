"""How a reminder reaches a person. Email through Django's mail settings (the first-day issue configures
SMTP; Keel reads nothing here); text messages through an `SmsSender` chosen by KEEL_SMS_BACKEND. A message
never carries health information: the adapters are given the words to send and the address, nothing else."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from smtplib import SMTPRecipientsRefused, SMTPResponseException
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    stop_url: str


def account_url(page: str) -> str:
    """The address a message says to open: the sign-in page, whose title and words are neutral (a phone's
    link preview shows them in the message thread; the public home page is about opioids), leading to the
    person's `page` (a URL name) once signed in."""
    return f"{settings.KEEL_PUBLIC_URL.rstrip('/')}{reverse('accounts:login')}?next={reverse(page)}"


class PermanentSendError(Exception):
    """The provider refused this message for good (a bad number, a blocked sender): trying again would be
    refused the same way, so the send is marked failed at once. Its message carries no address and no
    words of the message."""


class SmsRejected(PermanentSendError):
    """The text-message provider answered 4xx (other than 429): the request or the number is refused."""


class SmsProviderBusy(Exception):
    """The text-message provider answered 429 (too many requests) or 5xx: try again later."""


def is_permanent(exc: BaseException) -> bool:
    """Whether a failed send should not be tried again: an adapter's PermanentSendError, or an SMTP server's
    5xx answer (RFC 5321: a permanent negative reply; 4xx, such as 451, is transient)."""
    if isinstance(exc, PermanentSendError):
        return True
    if isinstance(exc, SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    if isinstance(exc, SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return False


class SmsSender(Protocol):
    """A text-message provider. `send` raises on failure (PermanentSendError when trying again cannot help);
    Keel records the failure's class only."""

    def send(self, message: Message) -> None: ...


class FileSms:
    """Writes each text message as one JSON line to a file (KEEL_SMS_FILE): for tests and for trying Keel
    out; a clinic configures a provider's adapter instead."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or settings.KEEL_SMS_FILE)

    def send(self, message: Message) -> None:
        line = json.dumps({"to": message.to, "body": message.body, "at": timezone.now().isoformat()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


class TwilioSms:
    """Twilio's Messages API: POST {KEEL_TWILIO_BASE_URL}/2010-04-01/Accounts/{sid}/Messages.json with the
    form fields To, From, Body and HTTP basic auth (sid, auth token); 201 is sent. A 4xx other than 429 is
    a permanent refusal (SmsRejected: a bad number, an unverified sender); 429, 5xx, a timeout or a lost
    connection is worth another attempt. Nothing of the answer is kept beyond its status and Twilio's
    numeric error code: its message can quote the number."""

    def __init__(self) -> None:
        self.sid = settings.KEEL_TWILIO_ACCOUNT_SID
        self.token = settings.KEEL_TWILIO_AUTH_TOKEN
        self.sender = settings.KEEL_SMS_FROM
        if not (self.sid and self.token and self.sender):
            raise ImproperlyConfigured(
                "KEEL_SMS_BACKEND=twilio requires KEEL_TWILIO_ACCOUNT_SID, KEEL_TWILIO_AUTH_TOKEN "
                "and KEEL_SMS_FROM"
            )
        self.url = f"{settings.KEEL_TWILIO_BASE_URL.rstrip('/')}/2010-04-01/Accounts/{self.sid}/Messages.json"
        self.timeout = (settings.KEEL_SMS_CONNECT_TIMEOUT, settings.KEEL_SMS_READ_TIMEOUT)

    def send(self, message: Message) -> None:
        import requests

        response = requests.post(
            self.url,
            data={"To": message.to, "From": self.sender, "Body": message.body},
            auth=(self.sid, self.token),
            timeout=self.timeout,
            allow_redirects=False,
        )
        status = response.status_code
        if status in (200, 201):
            return
        code = _twilio_code(response)
        if status == 429 or status >= 500:
            raise SmsProviderBusy(f"Twilio answered {status} (code {code})")
        raise SmsRejected(f"Twilio answered {status} (code {code})")


def _twilio_code(response: object) -> str:
    """Twilio's numeric error code from an error answer, or "?"; never its message (it may quote the
    number)."""
    try:
        code = response.json().get("code")  # type: ignore[attr-defined]
    except Exception:
        return "?"
    return str(code) if isinstance(code, int) else "?"


def sms_sender() -> SmsSender | None:
    """The configured adapter (KEEL_SMS_BACKEND: `twilio`, `file` or a dotted path to a class), or None:
    text messages off."""
    path = settings.KEEL_SMS_BACKEND
    path = settings.SMS_BACKENDS.get(path, path)
    return import_string(path)() if path else None


def send_email(message: Message) -> None:
    """One email; mail clients' one-click unsubscribe (RFC 8058) posts to the stop link."""
    EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        headers={
            "List-Unsubscribe": f"<{message.stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    ).send()
