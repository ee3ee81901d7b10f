"""Shared helpers for review 13: a methadone patient dosed over several days (service calls, time pinned)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")
ALL_CRITERIA = {
    "no_active_risky_use": True,
    "regular_attendance": True,
    "no_serious_behavior_problems": True,
    "no_known_recent_diversion": True,
    "safe_transport_and_storage": True,
    "other_factors_considered": True,
}


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def methadone_order(world: Any, dose: str = "30", when: datetime | None = None) -> Any:
    from keel.treatment import services

    return services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=dose,
        starts_on=(when or at(date(2026, 11, 1))).date(),
        now=when or at(date(2026, 11, 1), 8),
    )


def dose(world: Any, mg: str, when: datetime, **kw: Any) -> Any:
    from keel.treatment import services

    return services.record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, now=when, **kw
    )


def dose_daily(world: Any, first: date, days: int, mg: str = "30") -> None:
    for i in range(days):
        dose(world, mg, at(first + timedelta(days=i)))
