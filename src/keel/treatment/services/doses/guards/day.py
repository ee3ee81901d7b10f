"""The day a dose at the window is given on (`DoseDay`: what its steps share, read once) and the day's
guards (`day_guards`: the episode, a take-home bottle, the dosing hours, a second agonist, the slot, whose
words are `slot_taken`; `take_home_day_guard`, the window's one take-home-day refusal, also asked by a
correction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Protocol

from django.utils.translation import gettext as _

from keel.accounts.models import User
from keel.core.decision import Reason
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride, DoseRecord, Medication, MedicationOrder
from keel.treatment.queries import DoseContext, RecordedDose
from keel.treatment.queries.contexts import _Reads
from keel.treatment.services.agonists import second_agonist_gate
from keel.treatment.services.common import (
    GUARD_RAILS,
    DoseConflict,
    GuardRailPolicy,
    guard_rail_policy,
)
from keel.treatment.services.hours import dosing_hours_gate
from keel.treatment.services.take_homes import TAKE_HOME_DAY


class VerdictDay(Protocol):
    """What the window's verdict reads of a day (`window_verdict`, `order_on_high_qtc`): a dose's `DoseDay`,
    or a take-home bottle's day (`bottles.hand_out`: no one records it, no rows but its context)."""

    @property
    def patient(self) -> Patient: ...

    @property
    def medication(self) -> str: ...

    @property
    def order(self) -> MedicationOrder: ...

    @property
    def today(self) -> date: ...

    @property
    def taken_on(self) -> date:
        """The day the dose is taken (a dose's: today; a take-home bottle's: its own day, lane fix37h): the
        day an XR-naltrexone blockade is read on (`window_verdict`)."""
        ...

    @property
    def ctx(self) -> DoseContext: ...

    @property
    def policy(self) -> GuardRailPolicy: ...


@dataclass(frozen=True)
class DoseDay:
    """What the steps of one dose at the window share: who records it, for whom, the medication, its order
    in force, the person's day and the clock, and the day's context read once (`ctx`, with the rows it was
    read from: `reads`). Frozen: the steps read it and replace none of it (`day_guards` still marks a hold
    of another medication on `ctx`, as before)."""

    by: User
    patient: Patient
    medication: str
    order: MedicationOrder
    today: date
    now: datetime
    ctx: DoseContext
    reads: _Reads
    overrides: list[DoseOverride]  # a prescriber's overrides of this medication for today, newest first

    @cached_property
    def policy(self) -> GuardRailPolicy:
        """The medication's guard-rail policy for the person (the program's, with the person's overrides:
        `guard_rail_policy`), read once for the dose when a step first needs it: the start gate's restart gap
        and the rule's verdict share it (issue #21: a buprenorphine dose read it twice)."""
        return guard_rail_policy(self.patient, GUARD_RAILS[self.medication])

    @property
    def taken_on(self) -> date:
        """A dose at the window is taken today (`VerdictDay.taken_on`)."""
        return self.today

    def recorded(self, dose: DoseRecord) -> RecordedDose:
        """The dose saved with what it read (`record_dose`'s `then`)."""
        return RecordedDose(self.patient, self.order, self.medication, self.today, self.reads, dose)


def slot_taken(slot: int) -> str:
    """DoseConflict's words for a slot of today already recorded, in the reader's language (the API's 409)."""
    return _(
        "Already given today: dose %(slot)s of today is already recorded for this person. "
        "Reload the list before recording another."
    ) % {"slot": slot}


def day_guards(
    day: DoseDay, at: datetime, sedated: bool, bottle_returned: bool, sequence: int | None
) -> tuple[int, tuple[Reason, ...]]:
    """Guard 3, the day (answered from the context read once): a person whose episode of care ended is not
    dosed; a take-home bottle covering today stops an observed methadone dose (unless the bottle came back,
    or the dose is a hold; issue #13); the program's dosing hours at `at` (issue #18); a slot already
    recorded today is DoseConflict; methadone within the program's `switch_hours` of buprenorphine waits for
    a prescriber's switch override (review 19a, 22m). Returns the slot (`sequence`, else the next one) and
    the reasons the dose's verdict carries of a cover the second-agonist gate read (lane fix37c: a switch
    override, a low-dose start's pharmacy fill); a hold on another medication today stands for this one too
    (`ctx.hold_open`)."""
    by, patient, medication, ctx, today = day.by, day.patient, day.medication, day.ctx, day.today
    if not ctx.in_episode:
        raise TreatmentInvalid(
            [FieldError("patient", N_("this person's episode of care has ended: no dose can be recorded"))]
        )
    take_home_day_guard(ctx, medication, today, bottle_returned, sedated)
    dosing_hours_gate(
        by=by, patient=patient, medication=medication, at=at, today=today, held=bool(sedated)
    )  # issue #18
    covered = (
        second_agonist_gate(  # review 19a: methadone after buprenorphine; review 22m: in hours, not days
            by=by,
            patient=patient,
            medication=medication,
            ctx=ctx,
            today=today,
            at=at,
            held=bool(sedated),
            now=day.now,  # lane fix36j item 4: the uses typed in by the recording
        )
    )
    slot = sequence or ctx.next_sequence
    if any(d.sequence == slot for d in ctx.doses_today):
        raise DoseConflict(slot_taken(slot))
    if not ctx.hold_open:  # a hold on another medication today stops this one too
        ctx.hold_open = ctx.other_hold_open
    return slot, covered


def take_home_day_guard(
    ctx: DoseContext, medication: str, today: date, bottle_returned: bool, sedated: bool
) -> None:
    """Issue #13: a take-home bottle covering `today` (from the context) stops an observed methadone dose
    given that day, unless the bottle came back unopened or the dose is a hold: the person may take two
    doses. The window's one check (`day_guards`); lane fix30d (review 30d hole 1): a held dose corrected
    into a given one asks it too (`limits.amendment_ceilings`), refused with the same words."""
    if (
        medication == Medication.METHADONE
        and not bottle_returned
        and not sedated
        and today in ctx.take_home_days
    ):
        raise TreatmentInvalid([TAKE_HOME_DAY])
