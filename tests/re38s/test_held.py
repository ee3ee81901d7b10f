"""Re-attack 38s: what held (passing; must keep passing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import override_settings

from keel.accounts.models import Program
from keel.env import ConfigError, env_bool, env_int, parse_public_url
from keel.patients.models import Patient
from keel.patients.services.activation import _code_words
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import base_env, keel


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_fresh_clone_with_no_environment_starts_on_development_defaults(tmp_path: Path) -> None:
    """`make run` on a fresh clone: no KEEL_* at all, `keel check` passes."""
    result = keel(base_env(tmp_path / "data"), "check")
    assert result.returncode == 0, result.stderr[-400:]


def test_the_worker_refuses_a_sms_backend_path_that_does_not_import(tmp_path: Path) -> None:
    """The worker process runs the same start-up checks as `keel check` / `keel serve`."""
    env = base_env(tmp_path / "data")
    env["KEEL_SMS_BACKEND"] = "keel.reminders.channels.NoSuchSms"
    result = keel(env, "worker", "--interval", "1")
    assert (result.returncode, "KEEL_SMS_BACKEND" in result.stderr) == (2, True), result.stderr[-400:]


@pytest.mark.parametrize("raw", ["True", " 1 ", "YES", "on"])
def test_a_boolean_written_any_usual_way_is_true(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_X_FLAG", raw)
    assert env_bool("KEEL_X_FLAG", default=False) is True


def test_a_misspelt_boolean_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_X_FLAG", "ture")
    with pytest.raises(ConfigError, match="KEEL_X_FLAG"):
        env_bool("KEEL_X_FLAG", default=False)


def test_a_whole_number_with_spaces_around_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_X_HOURS", " 30 ")
    assert env_int("KEEL_X_HOURS", 24, floor=1, ceiling=72) == 30


def test_a_whole_number_with_a_space_inside_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_X_HOURS", "2 4")
    with pytest.raises(ConfigError, match="KEEL_X_HOURS"):
        env_int("KEEL_X_HOURS", 24, floor=1, ceiling=72)


def test_production_keeps_an_ipv6_public_url_with_its_port() -> None:
    assert parse_public_url("https://[2001:db8::1]:8443/", production=True) == "https://[2001:db8::1]:8443"


@pytest.mark.parametrize(
    "url", ["https://[::1]:8443", "https://0.0.0.0", "https://LOCALHOST.", "HTTP://x.example"]
)
def test_production_refuses_these_public_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_PUBLIC_URL"):
        parse_public_url(url, production=True)


@override_settings(TIME_ZONE="America/New_York")
def test_an_activation_code_text_says_its_last_day_on_a_pacific_programs_clock() -> None:
    """Expiry 2026-12-08 06:00 UTC: 01:00 on Dec 8 in New York (the server), 22:00 on Dec 7 in Los Angeles."""
    patient = Patient(program=Program(time_zone="America/Los_Angeles"), preferred_language="en")
    words = _code_words(
        patient, "ABCD-EFGH", "https://keel.clinic.example/activate/", datetime(2026, 12, 8, 6, tzinfo=UTC)
    )
    assert "Dec. 7, 2026" in words, words


@override_settings(TIME_ZONE="America/New_York")
def test_an_appointment_reminder_says_the_time_on_a_pacific_programs_clock() -> None:
    """An appointment at 17:00 UTC: 09:00 in Los Angeles (the program), 12:00 in New York (the server)."""
    from keel.appointments.models import Appointment, ReminderChoice
    from keel.appointments.services.reminder_choice import message_for

    patient = Patient(program=Program(time_zone="America/Los_Angeles"), preferred_language="en")
    appointment = Appointment(patient=patient, starts_at=datetime(2026, 12, 9, 17, tzinfo=UTC))
    message = message_for(ReminderChoice(stop_token="t"), appointment, "+15555550100")
    assert "at 9 a.m. on Dec. 9, 2026" in message.body, message.body
