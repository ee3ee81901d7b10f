"""The dosing window's hours (issue #18): a dose outside the program's hours, in the program's zone (or on a
closure day), waits for a prescriber's override for the day (kind "hours"), like any other guard rail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.dosing_hours import hours_decision, is_open, local_moment, next_opening
from keel.patients.models import Patient
from keel.treatment.models import DoseOverride, OverrideKind
from keel.treatment.services.common import DoseBlocked, _audit


def closure_dates(raw: list[str] | None) -> list[date]:
    """The program's closure days as dates (a stored value that is not a date is ignored)."""
    days = []
    for value in raw or []:
        try:
            days.append(date.fromisoformat(str(value)))
        except ValueError:
            continue
    return days


def dosing_hours_gate(
    *, by: User, patient: Patient, medication: str, at: datetime, today: date, held: bool = False
) -> None:
    """Nothing when a dose of `medication` at `at` is inside the program's hours or a prescriber recorded an
    hours override of this medication for this person today (an override names one medication: one for a
    late buprenorphine induction dose does not open the window for the same person's methadone), or when the
    dose is held (a sedated person: nothing is given, and the hold must reach a prescriber whatever the
    hour); else the denial is audited and DoseBlocked names the hours."""
    if held:
        return
    program = patient.program
    decision = hours_decision(
        at,
        program.time_zone,
        program.dosing_opens,
        program.dosing_closes,
        closure_dates(program.closure_days),
    )
    if decision is None:
        return
    if DoseOverride.objects.filter(
        patient=patient,
        medication=medication,
        local_date=today,
        kind=OverrideKind.HOURS,
        ended_at__isnull=True,
    ).exists():
        return
    _audit(
        by,
        patient,
        Action.DENIED,
        "dose",
        outcome=Outcome.DENIED,
        reason="guard rail: outside the dosing window's hours",
    )
    raise DoseBlocked(decision)


@dataclass(frozen=True)
class WindowNote:
    """What the dosing page says about one program's window now: open or closed, its hours, when it opens
    next (local), whether today is a closure day and the closure days ahead."""

    program: str
    is_open: bool
    opens: time | None
    closes: time | None
    next_opening: datetime | None
    closed_today: bool
    closures_ahead: list[date]


def window_notes(user: User, now: datetime) -> list[WindowNote]:
    """The window of each program the staff member works in (program settings, no patient data)."""
    notes = []
    for program in user.programs.filter(is_personal=False).order_by("name"):
        closed = closure_dates(program.closure_days)
        zone = program.time_zone
        today = local_moment(now, zone).date()
        notes.append(
            WindowNote(
                program=program.name,
                is_open=is_open(now, zone, program.dosing_opens, program.dosing_closes, closed),
                opens=program.dosing_opens,
                closes=program.dosing_closes,
                next_opening=_naive(
                    next_opening(now, zone, program.dosing_opens, program.dosing_closes, closed)
                ),
                closed_today=today in closed,
                closures_ahead=sorted(d for d in closed if d > today)[:5],
            )
        )
    return notes


def _naive(moment: datetime | None) -> datetime | None:
    """The program's wall-clock time as is: a page must not move it into the reader's zone."""
    return None if moment is None else moment.replace(tzinfo=None)
