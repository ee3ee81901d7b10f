"""The guard-rail rule of a dose at the window: the medication's rule (`GUARD_RAILS`) run with the program's
policy on the day's context (`dose_decision`), and the verdicts that stop a dose (`BLOCKING`). The window runs
it on a dose (`window.record_dose`) and a correction runs it again on that day's context
(`limits.window_limits_over`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from keel.core import rules
from keel.core.decision import Decision
from keel.core.rules.buprenorphine import NOT_READY_TO_DOSE, StartGate
from keel.core.rules.buprenorphine.day_limits import counted_phase
from keel.core.rules.inputs import FieldError, check_fields
from keel.core.rules.methadone import DosePolicy as MethadoneDosePolicy
from keel.core.rules.methadone import comparison_days, counted_total_mg, titration_from_day
from keel.core.rules.methadone.dose_inputs import DoseInput as MethadoneDoseInput
from keel.core.rules.qtc import NEEDS_NEW_ORDER
from keel.core.rules.window import (
    HOLD_OPEN,
    REFUSED,
    counted_with_earlier_day,
    earlier_day_counts,
    given_within_hours,
)
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseStatus
from keel.treatment.queries import DoseContext
from keel.treatment.services.common import GUARD_RAILS, GuardRailPolicy, guard_rail_policy

BLOCKING = ("needs_override", NEEDS_NEW_ORDER, "needs_reassessment", REFUSED, HOLD_OPEN, NOT_READY_TO_DOSE)


def dose_decision(
    patient: Patient,
    medication: str,
    ctx: DoseContext,
    amount: Decimal,
    sedated: bool,
    documented: bool,
    start: StartGate | None = None,
    hours_since_last: float | None = None,
    ordered_mg: Decimal | None = None,
    *,
    settings: GuardRailPolicy | None = None,
    redose_override: bool = False,
    given_before_mg: Decimal | None = None,
    at: datetime | None = None,
) -> Decision:
    """The guard-rail rule of this medication, with the program's policy. `start`: the buprenorphine start
    gate (`start.start_gate_and_read`, the core's `StartGate`: the first dose's inputs, the induction's phase,
    a low-dose step); `hours_since_last`: since the last dose of this medication given, whatever the day (the
    re-dose interval); `ordered_mg`: the active order's dose (a dose past it needs the prescriber's override
    for the day); `settings`: that policy, when the caller read it already (`guards.DoseDay.policy`); None:
    read here; `redose_override`: a prescriber's early re-dose override for today (the only cover of the
    re-dose interval; `documented`, a limit override, is not one: lane meth35). Methadone's titration counts
    from `titration_from_day`: the episode's first dose or the latest new induction after missed days
    (`DoseContext.reinduction_on`, the one count of a new induction, the QTc gate's too). `given_before_mg`:
    methadone given that day before this dose by time given (lane fix36i: the day's first dose, the window's
    `queries.doses.mg_given_before`); None: `ctx.given_today_mg`. `at`: when the dose is given (lane
    fix38e): methadone of the previous program day within the program's same_day_hours before it counts with
    the day (`window.given_within_hours`, the one definition); None: today's doses alone."""
    name = GUARD_RAILS.get(medication)
    if name is None:
        raise TreatmentInvalid(
            [FieldError("medication", N_("doses at the window are methadone or buprenorphine"))]
        )
    common: dict[str, object] = {
        "given_today_mg": float(ctx.given_today_mg),
        "requested_mg": float(amount),
        "sedated_or_intoxicated": sedated,
        "documented_rationale": documented,
        "redose_override": redose_override,
        "hold_open": ctx.hold_open,
    }
    if hours_since_last is not None:
        common["hours_since_last_dose"] = hours_since_last
    if ordered_mg is not None:
        common["ordered_mg"] = float(ordered_mg)
    if medication == "methadone":
        read = guard_rail_policy(patient, name) if settings is None else settings
        settings = cast(MethadoneDosePolicy, read)  # methadone's guard rail: its dose check's policy
        raw: dict[str, object] = {**common, **_methadone_inputs(ctx, settings, at)}
        if given_before_mg is not None:
            raw["given_before_mg"] = float(given_before_mg)
        return rules.get(name).run(raw, settings)
    read = guard_rail_policy(patient, name) if settings is None else settings
    raw = {**common, **(start or {}), "phase": buprenorphine_phase(ctx, start)}
    return _buprenorphine_decision(name, ctx, raw, read, at)


def _buprenorphine_decision(
    name: str, ctx: DoseContext, raw: dict[str, object], read: GuardRailPolicy, at: datetime | None
) -> Decision:
    """Buprenorphine's rule on `raw`, with the previous program day's doses within the program's
    same_day_hours before `at` counted with the day (lane fix38e, `day_limits.counted_phase`: a dose within
    them of a first dose day's is that day's) and said; a low-dose schedule's step within them of the
    previous step counts that step's day (lane fix38o: `start._step_by_hours` gives that step)."""
    if raw.get("schedule_mg") is not None:
        within = earlier_day_mg(ctx, read, at)
        raw["given_today_mg"] = float(ctx.given_today_mg + within)
    else:
        phase, counted, within = buprenorphine_counted(ctx, read, at, str(raw["phase"]), ctx.given_today_mg)
        raw["phase"], raw["given_today_mg"] = phase, float(counted)
    if within <= 0:
        return rules.get(name).run(raw, read)
    decision = rules.get(name).run(raw, read)
    said = earlier_day_counts(float(within), float(read["same_day_hours"]))
    return replace(decision, reasons=(said, *decision.reasons))  # said first, as methadone's


def buprenorphine_counted(
    ctx: DoseContext, read: GuardRailPolicy, at: datetime | None, phase: str, given: Decimal
) -> tuple[str, Decimal, Decimal]:
    """The buprenorphine day limit's phase and the mg counted with a dose given at `at` before it (lane
    fix38h: the one count of the rule, the override check and a correction): `given` of its own day, with
    the previous program day's within the program's same_day_hours (`earlier_day_mg`; a dose within them of
    a first dose day's is that day's, with that day's whole total: `day_limits.counted_phase`). Also the
    previous day's mg that counted (0: none, the phase and `given` as they were)."""
    within = earlier_day_mg(ctx, read, at)
    if within <= 0:
        return phase, given, within
    first = None if ctx.previous_day_mg is None else float(ctx.previous_day_mg)
    counted, mg = counted_phase(phase, float(given), float(within), first)
    return counted, Decimal(str(mg)), within


def buprenorphine_phase(ctx: DoseContext, start: StartGate | None) -> str:
    """The phase the buprenorphine rule reads: the start gate's (the induction's, counted in dosing days),
    else the treatment day's (a low-dose schedule's step gives none)."""
    if start is not None and "phase" in start:
        return start["phase"]
    return "day1" if ctx.treatment_day == 1 else "day2" if ctx.treatment_day == 2 else "maintenance"


def _methadone_inputs(
    ctx: DoseContext, settings: MethadoneDosePolicy, at: datetime | None
) -> dict[str, object]:
    """The methadone dose check's inputs read from the day's context: the treatment day, the titration's
    comparison doses and window, missed days, the start titration counts from, and (lane fix38e) the
    previous program day's methadone within the program's same_day_hours before `at`."""
    since = ctx.today - timedelta(days=int(settings["titration_window_days"]))
    within = earlier_day_mg(ctx, settings, at)
    observed = comparison_days(ctx.observed, ctx.today, within > 0)  # lane fix38l: like with like
    window = [mg for day, mg in observed.items() if day >= since]
    last = observed[max(observed)] if observed else None
    restart = ctx.reinduction_on(int(settings["missed_reinduction_days"]))
    return {
        "treatment_day": ctx.treatment_day,
        "previous_day_mg": None if ctx.previous_day_mg is None else float(ctx.previous_day_mg),
        "missed_days_in_a_row": ctx.missed_days_in_a_row,
        "last_observed_mg": None if last is None else float(last),
        "days_since_last_increase": ctx.days_since_last_increase,
        "titration_from_day": titration_from_day(ctx.first_dose_on, restart),
        "window_low_mg": float(min(window)) if window else None,
        "given_within_hours_mg": float(within),
        "given_today_with_earlier_day_mg": float(with_earlier_day_mg(ctx, settings, at)),
    }


def methadone_counted(ctx: DoseContext, settings: GuardRailPolicy, at: datetime, amount: Decimal) -> Decimal:
    """The methadone day's total with a dose of `amount` at `at` as the rule counts it (lane fix38l, left by
    fix38h: `methadone.counted_total_mg`, the rule's one count, on the inputs the rule reads): a dose that
    counts as the first day's by the hours counts that whole day's total, so the override the rule's
    refusal asks for is the one that passes."""
    policy = cast(MethadoneDosePolicy, settings)
    raw: dict[str, object] = {
        "given_today_mg": float(ctx.given_today_mg),
        "requested_mg": float(amount),
        "sedated_or_intoxicated": False,
        "documented_rationale": False,
        "hold_open": False,
        **_methadone_inputs(ctx, policy, at),
    }
    v = cast(MethadoneDoseInput, check_fields(rules.get(GUARD_RAILS["methadone"]).inputs, raw))
    return Decimal(str(counted_total_mg(v, policy)))


def with_earlier_day_mg(ctx: DoseContext, settings: GuardRailPolicy, at: datetime | None) -> Decimal:
    """The mg of the day's doses taken before `at` that counted with the previous program day's (lane fix38h:
    `window.counted_with_earlier_day`, with the program's same_day_hours; from the rows the context read).
    0 for a policy without same_day_hours, no time given or no dose of the previous day."""
    hours = settings.get("same_day_hours")
    if at is None or not isinstance(hours, int | float) or not ctx.earlier_taken:
        return Decimal(0)
    today = [
        (d.given_at or d.recorded_at, float(ctx.mg_today.get(d.pk, Decimal(0))))
        for d in ctx.doses_today
        if d.status == DoseStatus.GIVEN
    ]
    earlier = [(when, float(mg)) for when, mg in ctx.earlier_taken]
    return Decimal(str(counted_with_earlier_day(today, earlier, at, float(hours))))


def earlier_day_mg(ctx: DoseContext, settings: GuardRailPolicy, at: datetime | None) -> Decimal:
    """The previous program day's methadone that counts with a dose given at `at` (lane fix38e, review 38e:
    `within_hours_mg` on the rows the context read)."""
    return within_hours_mg(ctx.earlier_taken, settings, at)


def within_hours_mg(
    doses: Iterable[tuple[datetime, Decimal]], settings: GuardRailPolicy, at: datetime | None
) -> Decimal:
    """The mg of another program day's `doses` (each: when given, else recorded, and its mg) that count with
    a dose given at `at`: `window.given_within_hours`, the one definition (before or after it, lane fix38l),
    with the program's same_day_hours. 0 for a policy without same_day_hours or no time given."""
    hours = settings.get("same_day_hours")
    if at is None or not isinstance(hours, int | float):
        return Decimal(0)
    return Decimal(str(given_within_hours(((when, float(mg)) for when, mg in doses), at, float(hours))))


def override_counted_mg(
    total: Decimal,
    earlier: Iterable[tuple[datetime, Decimal]],
    settings: GuardRailPolicy,
    written: datetime,
    at: datetime | None,
) -> Decimal:
    """The total a day's limit override is compared with (lane fix38o, re-attack 38t finding 3): the union of
    the doses counted when it was written (the previous program day's `earlier` doses within the program's
    same_day_hours before `written`, plus its day's) and those counted for a dose at `at` (`total`). An
    override the prescriber wrote on 23:00's 80 mg plus a 20 mg top-up does not cover a full dose at 13:00
    once 23:00 has left the hours: 80 + 20 + 80 is compared with its max."""
    hours = settings.get("same_day_hours")
    if at is None or not isinstance(hours, int | float):
        return total
    window = timedelta(hours=float(hours))
    dropped = (
        mg for when, mg in earlier if timedelta(0) <= written - when < window and not abs(at - when) < window
    )
    return total + sum(dropped, Decimal(0))
