"""Text-message and reminder-retry settings: `twilio` without its settings, and out-of-bounds values, stop
Keel naming each variable (exit 2)."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import pytest

from tests.web.test_settings import _checkpoint_key, _keel


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        KEEL_PRODUCTION="1",
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_SECRET_KEY=secrets.token_urlsafe(60),
        KEEL_ALLOWED_HOSTS="keel.example.org",
        KEEL_PUBLIC_URL="https://keel.example.org",
        KEEL_DATA_KEYS="2026-11:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_AUDIT_KEYS="2026-12:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_EMAIL_URL="smtp+tls://keel:secret@mail.example.org:587?from=keel@example.org",
        KEEL_CHECKPOINT_KEY=_checkpoint_key(tmp_path),
        **extra,
    )
    for name in (
        "KEEL_TESTING",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "KEEL_TWILIO_ACCOUNT_SID",
        "KEEL_TWILIO_AUTH_TOKEN",
    ):
        if name not in extra:
            env.pop(name, None)
    if "KEEL_SMS_FROM" not in extra:
        env.pop("KEEL_SMS_FROM", None)
    return env


def test_production_refuses_twilio_without_its_settings_naming_each(tmp_path: Path) -> None:
    result = _keel(["check"], _production(tmp_path, KEEL_SMS_BACKEND="twilio"))
    assert result.returncode == 2
    for name in ("KEEL_TWILIO_ACCOUNT_SID", "KEEL_TWILIO_AUTH_TOKEN", "KEEL_SMS_FROM"):
        assert name in result.stderr


def test_production_names_only_the_missing_one(tmp_path: Path) -> None:
    env = _production(
        tmp_path, KEEL_SMS_BACKEND="twilio", KEEL_TWILIO_ACCOUNT_SID="AC1", KEEL_TWILIO_AUTH_TOKEN="t"
    )
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert "requires KEEL_SMS_FROM" in result.stderr


def test_production_refuses_a_plain_http_twilio_address(tmp_path: Path) -> None:
    env = _production(
        tmp_path,
        KEEL_SMS_BACKEND="twilio",
        KEEL_TWILIO_ACCOUNT_SID="AC1",
        KEEL_TWILIO_AUTH_TOKEN="t",
        KEEL_SMS_FROM="+15555550199",
        KEEL_TWILIO_BASE_URL="http://api.twilio.com",
    )
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert "KEEL_TWILIO_BASE_URL" in result.stderr


def test_production_accepts_twilio_with_its_settings(tmp_path: Path) -> None:
    env = _production(
        tmp_path,
        KEEL_SMS_BACKEND="twilio",
        KEEL_TWILIO_ACCOUNT_SID="AC1",
        KEEL_TWILIO_AUTH_TOKEN="t",
        KEEL_SMS_FROM="+15555550199",
    )
    result = _keel(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KEEL_REMINDER_MAX_ATTEMPTS", "0"),
        ("KEEL_REMINDER_MAX_ATTEMPTS", "7"),
        ("KEEL_SMS_CONNECT_TIMEOUT", "31"),
        ("KEEL_SMS_READ_TIMEOUT", "0"),
    ],
)
def test_out_of_bounds_values_are_refused_by_name(tmp_path: Path, name: str, value: str) -> None:
    result = _keel(["check"], _production(tmp_path, **{name: value}))
    assert result.returncode == 2
    assert name in result.stderr
