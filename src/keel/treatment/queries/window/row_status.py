"""A row of today's dosing window (`DosingRow`), its status and the days that are someone's today."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from keel.core import episodes
from keel.patients.models import Patient
from keel.treatment.models import (
    Medication,
    MedicationOrder,
    TakeHomePlan,
)
from keel.treatment.queries.contexts import (
    bottle_named_today,
    held_bottle_plan,
)
from keel.treatment.queries.doses import DoseContext


@dataclass(frozen=True)
class DosingRow:
    patient: Patient
    order: MedicationOrder
    today: DoseContext
    take_home: TakeHomePlan | None
    open_flags: int
    due: bool
    status: str  # due, given, held, take_home
    medication: str = Medication.METHADONE
    # review 20a: a due methadone row on a day the person still holds a bottle of an ended plan for
    # (`contexts.held_bottle_plan`): the row offers "today's bottle returned unopened" as on a take-home day
    bottle_held: bool = False
    # correction 9: whether the episode's first dose day is day 0 or day 1 for the person's program
    # (`take_homes.admission_day_number`); the row shows `day_in_treatment`, `today.treatment_day` stays the
    # raw day of the episode the day-1 / day-2 limits read
    admission_day_number: int = 0

    @property
    def day_in_treatment(self) -> int:
        """The day in treatment every screen shows for today (`episodes.counted_day`)."""
        return episodes.counted_day(self.today.treatment_day, self.admission_day_number)


WINDOW_MEDICATIONS = (Medication.METHADONE, Medication.BUPRENORPHINE)


def _days_around(now: datetime | None) -> tuple[date, date]:
    """The last and the first day that is someone's today now (a day either side of UTC's), for
    `MAY_BE_IN_FORCE_SQL` (last first) and `in_force_q(last, newer_from=first)`."""
    utc_day = (now or timezone.now()).astimezone(UTC).date()
    return utc_day + timedelta(days=1), utc_day - timedelta(days=1)


def _with_held_bottle(row: DosingRow) -> DosingRow:
    """The row, marked `bottle_held` when it is a due methadone row and the person still holds a bottle of an
    ended plan for today (review 20a; read only when the context found such a bottle may be out)."""
    if row.status != "due" or row.medication != Medication.METHADONE or not row.today.bottles_maybe_held:
        return row
    held = held_bottle_plan(row.patient, row.today, row.today.today) is not None
    # lane fix29c (review 29c hole 5): a bottle for today the call-back list names is offered back too
    held = held or bottle_named_today(row.patient, row.today, row.today.today) is not None
    return replace(row, bottle_held=held) if held else row


def _row_status(ctx: DoseContext, on_take_home: bool) -> str:
    """A row's status on the window: held (a hold stands, of any medication: the one the dose reads, review
    33e hole 6), given, a take-home day, else due."""
    return (
        "held"
        if ctx.hold_open or ctx.other_hold_open
        else "given"
        if ctx.given_today_mg > 0
        else "take_home"
        if on_take_home
        else "due"
    )
