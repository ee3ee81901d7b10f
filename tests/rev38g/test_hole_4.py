"""Hole 4: a malformed KEEL_TIME_ZONE or KEEL_SCORE_RATE ends `keel` in a Python traceback, exit 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import base_env, keel


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.parametrize(("name", "value"), [("KEEL_TIME_ZONE", "US/Chicgo"), ("KEEL_SCORE_RATE", "120/min")])
def test_a_malformed_variable_gives_a_plain_message_and_exit_2(tmp_path: Path, name: str, value: str) -> None:
    """What the operator does: a typo in the deployment's time zone (KEEL_TIME_ZONE=US/Chicgo) or writes the
    scoring limit as 120/min. What goes wrong: every `keel` command (migrate, setup, worker, serve) prints a
    Python traceback from Django's settings or django-ninja's throttle (ValueError: Incorrect timezone
    setting / Invalid rate format) and exits 1, where keel.cli promises a "configuration error" line and exit
    2 for a malformed KEEL_* variable (env.ConfigError); a supervisor restarting on exit 1 loops on it.
    Severity: low (refuses to start, but not the plain way every other variable does). What should hold: a
    plain message naming the variable, exit 2, no traceback."""
    env = base_env(tmp_path / "data")
    env[name] = value
    result = keel(env, "check")
    assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr[-400:]
