"""Guards that held under review 38g (they pass today and must keep passing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from keel.accounts import services
from keel.accounts.models import Program
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import base_env, keel, production_env


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_debug_in_production_refuses_to_start_with_exit_2(tmp_path: Path) -> None:
    """KEEL_DEBUG=1 beside KEEL_PRODUCTION=1: a plain message, exit 2."""
    env = production_env(tmp_path / "data")
    env["KEEL_DEBUG"] = "1"
    result = keel(env, "check")
    assert (result.returncode, "Traceback" in result.stderr) == (2, False)


def test_a_malformed_database_url_refuses_to_start_with_exit_2(tmp_path: Path) -> None:
    """A KEEL_DATABASE_URL with an unknown scheme: a plain message naming it, exit 2."""
    env = base_env(tmp_path / "data")
    env["KEEL_DATABASE_URL"] = "mysql://keel@localhost/keel"
    result = keel(env, "check")
    assert (result.returncode, "KEEL_DATABASE_URL" in result.stderr) == (2, True)


def test_production_without_email_url_refuses_to_start_with_exit_2(tmp_path: Path) -> None:
    env = production_env(tmp_path / "data")
    del env["KEEL_EMAIL_URL"]
    result = keel(env, "check")
    assert (result.returncode, "KEEL_EMAIL_URL" in result.stderr) == (2, True)


@pytest.mark.django_db
def test_setup_run_twice_changes_nothing_the_second_time() -> None:
    fields = {
        "slug": "riverside",
        "name": "Riverside Recovery",
        "time_zone": "America/Chicago",
        "username": "dana",
        "email": "dana@riverside.example",
        "password": "a-long-enough-pass-phrase-38",
    }
    services.setup_first_program(**fields)
    again = services.setup_first_program(**fields)
    assert (again.created, again.totp_secret, Program.objects.filter(is_personal=False).count()) == (
        False,
        None,
        1,
    )


@pytest.mark.django_db
def test_healthz_says_the_worker_is_down_when_none_beat() -> None:
    body = Client().get("/healthz").json()
    assert (body["status"], body["worker"]) == ("degraded", "down")
