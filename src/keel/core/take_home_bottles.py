"""Take-home bottles the person still holds (42 CFR 8.12(i) limits the take-home supply a person holds at one
time): the one definition the supply check and the take-home page read (review 19a).

A bottle goes home at the last observed dose before its day: the bottles of a run of consecutive bottle
days leave the clinic together, at the observed dose the day before the run starts (or on the day the plan
was decided, for a run starting that day). Ending a plan stops its bottles covering days, but a bottle
already handed out is still in the person's hands until it is brought back unopened (or the dose of its day
is given at the window instead, the bottle returned): whatever ended the plan (a prescriber, discharge, a
hold), such a bottle keeps counting against the supply for the day it covers.

Session 24 (lane bot24): a plan's day is a take-home day only if its bottle left the clinic
(`not_handed_out_from`), never by the calendar alone. A person who misses the day her run was to go home
(no dose at all: nothing is written that day) has no bottle for the run; the house rule for a day whose
bottle never left (a clinic day, and the plan covers no day after it until a prescriber decides take-home
doses again, as a hold stops it) is derived on read from the plan's record of what left, since nothing can
write it on a day nothing happens."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

# Lane fix33b (review 33a hole 1): what the record says of one bottle day of a run (`bottle_day`)
BottleDay = Literal["brought_back", "at_home", "gone", "not_handed_out"]


def run_start(day: date, bottles: set[date]) -> date:
    """The first day of the run of consecutive bottle days that holds `day`."""
    start = day
    while start - timedelta(days=1) in bottles:
        start -= timedelta(days=1)
    return start


def hand_out_day(day: date, bottles: Collection[date], decided_on: date) -> date:
    """The day the bottle for `day` goes home: its run's first day when the plan was decided that day (at
    the decision), else the day before the run starts (at that day's observed dose)."""
    start = run_start(day, set(bottles))
    return start if start == decided_on else start - timedelta(days=1)


def handed_out(
    day: date, bottles: set[date], decided_on: date, visits: Collection[date], ended_day: date | None
) -> bool:
    """Whether the bottle for `day` left the clinic: its run starts on the day the plan was decided (handed
    out then), or the person took an observed dose the day before the run starts, on or after the decision;
    a hand-out after the plan ended (`ended_day`, the day it was ended) never happened."""
    start = run_start(day, bottles)
    given_on = start if start == decided_on else start - timedelta(days=1)
    if given_on < decided_on or (ended_day is not None and given_on > ended_day):
        return False
    return start == decided_on or given_on in visits


def left_clinic(
    day: date,
    bottles: set[date],
    decided_on: date,
    visits: Collection[date],
    ended_day: date | None,
    recorded: Collection[date],
) -> bool:
    """Whether the bottle for `day` left the clinic (lane fhir25: the one answer every reader of "handed
    out" gives, `bottles_at_home` and the FHIR export alike): the plan's record says so (`recorded`:
    `TakeHomePlan.bottle_mg`, handed out), else the observed dose on its hand-out day stands (`handed_out`;
    `visits`: the days an observed dose that still stands was taken, up to the plan's end). A bottle the
    record "took back" after a correction down left all the same when the dose it went with stands: the
    take-back is an instruction to call the person back, never a fact that it stayed in the clinic."""
    return day in recorded or handed_out(day, bottles, decided_on, visits, ended_day)


def left_on_record(
    bottles: Iterable[date],
    decided_on: date,
    *,
    recorded: Iterable[date],
    taken_back: Iterable[date],
    standing: Collection[date],
    maybe: bool = False,
) -> set[date]:
    """Lane bot25 (review 24c holes 1 and 3; moved here by lane fhir27): the plan's bottle days its record
    holds as handed out, a fact never re-recorded by a later correction, whatever ended the plan since (a
    keep back written at the correction's instant, a hold, a prescriber): every day of `recorded`
    (`TakeHomePlan.bottle_mg`), and a day the record took back (`taken_back`: `bottles_taken_back`, after a
    correction of the dose they went home with) whose run went home at the decision or at an observed dose
    that still stands (`standing`: the days an observed methadone dose was taken and neither voided nor
    corrected to 0 mg, whenever the plan ended: a same-day correction 80 -> 40 keeps the run back just
    before the dose's instant, yet the 40 mg stands and the bottles left with it). `maybe`: also a day taken
    back whose dose no longer stands (voided or corrected to 0 mg; the call-back list's reading). The
    `recorded` of `left_clinic` for every reader: `bottles_at_home`, the supply check and the FHIR export."""
    days = set(bottles)
    left = set(recorded)
    for day in taken_back:
        start = run_start(day, days | {day})
        if maybe or start == decided_on or start - timedelta(days=1) in standing:
            left.add(day)
    return left


def unrecorded_days_due(
    bottles: Iterable[date], recorded: Collection[date], ended_on: date | None, today: date
) -> bool:
    """Whether any bottle day the plan covers up to `today` is not in its record (`recorded`: the days it
    handed out or took back): the only plans `not_handed_out_from` may end, so a reader needs the observed
    doses (`visits`) only then."""
    return any(
        day <= today and day not in recorded and (ended_on is None or day <= ended_on) for day in bottles
    )


def not_handed_out_from(
    bottles: Iterable[date],
    decided_on: date,
    *,
    ended_on: date | None,
    recorded: Collection[date],
    taken_back: Collection[date],
    visits: Collection[date],
    today: date,
    written: Collection[date] = (),
) -> date | None:
    """The first bottle day the plan covers (up to `ended_on`) whose bottle never left the clinic although
    the day it was to go home (`hand_out_day`) is before `today`; None: there is none. The one definition of
    a take-home day (session 24, lane bot24): a plan's day is one only if its bottle left, never by the
    calendar alone. Which bottles left is the plan's record (`recorded`: `TakeHomePlan.bottle_mg`, handed
    out; `taken_back`: `bottles_taken_back`, handed out and taken back, whose plan's end the take back
    wrote, or left standing for a run wholly past: `doses.bottles`); a day the record is silent on (a plan
    decided before the amounts were kept, session 22, or a row written without the dose path) left when an
    observed dose was taken on its hand-out day (`handed_out`; `visits`: those days), as the FHIR export
    reads it. From that day on the plan covers nothing, until a prescriber decides take-home doses again (a
    new plan), as a hold stops it: that day is a clinic day, the days after it too, and a dose at the
    window on it is judged by the ordinary verdict (the day before, missed, is a missed day). A run whose
    hand-out day is today or later may still go home (at today's dose, or at the decision), so it is never
    such a day yet. `written`: the days a methadone dose row exists at all (given, then voided or corrected to
    0 mg outside the dose path, so the plan's record never spoke of its bottles), when the reader has them:
    such a hand-out day is not "nothing written that day" and the record cannot say whether the bottle left,
    so it does not end the plan (FHIR sends `unknown`, review 20c)."""
    days = set(bottles)
    for day in sorted(days):
        if ended_on is not None and day > ended_on:
            return None
        if hand_out_day(day, days, decided_on) >= today:
            return None  # this run and every later one can still go home
        if day in recorded or day in taken_back:
            continue  # the record says it left (or took it back, and wrote what follows)
        if not handed_out(day, days, decided_on, visits, None):
            if hand_out_day(day, days, decided_on) in written:
                continue  # session 24 (merge24b): a dose row that day the record is silent on: it cannot say
            return day
    return None


def bottles_held(
    *,
    bottles: Iterable[date],
    decided_on: date,
    ended_on: date | None,
    ended_day: date | None,
    returned: Iterable[date],
    visits: Iterable[date],
    today: date,
    recorded: Collection[date] = (),
    taken_back: Collection[date] = (),
    left: Collection[date] = (),
) -> set[date]:
    """The plan's bottle days from `today` on that count against the person's supply: a day the plan still
    covers (`ended_on`: the last one; None: the plan stands; never a day from `not_handed_out_from` on, a
    run that never left ends the plan before it), or a bottle handed out before the plan ended
    (`handed_out`; `visits`: the days an observed dose was taken while the plan stood; `left`: the days the
    plan's record holds as handed out at a dose that stands, a fact whatever ended the plan since, lane
    bot25), less the bottles brought back unopened (`returned`, which also holds a day whose dose was given
    at the window instead). `recorded`, `taken_back`: the plan's record of the bottles handed out and taken
    back."""
    days = set(bottles)
    back = set(returned)
    seen = set(visits)
    missed = not_handed_out_from(
        days,
        decided_on,
        ended_on=ended_on,
        recorded=recorded,
        taken_back=taken_back,
        visits=seen,
        today=today,
    )
    if missed is not None:  # the plan covers nothing from `missed` on; nothing left after it ended
        ended_on = missed - timedelta(days=1)
        ended_day = ended_on if ended_day is None else min(ended_day, ended_on)
    return {
        day
        for day in days
        if day >= today
        and day not in back
        and (
            ended_on is None
            or day <= ended_on
            or day in left
            or handed_out(day, days, decided_on, seen, ended_day)
        )
    }


def bottle_day(day: date, *, today: date, left: Collection[date], returned: Collection[date]) -> BottleDay:
    """Lane fix33b (review 33a hole 1): what the record says of the bottle for `day`, that day alone (never
    read from the other bottles of its run): recorded brought back unopened (`returned`: on the clinic's
    shelf); never handed out (not in `left`, the days the record holds as having left the clinic: kept back
    at the window, or its run never went home); handed over and not brought back, its day `today` or later
    (at home: the person is called back for it), or its day past (gone: handed over, never brought back,
    never to be said "brought back" nor "not handed out"). `today`: the person's own today."""
    if day in returned:
        return "brought_back"
    if day not in left:
        return "not_handed_out"
    return "at_home" if day >= today else "gone"


def not_before(
    counted: Iterable[tuple[datetime, float]], hours: float, day: date, zone: tzinfo
) -> datetime | None:
    """Lane bottle39 (re-attack 38t finding 1): the earliest moment the take-home bottle for `day` may be
    drunk, when its day follows observed doses (`counted`: each dose that counts with the bottle's day,
    when given and its mg; a dose of 0 mg counts for nothing): the last of them plus the program's
    same_day_hours, on the time line (UTC: a night the clocks change has its real length), in the
    program's time zone `zone`. None when it falls at or before the bottle's day begins (a morning dose:
    the bottle simply says its day) or no dose counts."""
    times = [when.astimezone(UTC) for when, mg in counted if mg > 0]
    if not times:
        return None
    moment = (max(times) + timedelta(hours=hours)).astimezone(zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return moment if moment > start else None
