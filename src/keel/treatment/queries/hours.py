"""The dosing window's hours as the dosing page shows them (issue #18): each program's window now, its next
opening and its closure days (program settings, no patient data). `closure_dates` is also the dose path's
reading of a program's closure days (`keel.treatment.services.hours.dosing_hours_gate`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from keel.accounts.models import User
from keel.core.dosing_hours import is_open, local_moment, next_opening


def closure_dates(raw: list[str] | None) -> list[date]:
    """The program's closure days as dates (a stored value that is not a date is ignored)."""
    days = []
    for value in raw or []:
        try:
            days.append(date.fromisoformat(str(value)))
        except ValueError:
            continue
    return days


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
