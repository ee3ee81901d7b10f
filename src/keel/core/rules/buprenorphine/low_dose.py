"""A low-dose ("micro") start: the clinician's schedule as entered, that it rises gradually, today's step
counted in doses given (and the restart after missed days), and a correction's day total against the
step the window applied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TypedDict

from keel.core.decision import Reason
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_


class ScheduleInput(TypedDict):
    """The dose input a low-dose schedule's step reads besides the step and its amount (buprenorphine-dose-limit's
    `DoseInput` has them all)."""

    schedule_missed_days: int
    documented_rationale: bool


class ScheduleStep(TypedDict):
    """One day of a low-dose schedule as `parse_schedule` keeps it (`MedicationOrder.schedule`): the day
    (1-60) and its planned total in mg."""

    day: int
    mg: float


class LowDoseStep(TypedDict):
    """Today's step of a low-dose schedule as buprenorphine-dose-limit's inputs (`DoseInput`): the step's
    planned total, the step (counted in doses given) and the days missed since the last step given."""

    schedule_mg: float
    schedule_step: int
    schedule_missed_days: int


class SchedulePolicy(TypedDict):
    """The policy value a low-dose schedule's step reads."""

    restart_gap_days: float


_STEP_SOURCES = ("hammig-2016", "asam-2023-fentanyl")


def _schedule_step(
    v: ScheduleInput, p: SchedulePolicy, step: int, planned: float
) -> tuple[tuple[Reason, ...], bool]:
    """A low-dose schedule's step today in plain words (counted in doses given, issue #13), and whether the
    days missed since the last step reach the restart gap (a prescriber restarts the schedule). `step` and
    `planned`: the input's schedule_step and schedule_mg (given, the caller checks)."""
    missed = v["schedule_missed_days"]
    if step > 1 and missed >= p["restart_gap_days"]:
        return (_restart_gap_reached(v, p, step),), True
    return (_step_today(step, planned, missed),), False


def _restart_gap_reached(v: ScheduleInput, p: SchedulePolicy, step: int) -> Reason:
    """The days missed reach the restart gap: a prescriber restarts the schedule at step 1, or documented a
    reason to go on (logged)."""
    if v["documented_rationale"]:
        template = gettext_noop(
            "A low-dose start: %(missed)s days without a dose since step %(last)s was given; a prescriber "
            "documented a reason to go on at step %(step)s today (logged)."
        )
    else:
        template = gettext_noop(
            "A low-dose start: %(missed)s days without a dose since step %(last)s was given (the program "
            "restarts after %(gap)s days). Going on with the schedule can bring on precipitated "
            "withdrawal: a prescriber restarts it at step 1 (a new order) or records an override for today "
            "with a reason."
        )
    return Reason.said(
        template,
        ("keel-bup-restart", *_STEP_SOURCES),
        missed=v["schedule_missed_days"],
        last=step - 1,
        step=step,
        gap=p["restart_gap_days"],
    )


def _step_today(step: int, planned: float, missed: int) -> Reason:
    """Today's step of the schedule: the first, the next after missed days (never the calendar day's higher
    one), or the next after the last given."""
    if step == 1:
        return Reason.said(
            gettext_noop(
                "A low-dose start: today is step 1 of the schedule (%(planned)s mg), no step given yet."
            ),
            _STEP_SOURCES,
            planned=planned,
        )
    if missed:
        return Reason.said(
            gettext_noop(
                "A low-dose start: today is step %(step)s of the schedule (%(planned)s mg). %(missed)s days were "
                "missed since the last step given, so the schedule goes on from the step after it, not from the "
                "calendar day's higher step (after missed days a higher step can bring on precipitated "
                "withdrawal)."
            ),
            _STEP_SOURCES,
            step=step,
            planned=planned,
            missed=missed,
        )
    return Reason.said(
        gettext_noop(
            "A low-dose start: today is step %(step)s of the schedule (%(planned)s mg), the step after the "
            "last one given."
        ),
        _STEP_SOURCES,
        step=step,
        planned=planned,
    )


def low_dose_total_over(total_mg: float, planned_mg: float) -> Reason | None:
    """Why a low-dose schedule's day total of `total_mg` is over the `planned_mg` the schedule planned for that
    day's step (None when within): a correction meets the step the window applied (issue #13)."""
    if total_mg <= planned_mg:
        return None
    return Reason.said(
        gettext_noop(
            "A low-dose start: that day's total would be %(mg)s mg, above the %(planned)s mg the schedule "
            "planned for that day. Needs a prescriber's override for that day, with a reason."
        ),
        ("hammig-2016", "asam-2023-fentanyl"),
        mg=total_mg,
        planned=planned_mg,
    )


SCHEDULE_MAX_RISE = 2  # a low-dose step is at most twice the step before it (review 13d)


def schedule_rise_problem(steps: Sequence[ScheduleStep]) -> str:
    """Why a low-dose schedule is not one ("" when it is): it rises gradually, each day's planned total at
    most twice the one before it (the published schedules double at most: Bernese 0.2-0.4-0.8 mg, 0.5-1-2-4
    mg; reference 9.5, Hammig 2016). A jump from 0.5 mg to 24 mg is a standard start with no readiness
    verdict, while the full agonist is still on board."""
    for before, step in pairwise(steps):
        if step["mg"] > SCHEDULE_MAX_RISE * before["mg"]:
            return (
                f"a low-dose start rises gradually: day {step['day']}'s {step['mg']:g} mg is more than twice the "
                f"{before['mg']:g} mg planned before it"
            )
    return ""


def parse_schedule(raw: object) -> list[ScheduleStep]:
    """A clinician-entered low-dose ("micro") start: [{"day": 1, "mg": 0.5}, ...], days 1-60 in order, once each,
    0.01-32 mg. Keel ships no table (reference 9.5: any day-by-day table is unverified)."""
    from keel.core.rules.inputs import FieldError, InvalidInput

    if raw in (None, "", []):
        return []
    if not isinstance(raw, list):
        raise InvalidInput([FieldError("schedule", N_("must be a list of {day, mg}"))])
    errors: list[FieldError] = []
    out: list[ScheduleStep] = []
    last = 0
    for i, step in enumerate(raw):
        day = step.get("day") if isinstance(step, Mapping) else None
        mg = step.get("mg") if isinstance(step, Mapping) else None
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 60 or day <= last:
            errors.append(FieldError(f"schedule[{i}].day", N_("days 1 to 60, each once, in order")))
            continue
        if isinstance(mg, bool) or not isinstance(mg, int | float) or not 0.01 <= mg <= 32:
            errors.append(FieldError(f"schedule[{i}].mg", N_("between 0.01 and 32 mg")))
            continue
        last = day
        out.append(ScheduleStep(day=day, mg=float(mg)))
    if errors:
        raise InvalidInput(errors)
    return out
