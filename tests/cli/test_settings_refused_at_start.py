"""Lane fix38g (review 38g): a KEEL_* setting that would fail later, inside a request or at the first text
message, is refused at start instead: `keel` in a fresh process prints keel.cli's one "configuration error"
line naming the variable and exits 2, with no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keel.env import ConfigError, parse_public_url, parse_rate
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import base_env, keel, production_env


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _refusal(env: dict[str, str]) -> tuple[int, bool, str]:
    result = keel(env, "check")
    return result.returncode, "Traceback" in result.stderr, result.stderr


# --- KEEL_PUBLIC_URL in production ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://",
        "https:///path",
        "https://localhost",
        "https://127.0.0.1:8443",
        "https://[::1]",
        "https://keel.localhost",
        "https://keel.clinic.example/keel",
        "https://keel.clinic.example?x=1",
        "https://user@keel.clinic.example",
        "keel.clinic.example",
    ],
)
def test_production_refuses_a_public_url_that_is_not_a_public_https_origin(url: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_PUBLIC_URL"):
        parse_public_url(url, production=True)


def test_production_keeps_an_https_public_url_without_its_trailing_slash() -> None:
    assert parse_public_url("https://keel.clinic.example:8443/", production=True) == (
        "https://keel.clinic.example:8443"
    )


def test_development_keeps_an_http_loopback_public_url() -> None:
    assert parse_public_url("http://127.0.0.1:8000", production=False) == "http://127.0.0.1:8000"


def test_production_without_a_public_url_says_which_variable(tmp_path: Path) -> None:
    code, traceback, stderr = _refusal(production_env(tmp_path / "data"))
    assert (code, traceback, "KEEL_PUBLIC_URL" in stderr) == (2, False, True), stderr[-400:]


def test_production_starts_with_the_deployment_tests_kind_of_public_url(tmp_path: Path) -> None:
    """tests/deploy/run.sh's value: a name that is not the loopback's, on a port of its own."""
    env = production_env(tmp_path / "data")
    env["KEEL_ALLOWED_HOSTS"] = "keel.clinic.test"
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.test:8443"
    result = keel(env, "check")
    assert result.returncode == 0, result.stderr[-400:]


# --- rates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "parsed"), [("5/h", (5, 3600)), ("120/m", (120, 60)), (" 3 / d ", (3, 86400))]
)
def test_a_rate_is_a_count_over_a_period(raw: str, parsed: tuple[int, int]) -> None:
    assert parse_rate("KEEL_SIGNUP_RATE", raw) == parsed


@pytest.mark.parametrize("raw", ["10/hour", "120/min", "0/h", "10 per hour", "/h", "5"])
def test_a_malformed_rate_names_its_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_SCORE_RATE"):
        parse_rate("KEEL_SCORE_RATE", raw)


@pytest.mark.parametrize("name", ["KEEL_SIGNUP_RATE", "KEEL_SCORE_RATE"])
def test_every_rate_setting_is_refused_at_start_when_malformed(tmp_path: Path, name: str) -> None:
    env = base_env(tmp_path / "data")
    env[name] = "10/hour"
    code, traceback, stderr = _refusal(env)
    assert (code, traceback, name in stderr) == (2, False, True), stderr[-400:]


# --- KEEL_SMS_BACKEND ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["twillio", "keel.reminders.channels.NoSuchSms", "no.such.module.Sms"])
def test_an_unknown_sms_backend_is_refused_listing_the_choices(tmp_path: Path, name: str) -> None:
    env = base_env(tmp_path / "data")
    env["KEEL_SMS_BACKEND"] = name
    code, traceback, stderr = _refusal(env)
    assert (code, traceback, "twilio, file" in stderr) == (2, False, True), stderr[-400:]


def test_a_dotted_path_to_an_sms_class_is_accepted(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    env["KEEL_SMS_BACKEND"] = "keel.reminders.channels.FileSms"
    result = keel(env, "check")
    assert result.returncode == 0, result.stderr[-400:]


# --- KEEL_TIME_ZONE ---------------------------------------------------------------------------------


def test_a_misspelt_time_zone_names_its_variable(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    env["KEEL_TIME_ZONE"] = "America/Los_Angelos"
    code, traceback, stderr = _refusal(env)
    assert (code, traceback, "KEEL_TIME_ZONE" in stderr) == (2, False, True), stderr[-400:]
