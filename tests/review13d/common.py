"""Helpers for review 13d (round 4): a Riverside morning at the window, every call at a pinned time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from keel.treatment.schemas import IntakeIn

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


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def order(world: Any, medication: str, dose: str, when: datetime, **kw: Any) -> Any:
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


def dose(
    world: Any, mg: str, when: datetime, medication: str = "methadone", by: str = "nurse", **kw: Any
) -> Any:
    from keel.treatment import services

    with time_machine.travel(when, tick=False):
        return services.record_dose(
            by=world.staff[by],
            patient_id=world.alice.pk,
            amount_mg=mg,
            medication=medication,
            now=when,
            **kw,
        )


def amend(world: Any, dose_id: int, when: datetime, by: str = "nurse", **kw: Any) -> Any:
    from keel.treatment import services

    with time_machine.travel(when, tick=False):
        return services.amend_dose(
            by=world.staff[by], patient_id=world.alice.pk, dose_id=dose_id, reason=REASON, now=when, **kw
        )


def override(
    world: Any, when: datetime, *, medication: str, kind: str = "limit", mg: str = "", by: str = "prescriber"
) -> Any:
    from keel.treatment import services

    with time_machine.travel(when, tick=False):
        return services.add_override(
            by=world.staff[by],
            patient_id=world.alice.pk,
            medication=medication,
            kind=kind,
            max_total_mg=mg or None,
            reason=REASON,
            now=when,
        )


def intake(world: Any, when: datetime, **last_use: datetime) -> Any:
    from keel.treatment import services

    opioids = [{"opioid": o, "routes": ["inject"], "last_use_at": t.isoformat()} for o, t in last_use.items()]
    with time_machine.travel(when, tick=False):
        return services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted({"opioids": opioids, "pregnant": "no"}),
            now=when,
        )


def report(world: Any, when: datetime, **last_use: datetime) -> Any:
    from keel.treatment.services.last_use import record_last_use

    with time_machine.travel(when, tick=False):
        return record_last_use(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            raw={"opioids": [{"opioid": o, "last_use_at": t.isoformat()} for o, t in last_use.items()]},
            now=when,
        )


def cows(world: Any, when: datetime, answers: dict[str, int] | None = None) -> Any:
    from keel.assessments.services import submit_assessment

    with time_machine.travel(when, tick=False):
        return submit_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=answers or COWS_14
        )[0]


def days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def methadone_on(world: Any, first: date, mg: str, n: int) -> None:
    """An order of `mg` on `first`, then `n` observed days of `mg` (no titration)."""
    order(world, "methadone", mg, at(first, 8))
    for day in days(first, n):
        dose(world, mg, at(day))


def discharge(world: Any, when: datetime, by: str = "program_admin") -> Any:
    from keel.patients.schemas import DischargeIn
    from keel.patients.services.episodes import discharge as end

    with time_machine.travel(when, tick=False):
        return end(by=world.staff[by], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"}))


def readmit(world: Any, when: datetime, by: str = "program_admin") -> Any:
    from keel.patients.schemas import ReadmissionIn
    from keel.patients.services.episodes import readmit as again

    with time_machine.travel(when, tick=False):
        return again(
            by=world.staff[by],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )


def patient_policy(
    world: Any, when: datetime, rule: str, field: str, value: Any, reason: str = REASON
) -> Any:
    from keel.treatment.services import policy as policy_writes

    with time_machine.travel(when, tick=False):
        return policy_writes.override_for_patient(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            rule=rule,
            field=field,
            value=value,
            reason=reason,
            now=when,
        )
