"""Review 35f set-up: a Riverside day at the window days before today (New York time), every call at a pinned
time through the services the pages and the API call (the early re-dose override, a new induction)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from keel.patients.models import local_today
from keel.treatment.schemas import IntakeIn
from tests.conftest import World

NY = ZoneInfo("America/New_York")  # Riverside's zone
COWS_14 = {
    "pulse": 2,
    "sweating": 1,
    "restlessness": 3,
    "pupils": 2,
    "aches": 2,
    "nose_eyes": 2,
    "gi_upset": 0,
    "tremor": 1,
    "yawning": 1,
    "anxiety": 0,
    "gooseflesh": 0,
}
REASON = "Assessed at the window: withdrawal objective, plan discussed with the person"


def a_day(world: World, days_ago: int = 2) -> date:
    """A day of the program `days_ago` days before its today (relative: the suite runs under moved clocks)."""
    return local_today(world.alice) - timedelta(days=days_ago)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def order(world: World, medication: str, dose: str, when: datetime, **kw: Any) -> Any:
    from keel.treatment import services

    with time_machine.travel(when, tick=False):
        return services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication=medication,
            dose_mg=dose,
            now=when,
            **kw,
        )


def dose(world: World, mg: str, when: datetime, medication: str = "methadone", **kw: Any) -> Any:
    from keel.treatment import services

    with time_machine.travel(when, tick=False):
        return services.record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg=mg,
            medication=medication,
            now=when,
            **kw,
        )


def override(world: World, when: datetime, *, medication: str, kind: str = "limit", mg: str = "") -> Any:
    from keel.treatment import services

    with time_machine.travel(when, tick=False):
        return services.add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication=medication,
            kind=kind,
            max_total_mg=mg or None,
            reason=REASON,
            now=when,
        )


def intake(world: World, when: datetime, **last_use: datetime) -> Any:
    from keel.treatment import services

    opioids = [{"opioid": o, "routes": ["inject"], "last_use_at": t.isoformat()} for o, t in last_use.items()]
    with time_machine.travel(when, tick=False):
        return services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted({"opioids": opioids, "pregnant": "no"}),
            now=when,
        )


def cows(world: World, when: datetime, answers: dict[str, int] | None = None) -> Any:
    from keel.assessments.services import submit_assessment

    with time_machine.travel(when, tick=False):
        return submit_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=answers or COWS_14
        )[0]


def steady_on_30(world: World) -> date:
    """Methadone 30 mg written ten days ago and given daily for five days (no raise). Returns the next day
    (five days ago), a maintenance day at the order's level."""
    start = a_day(world, 10)
    order(world, "methadone", "30", at(start, 7))
    for i in range(5):
        dose(world, "30", at(start + timedelta(days=i), 9))
    return start + timedelta(days=5)


def discharge(world: World, when: datetime) -> Any:
    """The program admin discharges Alice today (reason "other")."""
    from keel.patients.schemas import DischargeIn
    from keel.patients.services.episodes import discharge as discharge_service

    with time_machine.travel(when, tick=False):
        posted = DischargeIn.posted({"reason": "other"})
        return discharge_service(by=world.staff["program_admin"], patient_id=world.alice.pk, data=posted)
