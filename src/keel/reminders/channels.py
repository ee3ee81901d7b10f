"""How a reminder reaches a person. Email through Django's mail settings (the first-day issue configures
SMTP; Keel reads nothing here); text messages through an `SmsSender` chosen by KEEL_SMS_BACKEND. A message
never carries health information: the adapters are given the words to send and the address, nothing else."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    stop_url: str


class SmsSender(Protocol):
    """A text-message provider. `send` raises on failure; Keel records the failure's class only."""

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


def sms_sender() -> SmsSender | None:
    """The configured adapter (KEEL_SMS_BACKEND, a dotted path to a class), or None: text messages off."""
    path = settings.KEEL_SMS_BACKEND
    return import_string(path)() if path else None  # type: ignore[no-any-return]


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
