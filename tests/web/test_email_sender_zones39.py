"""Lane zones39 (5): in production KEEL_EMAIL_URL names its sender (`from=`), a real address. Without it the
mail went out from a made-up local address (Django's `webmaster@localhost`, Keel's `keel@localhost`) that
real mail servers refuse or file as spam: invitations and password resets never arrive on the first day.
Refused at start (exit 2), naming KEEL_EMAIL_URL and `from=`, as the other production settings are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keel.env import ConfigError, parse_email_url
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import keel, production_env


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.parametrize(
    "url",
    [
        "smtp+tls://keel:pw@mail.clinic.example:587",
        "smtps://mail.clinic.example?from=",
        "smtp://127.0.0.1:2525?tls=0",
        "console://",
    ],
)
def test_production_refuses_mail_without_a_sender(url: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_EMAIL_URL") as caught:
        parse_email_url(url, production=True)
    assert "from=" in str(caught.value)


@pytest.mark.parametrize(
    "sender",
    [
        "keel@",
        "@clinic.example",
        "keel@clinic@example",
        "keel clinic@clinic.example",
        "keel@clinic..example",
        "keel@localhost",
        "Keel <keel@localhost>",
        "Keel <nobody>",
        "a@b.example, c@d.example",
    ],
)
def test_production_refuses_a_sender_that_is_not_one_deliverable_address(sender: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_EMAIL_URL") as caught:
        parse_email_url(f"smtps://mail.clinic.example?from={sender}", production=True)
    assert "from=" in str(caught.value)


@pytest.mark.parametrize("sender", ["keel@", "keel@clinic..example", "Keel <nobody>"])
def test_development_refuses_a_malformed_sender_too(sender: str) -> None:
    with pytest.raises(ConfigError, match="from="):
        parse_email_url(f"smtp://127.0.0.1:2525?from={sender}")


@pytest.mark.parametrize(
    ("sender", "kept"),
    [
        ("keel@clinic.example", "keel@clinic.example"),
        ("Riverside%20Clinic%20%3Ckeel@clinic.example%3E", "Riverside Clinic <keel@clinic.example>"),
    ],
)
def test_production_takes_an_address_with_or_without_a_display_name(sender: str, kept: str) -> None:
    got = parse_email_url(f"smtps://mail.clinic.example?from={sender}", production=True)
    assert got["DEFAULT_FROM_EMAIL"] == kept


def test_development_still_sends_without_a_sender() -> None:
    assert parse_email_url("console://")["DEFAULT_FROM_EMAIL"] == "keel@localhost"


def test_keel_refuses_to_start_in_production_without_a_sender(tmp_path: Path) -> None:
    env = production_env(tmp_path / "data")
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.example"
    env["KEEL_EMAIL_URL"] = "smtp+tls://keel:pw@mail.clinic.example:587"
    result = keel(env, "check")
    refused = (result.returncode, "Traceback" in result.stderr)
    assert refused == (2, False), result.stderr[-400:]
    assert "KEEL_EMAIL_URL" in result.stderr and "from=" in result.stderr


def test_keel_starts_in_production_with_the_deploy_tests_sender(tmp_path: Path) -> None:
    """tests/deploy/run.sh's KEEL_EMAIL_URL (plain SMTP to its local server, a sender given)."""
    env = production_env(tmp_path / "data")
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.example"
    env["KEEL_EMAIL_URL"] = "smtp://127.0.0.1:2525?from=keel@clinic.example"
    result = keel(env, "check")
    assert result.returncode == 0, result.stderr[-400:]
