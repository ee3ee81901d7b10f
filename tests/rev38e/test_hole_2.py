"""Review 38e hole 2 (HIGH): methadone's first-day limit (40 mg total, correction 6) split at the program's
midnight: 60 mg in 2.5 hours to a person on her first day of methadone.

What the nurse does: a new methadone order of 30 mg a day. The program sets no dosing hours (the default).
Alice's first dose ever, 30 mg, is given at 23:00 New York time; at 01:30 (the next program day) the nurse
records 30 mg again.

What goes wrong: the second 30 mg is allowed ("within the program's limits"): it is treatment day 2, so the
first day's limits (first dose <= 30 mg, first-day total <= 40 mg; 50 mg the rule's bound) no longer apply,
the comparison is "yesterday's" 30 mg (a titration step of 0) and the order's 30 mg a day counts from
midnight. A methadone-naive person takes 60 mg within 2.5 hours: induction deaths follow a first day that is
too high (Baxter 2013, correction 7).

What should hold: the first day's limits read the first 24 hours from the first dose (times, not calendar
days), or at least a dose within the first day's hours counts towards the first-day total: 60 mg within
2.5 hours of the first dose needs a prescriber's override (DoseBlocked)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_second_30_mg_two_and_a_half_hours_after_a_first_dose_at_23_00_is_blocked(world: World) -> None:
    day = days_ago(3)
    with time_machine.travel(at(day, 20), tick=False):
        prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30"
        )
    with time_machine.travel(at(day, 23), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=False), pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
