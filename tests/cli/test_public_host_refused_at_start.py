"""Lane fix38m (re-attack 38s): production refuses a KEEL_PUBLIC_URL no device can open or Django would answer
400 on (its host missing from KEEL_ALLOWED_HOSTS), compared as Django compares hosts, in the IDNA form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keel.env import ConfigError, parse_public_url, require_public_host_allowed
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import keel, production_env


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.parametrize(
    "url",
    [
        "https://keel_clinic.example",
        "https://keel..clinic.example",
        "https://-keel.clinic.example",
        "https://keel.clinic.example:65536",
        "https://[::1",
        "https://10.1",
        "https://2130706433",
        "https://keel.123",
    ],
)
def test_production_refuses_a_public_url_whose_host_or_port_no_device_opens(url: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_PUBLIC_URL"):
        parse_public_url(url, production=True)


@pytest.mark.parametrize(
    "url", ["https://0177.0.0.1", "https://0x7f.1", "https://[::ffff:7f00:1]", "https://[::ffff:0.0.0.0]"]
)
def test_production_reads_a_numeric_host_as_a_browser_does(url: str) -> None:
    with pytest.raises(ConfigError, match="names this machine"):
        parse_public_url(url, production=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://203.0.113.5",
        "https://[::ffff:203.0.113.5]",
        "https://kéel.clinic.example",
        "https://a-b.example.",
    ],
)
def test_production_keeps_a_public_host_that_is_a_name_or_an_address(url: str) -> None:
    assert parse_public_url(url, production=True) == url


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://keel.clinic.example:8443", ["keel.clinic.example"]),
        ("https://keel.clinic.example", [".clinic.example"]),
        ("https://keel.clinic.example", ["*"]),
        ("https://KEEL.clinic.example.", ["keel.clinic.example"]),
        ("https://kéel.clinic.example", ["xn--kel-bma.clinic.example"]),
        ("https://[2001:db8::1]:8443", ["[2001:db8::1]"]),
    ],
)
def test_a_public_host_allowed_as_django_allows_it_passes(url: str, allowed: list[str]) -> None:
    require_public_host_allowed(url, allowed)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://keel.clinic.example", ["127.0.0.1", "localhost", "[::1]", "testserver"]),
        ("https://kéel.clinic.example", ["kéel.clinic.example"]),
        ("https://clinic.example", [".keel.clinic.example"]),
    ],
)
def test_a_public_host_django_would_refuse_names_keel_allowed_hosts(url: str, allowed: list[str]) -> None:
    with pytest.raises(ConfigError, match="KEEL_ALLOWED_HOSTS"):
        require_public_host_allowed(url, allowed)


def test_production_with_a_wildcard_allowed_host_starts(tmp_path: Path) -> None:
    env = production_env(tmp_path / "data")
    env["KEEL_ALLOWED_HOSTS"] = ".clinic.example"
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.example"
    result = keel(env, "check")
    assert result.returncode == 0, result.stderr[-400:]


def test_production_refusal_of_the_host_list_is_one_plain_line(tmp_path: Path) -> None:
    env = production_env(tmp_path / "data")
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.exmaple"
    result = keel(env, "check")
    assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr[-400:]
