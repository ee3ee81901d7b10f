"""Issue #12: `keel demo` builds its history relative to today, so the demo looks right on any date.

Each test pins one clock (a year ahead, the night US clocks spring forward, the night they fall back, New
Year's Eve) and does everything inside it: loads the demo, then checks what it wrote. `.ci/run` also runs
this file with the whole process's clock moved (libfaketime).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

pytestmark = pytest.mark.django_db

CLOCKS = {
    "a year ahead": datetime(2027, 12, 1, 15, 0, tzinfo=UTC),
    # 01:30 EST, half an hour before the clocks spring forward
    "spring forward (New York)": datetime(2027, 3, 14, 6, 30, tzinfo=UTC),
    "fall back (New York)": datetime(2027, 11, 7, 5, 30, tzinfo=UTC),  # 01:30 EDT, the hour that repeats
    "new year's eve, late": datetime(2028, 1, 1, 4, 30, tzinfo=UTC),  # 23:30 on Dec 31 in New York
}


def _local_today(program: Any) -> date:
    from django.utils import timezone

    return timezone.localdate(timezone=ZoneInfo(program.time_zone))


def _load_demo() -> None:
    call_command("demo", "--patients", "10", "--seed", "5", stdout=StringIO())


def _problems(now: datetime) -> list[str]:
    """What on the demo would look wrong at `now`: each entry names one broken fact."""
    from keel.patients.models import Enrollment, Patient
    from keel.recovery.models import CheckIn
    from keel.treatment.models import DoseRecord

    found = []
    checkins = list(CheckIn.objects.select_related("patient__program"))
    doses = list(DoseRecord.objects.select_related("patient__program"))
    by_patient: dict[int, list[date]] = {}
    for c in checkins:
        by_patient.setdefault(c.patient_id, []).append(c.local_date)
    today = {c.patient_id: _local_today(c.patient.program) for c in checkins}
    if any(day >= today[pid] for pid, days in by_patient.items() for day in days):
        found.append("a check-in dated today or later (history runs up to yesterday)")
    if not any(today[pid] - max(days) == timedelta(days=1) for pid, days in by_patient.items()):
        found.append("nobody checked in yesterday")
    if 9 not in {(today[pid] - max(days)).days for pid, days in by_patient.items()}:
        found.append("the person 9 days quiet (journey 6) is not 9 days quiet")
    if any(c.created_at > now for c in checkins):
        found.append("a check-in written after now")
    newest_dose = max(d.local_date for d in doses)
    if newest_dose != _local_today(doses[0].patient.program) - timedelta(days=1):
        found.append(f"the newest observed dose is on {newest_dose}, not yesterday")
    if any(d.recorded_at > now or d.given_at is None or d.given_at > now for d in doses):
        found.append("a dose given or recorded after now")
    if any(
        d.given_at.astimezone(ZoneInfo(d.patient.program.time_zone)).date() != d.local_date for d in doses
    ):
        found.append("a dose given on another day than its dosing day")
    if any(e.started_on > _local_today(e.program) for e in Enrollment.objects.select_related("program")):
        found.append("an enrollment that begins after today")
    if any((now.date() - p.date_of_birth).days < 18 * 365 for p in Patient.objects.all()):
        found.append("a demo patient under 18")
    return found


@pytest.mark.parametrize("name", list(CLOCKS))
def test_the_demo_looks_right_on(name: str) -> None:
    with time_machine.travel(CLOCKS[name], tick=False):
        _load_demo()
        assert _problems(CLOCKS[name]) == []


def test_the_demo_looks_right_at_the_real_clock() -> None:
    """Under `.ci/run`'s moved-clock passes (libfaketime), "the real clock" is the moved one."""
    from django.utils import timezone

    _load_demo()
    assert _problems(timezone.now()) == []
