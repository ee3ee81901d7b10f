"""Hole 1: in production Keel starts without KEEL_PUBLIC_URL (or with an http:// one) and writes every link
it sends on http://127.0.0.1:8000."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import keel, production_env


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.parametrize("public_url", [None, "http://keel.clinic.example"])
def test_production_without_an_https_public_url_refuses_to_start(
    tmp_path: Path, public_url: str | None
) -> None:
    """What the operator does: follows docs/deploy.md on the first day, sets KEEL_PRODUCTION=1 and every
    variable Keel names when it refuses to start, but forgets KEEL_PUBLIC_URL (or writes http://). Keel starts
    (`keel check` exits 0, `keel check --deploy` too) with the development default http://127.0.0.1:8000.
    What goes wrong: every link Keel sends is written on it — the staff invitations of `keel staff invite`
    (README: "a link on KEEL_PUBLIC_URL"), the patients' activation codes from `keel episode activation-code`,
    the reminders' one-click stop link (List-Unsubscribe) and their sign-in link — so the first day's staff
    cannot join, and a patient who asks to stop reminders cannot (the stop link leads to their own machine).
    The README says `https://` in production; nothing holds it, while KEEL_EMAIL_URL, KEEL_DATA_KEYS,
    KEEL_AUDIT_KEYS and KEEL_CHECKPOINT_KEY are refused when missing. Severity: high (first-day onboarding and
    patients' opt-out silently broken). What should hold: with KEEL_PRODUCTION=1, a missing or non-https
    KEEL_PUBLIC_URL refuses to start with a plain message naming it, exit 2."""
    env = production_env(tmp_path / "data")
    if public_url is not None:
        env["KEEL_PUBLIC_URL"] = public_url
    result = keel(env, "check")
    assert result.returncode == 2, result.stdout + result.stderr
