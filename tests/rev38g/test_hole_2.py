"""Hole 2: a malformed KEEL_SIGNUP_RATE is accepted at start; it fails later, inside requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import base_env, keel


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_malformed_signup_rate_refuses_to_start(tmp_path: Path) -> None:
    """What the operator does: sets KEEL_SIGNUP_RATE=10/hour (or "10 per hour") where README asks N/s, N/m,
    N/h or N/d. Keel starts (`keel check` exits 0): the value is parsed only when a request spends a token
    (keel.selfguided.limits._rate raises ValueError). What goes wrong: on the first day every staff member who
    opens their invitation and chooses a name gets a 500 (take_invitation_try), as does every patient who
    enters a desk activation code and every self-guided sign-up; nothing tells the operator why until the
    logs are read. Every other KEEL_* number (env_int) refuses to start naming the variable. Severity: medium
    (the clinic's staff cannot join; found late, through 500s). What should hold: a malformed KEEL_SIGNUP_RATE
    refuses to start with a plain message naming it, exit 2."""
    env = base_env(tmp_path / "data")
    env["KEEL_SIGNUP_RATE"] = "10/hour"
    result = keel(env, "check")
    assert result.returncode == 2, result.stdout + result.stderr
