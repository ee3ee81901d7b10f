"""Hole 3: a misspelt KEEL_SMS_BACKEND walks around the "twilio needs its three variables" refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import keel, production_env


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_an_unknown_sms_backend_refuses_to_start(tmp_path: Path) -> None:
    """What the operator does: turns text messages on with KEEL_SMS_BACKEND=Twilio (capitalised, or
    "twillio"). Keel starts in production (`keel check` exits 0), although KEEL_SMS_BACKEND=twilio without
    its credentials is refused at start (README: "Keel refuses to start without them, naming each"): the name
    is only imported when a text is about to go (keel.reminders.channels.sms_sender, import_string).
    What goes wrong: the patient's appointments page (/me/appointments/, appointments.views calls
    sms_sender()) answers 500, the front desk's activation code fails mid-way, and every reminder pass of the
    worker fails. Severity: medium (patient pages down; the refusal meant to catch a half-configured text
    channel is walked around by a spelling). What should hold: an unknown KEEL_SMS_BACKEND (neither twilio,
    file nor an importable dotted path) refuses to start naming the variable, exit 2."""
    env = production_env(tmp_path / "data")
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.example"
    env["KEEL_SMS_BACKEND"] = "Twilio"
    result = keel(env, "check")
    assert result.returncode == 2, result.stdout + result.stderr
