"""Which take-home plans belong to a person's current episode (`episode_take_home_plans`, `episode_plans`)
and the days their bottles cover (`plan_days`), for model instances and for plain values alike; a plan as
read, ended before a run that never left the clinic (`as_handed_out`); the bottles that count against the
person's supply (`held_bottles`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, Protocol, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from keel.core.rules.methadone import CLOSURE_DAY
from keel.core.take_home_bottles import (
    bottles_held,
    hand_out_day,
    left_clinic,
    left_on_record,
    not_handed_out_from,
    run_start,
    unrecorded_days_due,
)
from keel.patients.models import Patient, day_in, zone_of
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    PlanEnd,
    TakeHomePlan,
    order_in_force,
)
from keel.treatment.queries.doses import taken_doses


def episode_take_home_plans(
    ids: list[int], episodes_of: Mapping[int, tuple[int, date]], *, among: Iterable[int] | None = None
) -> list[TakeHomePlan]:
    """The take-home plans of each person's current episode (`episodes_of`: patient id -> the active
    enrollment's id and start): a plan of an earlier episode never covers a day of this one (issue #13). A
    plan stored before plans named their episode belongs to the episode in which it was decided. `among`:
    a subquery of patient ids to read instead of `ids` (plans of people not in `episodes_of` are skipped)."""
    people = among if among is not None else ids
    return episode_plans(
        TakeHomePlan.objects.filter(patient_id__in=people).order_by("decided_at", "id"), episodes_of
    )


class PlanCover(Protocol):
    """What `plan_days` reads of a plan (a TakeHomePlan, or its values: `_PlanValues`)."""

    @property
    def bottles(self) -> list[str]: ...  # ISO dates

    @property
    def ended_on(self) -> date | None: ...

    @property
    def returned_days(self) -> list[str] | None: ...  # ISO dates: bottles recorded brought back


class PlanRecord(PlanCover, Protocol):
    """What `first_missed` reads of a plan (a TakeHomePlan, or its values: `missed.CountedPlan`): its days,
    its end and its record of the bottles handed out (`bottle_mg`) and taken back (`bottles_taken_back`)."""

    @property
    def bottle_mg(self) -> dict[str, str] | None: ...

    @property
    def bottles_taken_back(self) -> dict[str, str] | None: ...


class EpisodePlan(PlanCover, Protocol):
    """What `episode_plans` reads of a plan, besides its days."""

    @property
    def patient_id(self) -> int: ...

    @property
    def enrollment_id(self) -> int | None: ...

    @property
    def decided_at(self) -> datetime: ...


class _PlanValues(NamedTuple):
    """A take-home plan as the values `episode_plans` and `plan_days` read (no model instance)."""

    patient_id: int
    enrollment_id: int | None
    decided_at: datetime
    bottles: list[str]
    ended_on: date | None
    returned_days: list[str] | None


_P = TypeVar("_P", bound=EpisodePlan)


def episode_plans(plans: Iterable[_P], episodes_of: Mapping[int, tuple[int, date]]) -> list[_P]:
    """Of these plans (oldest first), those of each person's current episode (`episode_take_home_plans`). A
    plan that names no episode (stored before plans did) is of the one in which it was decided: its
    `decided_at` on the program's calendar day (`day_in`, the one definition of a local day), never the UTC
    date (lane priv30: 23:30 in New York is the next day in UTC). The zones are read only for such plans."""
    plans = list(plans)
    zones = _zones_of(
        {
            p.patient_id
            for p in plans
            if p.enrollment_id is None and p.patient_id in episodes_of and _zone_read(p) is None
        }
    )
    kept = []
    for plan in plans:
        episode = episodes_of.get(plan.patient_id)
        if episode is None:
            continue
        enrollment_id, started_on = episode
        if plan.enrollment_id == enrollment_id or (
            plan.enrollment_id is None
            and day_in(_zone_read(plan) or zones[plan.patient_id], plan.decided_at) >= started_on
        ):
            kept.append(plan)
    return kept


def _zone_read(plan: object) -> str | None:
    """The program's time zone a plan read as values already carries (`missed.CountedPlan.time_zone`: the
    caseload's and the measures' statement), so `episode_plans` asks no statement more for it."""
    zone = getattr(plan, "time_zone", None)
    return zone if isinstance(zone, str) else None


def _zones_of(patient_ids: set[int]) -> dict[int, str]:
    """Each person's program time zone, in one query (none when no id is asked)."""
    if not patient_ids:
        return {}
    rows = Patient.objects.filter(pk__in=patient_ids).values_list("pk", "program__time_zone")
    return dict(rows)


def plan_days(plan: PlanCover) -> set[date]:
    """The days a plan's bottles cover: none after the plan ended (discharge). The one definition of a
    take-home day (with a bottle of an ended plan still held, `held_bottles`) that the window, the medication
    page, the API and FHIR read; review 23b: a run whose bottles never left ends its plan before it
    (`doses.bottles`), so a day whose bottle never left is a clinic day here too. Session 24: a run whose
    hand-out day passed with no observed dose writes nothing; its end is read onto the plan first
    (`as_handed_out`), by every reader of a plan as of a day. Lane fix29a (review 29a hole 4): a day whose
    bottle is recorded brought back (`returned_days`, on the shelf) is a clinic day, whatever the plan's end:
    the window doses her without asking for the bottle again, the missed-dose checks count it as a clinic
    day, and no run going home (`bottles.run_from`) hands it out again."""
    back = {date.fromisoformat(iso) for iso in plan.returned_days or []}
    return bottle_days(plan) - back


def bottle_days(plan: PlanCover) -> set[date]:
    """Lane fix29a: a plan's bottle days up to its end, those recorded brought back included: which bottles
    make up a run that leaves the clinic together (`bottles.run_from`) and what a hold's end extends over
    (`take_homes.suspend_take_home_plans`). Never a take-home day: that is `plan_days` (these less the days
    whose bottle is on the shelf)."""
    days = {date.fromisoformat(iso) for iso in plan.bottles or []}
    return {d for d in days if plan.ended_on is None or d <= plan.ended_on}


def closure_bottles_planned(program_id: int, days: Collection[str]) -> int:
    """Review 39a hole 2: how many bottles of the program's closure-day plans (the one dose for a day the
    clinic is closed, `supplies.CLOSURE_DAY`) are planned for `days` (ISO) and not yet handed out: once those
    days are no longer closure days they are kept back at hand-out (`bottles.hand_out.closure_called_off`)."""
    if not days:
        return 0
    plans = TakeHomePlan.objects.filter(patient__program_id=program_id, decision__decision=CLOSURE_DAY)
    return sum(
        1
        for plan in plans.only("bottles", "bottle_mg", "ended_on")
        for day in bottle_days(plan)
        if day.isoformat() in days and day.isoformat() not in (plan.bottle_mg or {})
    )


# Session 24 (lane bot24): the end a plan is read with when a run's bottles never left the clinic because
# no observed dose was taken on the day they were to go home (`as_handed_out`; derived on read, never
# stored: nothing is written on a day nothing happens). English, as every end reason (the API's
# `end_reason`); the medication page says it in the reader's language.
MISSED_HAND_OUT = (
    "The bottles from {day} were not handed out: no observed dose was taken on {hand_out_day}, the day they "
    "were to go home. The plan covers no day from {day} on; the person comes to the window until a "
    "prescriber decides take-home doses again."
)
MISSED_HAND_OUT_EARLIER_END = " The plan had been ended from {day} on: {reason}"


def methadone_given(patient_id: int, since: date | None = None) -> QuerySet[DoseRecord]:
    """Every observed methadone dose row recorded given (from `since` on, the person's days), taken or not:
    the rows `standing_doses` reads, and the days a dose row exists at all (`not_handed_out_from`'s
    `written`, the FHIR export)."""
    rows = DoseRecord.objects.filter(
        patient_id=patient_id, medication=Medication.METHADONE, status=DoseStatus.GIVEN
    )
    return rows if since is None else rows.filter(local_date__gte=since)


def standing_doses(patient_id: int, since: date | None = None) -> list[tuple[date, datetime, int]]:
    """Lane fhir29: the observed methadone doses that stand (given, neither voided nor corrected to 0 mg:
    `taken_doses`), from `since` on: each one's day, its instant (when it was recorded: the instant its
    bottles were decided) and its order. The one query of the doses bottles go home with that the medication
    page, the call-back list, the supply check (`bottles_at_home`, `held_bottles`) and the FHIR export
    read."""
    return list(
        taken_doses(methadone_given(patient_id, since)).values_list("local_date", "recorded_at", "order_id")
    )


def observed_days(patient_id: int, since: date) -> set[date]:
    """The days from `since` on on which an observed methadone dose was given and taken (neither voided nor
    corrected to 0 mg: `taken_doses`), the `visits` of `keel.core.take_home_bottles`."""
    return set(taken_doses(methadone_given(patient_id, since)).values_list("local_date", flat=True))


def dosed_at_window(patient_id: int, days: Iterable[date]) -> list[date]:
    """Lane fix28b (review 28b holes 1 and 4): the days of `days` (a run's bottle days), in order, on which a
    dose at the window stands (an observed methadone dose given, neither voided nor corrected to 0 mg:
    `observed_days`). The one day test of every path that can re-cover a run's day or restart a plan after a
    correction (`services.doses.bottles.redecide`: a keep back gone on, a void or a take-back undone, a
    prescriber's end restored, bottles restored after an end): such a day is never a take-home day again
    (she drank that day's dose at the window; its bottle at home would be a second dose), so the plan ends
    before it and its bottle, still at home, is called back."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    seen = observed_days(patient_id, wanted[0])
    return [d for d in wanted if d in seen]


def due_unrecorded(plan: PlanRecord, today: date) -> bool:
    """Whether a bottle day of `plan` up to `today` is not in its record (`unrecorded_days_due`): the only
    plans `first_missed` may end, so a reader needs the observed doses only for these."""
    recorded = {*(plan.bottle_mg or {}), *(plan.bottles_taken_back or {})}
    bottles = [date.fromisoformat(iso) for iso in plan.bottles or []]
    return unrecorded_days_due(bottles, {date.fromisoformat(iso) for iso in recorded}, plan.ended_on, today)


def first_missed(
    plan: PlanRecord,
    decided_on: date,
    today: date,
    visits: Collection[date] | Callable[[], Collection[date]],
) -> date | None:
    """The first day `plan` (a TakeHomePlan or its values) no longer covers because its bottle never left
    the clinic (`keel.core.take_home_bottles.not_handed_out_from`, the one definition of a take-home day:
    the plan's record of the bottles handed out, `bottle_mg` and `bottles_taken_back`); None: none.
    `decided_on`: the person's day the plan was decided; `visits`: the days an observed methadone dose was
    taken, or how to read them (called only for a plan with a bottle day due and not in its record,
    `due_unrecorded`). The one helper of the dose context (`missed_hand_out`), the caseload's count
    (`missed.read_as_handed_out`) and the measures (lane fhir25)."""
    if not due_unrecorded(plan, today):
        return None
    return not_handed_out_from(
        [date.fromisoformat(iso) for iso in plan.bottles or []],
        decided_on,
        ended_on=plan.ended_on,
        recorded={date.fromisoformat(iso) for iso in plan.bottle_mg or {}},
        taken_back={date.fromisoformat(iso) for iso in plan.bottles_taken_back or {}},
        visits=visits() if callable(visits) else visits,
        today=today,
    )


def missed_hand_out(
    plan: TakeHomePlan,
    zone: ZoneInfo,
    today: date,
    visits: Collection[date] | None = None,
    visits_since: date | None = None,
) -> date | None:
    """`first_missed` of a plan read as a model instance in the person's `zone`. `visits`: the days an
    observed methadone dose was taken, from `visits_since` on, when the caller read them (the dose
    context); read here only for a plan with a bottle day due and not in its record (`observed_days`)."""
    decided_on = plan.decided_at.astimezone(zone).date()

    def read() -> Collection[date]:
        if visits is None or (visits_since is not None and decided_on < visits_since):
            return observed_days(plan.patient_id, decided_on)
        return visits

    return first_missed(plan, decided_on, today, read)


def as_handed_out(
    plans: Iterable[TakeHomePlan],
    zone: ZoneInfo,
    today: date,
    visits: Collection[date] | None = None,
    visits_since: date | None = None,
) -> None:
    """Each plan as read on `today` (changed in place, never saved): one whose run never left the clinic
    (`missed_hand_out`) is read as ended the day before that run, with `MISSED_HAND_OUT` as its reason (a
    stored end later than that kept in it), no one's end (`ended_by`, `ended_at`: None) and
    `missed_hand_out`, the first day it no longer covers. The house rule for a day whose bottle never left
    (a clinic day; the plan covers no day after it until a prescriber decides take-home doses again, as a
    hold stops it), derived on read because no write happens on the day the person did not come: the window
    (`queries.contexts`, so `plan_days` and `ctx.take_home_days`), the medication page, the API and FHIR
    all read plans through it."""
    for plan in plans:
        missed = missed_hand_out(plan, zone, today, visits, visits_since)
        if missed is None:
            continue
        bottles = {date.fromisoformat(iso) for iso in plan.bottles or []}
        given_on = hand_out_day(missed, bottles, plan.decided_at.astimezone(zone).date())
        reason = MISSED_HAND_OUT.format(day=missed.isoformat(), hand_out_day=given_on.isoformat())
        earlier = plan.end_reason if plan.ended_on is not None else ""
        if plan.ended_on is not None:  # a later stored end (a prescriber's, a hold's) is kept in the reason
            from_day = (plan.ended_on + timedelta(days=1)).isoformat()
            reason += MISSED_HAND_OUT_EARLIER_END.format(day=from_day, reason=plan.end_reason or "")
        plan.ended_on, plan.ended_by, plan.ended_at = missed - timedelta(days=1), None, None
        plan.end_reason = reason
        # what the medication page says in the reader's language: the first day not covered, the day the
        # bottles were to go home, and a stored end's reason kept
        setattr(plan, "not_handed_out_from", missed)  # noqa: B010
        setattr(plan, "hand_out_day_missed", given_on)  # noqa: B010
        setattr(plan, "earlier_end_reason", earlier)  # noqa: B010


def held_bottles(patient: Patient, episode: tuple[int, date] | None, today: date) -> dict[int, set[date]]:
    """Review 19a: the bottle days from `today` on that count against the person's take-home supply, by plan
    (`keel.core.take_home_bottles.bottles_held`, the one definition): every bottle a plan of the current
    episode (`episode`: the active enrollment's id and start) still covers, and every bottle at home
    (`bottles_at_home`: handed out and not brought back) of a plan that ended, whatever ended it and
    whichever episode it belonged to (the bottle is in the person's hands all the same). Session 24: never a
    day from a run that did not leave the clinic on (`bottles_held`, `not_handed_out_from`). One read of the
    plans, one of the observed methadone doses taken while an ended plan stood (or a standing plan's bottle
    day is due and not in its record); the supply check reads this under the person's lock."""
    plans = [
        p
        for p in TakeHomePlan.objects.filter(patient=patient).order_by("decided_at", "id")
        if any(iso >= today.isoformat() for iso in p.bottles or [])
    ]
    current = {p.pk for p in episode_plans(plans, {patient.pk: episode})} if episode else set()
    plans = [p for p in plans if p.pk in current or p.ended_on is not None]
    # session 24: a standing plan with a bottle day due and not in its record reads the doses too (its run
    # may never have left the clinic, `bottles_held`)
    read_doses = [
        p
        for p in plans
        if p.ended_on is not None
        or p.bottles_taken_back
        or unrecorded_days_due(
            [date.fromisoformat(iso) for iso in p.bottles or []],
            {date.fromisoformat(iso) for iso in [*(p.bottle_mg or {}), *(p.bottles_taken_back or {})]},
            None,
            today,
        )
    ]
    visits = _visits(patient, read_doses)
    held = {}
    for plan in plans:
        days = _held(patient, plan, visits, today)
        if days:
            held[plan.pk] = days
    return held


def _visits(patient: Patient, plans: list[TakeHomePlan]) -> list[tuple[date, datetime, int]]:
    """The observed methadone doses taken since the first of `plans` was decided (`standing_doses`: their
    day, when each was recorded, the instant its bottles were decided, and the order it was given under);
    review 23b hole 3: a dose voided or corrected to 0 mg handed nothing out. None read when there is no
    plan."""
    if not plans:
        return []
    since = min(p.decided_at for p in plans).astimezone(zone_of(patient)).date()
    return standing_doses(patient.pk, since)


def _held(
    patient: Patient, plan: TakeHomePlan, visits: list[tuple[date, datetime, int]], today: date
) -> set[date]:
    """`bottles_held` of one plan from `today` on (`visits`: `_visits`)."""
    zone = zone_of(patient)
    ended_at = plan.ended_at
    standing = {day for day, _at, _o in visits}
    return bottles_held(
        bottles=[date.fromisoformat(iso) for iso in plan.bottles or []],
        decided_on=plan.decided_at.astimezone(zone).date(),
        ended_on=plan.ended_on,
        ended_day=None
        if plan.ended_on is None
        else ended_at.astimezone(zone).date()
        if ended_at is not None
        else plan.ended_on,  # discharge ends a plan on its day, without a time
        returned=[date.fromisoformat(iso) for iso in plan.returned_days or []],
        # review 22n hole 5: a dose recorded after the plan's end handed nothing out; a run kept back at a
        # dose ends its plan just before that dose's instant (`doses.bottles.hand_out_at_dose`)
        visits=[day for day, at, _o in visits if (ended_at is None or at <= ended_at) and day <= today],
        today=today,
        recorded={date.fromisoformat(iso) for iso in plan.bottle_mg or {}},
        taken_back={date.fromisoformat(iso) for iso in plan.bottles_taken_back or {}},
        left=recorded_as_left(plan, zone, standing),
    )


def recorded_as_left(
    plan: TakeHomePlan, zone: ZoneInfo, standing: Collection[date], *, maybe: bool = False
) -> set[date]:
    """Lane bot25 (review 24c holes 1 and 3): the plan's bottle days its record holds as handed out, a fact
    never re-recorded by a later correction, whatever ended the plan since (a keep back written at the
    correction's instant, a hold, a prescriber): every day of `bottle_mg`, and a day the record took back
    (`bottles_taken_back`, after a correction of the dose they went home with) whose run went home at the
    decision or at an observed dose that still stands (`standing`: the days an observed methadone dose was
    taken, `taken_doses`). `maybe`: also a day taken back whose dose no longer stands (voided or corrected
    to 0 mg): the record says it was handed out, the dose row says nothing was given, so whether it left is
    for a person to find out: the call-back list names it (`call_back`), and the end form records it
    brought back (or that it never left); the supply check and the window do not count it (review 23b: a
    person whose dose was recorded in error is dosed at the window). The one definition:
    `take_home_bottles.left_on_record` (the FHIR export reads it too, lane fhir27)."""
    return left_on_record(
        (date.fromisoformat(iso) for iso in plan.bottles or []),
        plan.decided_at.astimezone(zone).date(),
        recorded=(date.fromisoformat(iso) for iso in plan.bottle_mg or {}),
        taken_back=(date.fromisoformat(iso) for iso in plan.bottles_taken_back or {}),
        standing=standing,
        maybe=maybe,
    )


def bottles_at_home(
    patient: Patient,
    from_day: date,
    *,
    plans: Iterable[TakeHomePlan] | None = None,
    maybe: bool = False,
) -> dict[int, dict[date, Decimal]]:
    """Review 24b: the one answer to "which bottles are at home" (plan id -> day -> mg), for `from_day` or
    later: AT HOME = HANDED OUT - BROUGHT BACK. Handed out: the bottle's run left the clinic at an observed
    dose that stands (`take_home_bottles.handed_out`, the supply check's definition), whatever ended the
    plan since; a bottle the record "took back" after a correction down is still at home (the take-back is
    an instruction to call the person back) until it is recorded brought back (`returned_days`). Its mg: as
    recorded when it left (`bottle_mg`, or `bottles_taken_back` for one the record took back); a plan from
    before the amounts were kept: the dose of the methadone order in force when it left. Every reader of
    bottles at home reads this: the warnings of a new order, a QTc or a hold (`bottles_at_home_above`), the
    supply check (`held_bottles`, the same `bottles_held`), the call-back list (`call_back`), the window
    (`record_bottles_brought_back`) and the FHIR export. `plans`: every take-home plan of the person, as the
    caller read them in its transaction under the person's lock with nothing written to them since (perf24:
    the dose at the window's `every_plan`, issue #21); None: read here. Lane bot25: a bottle the plan's record
    holds as handed out is at home whatever ended the plan since (`recorded_as_left`); `maybe`: with the
    bottles recorded as handed out whose dose no longer stands (the call-back list and the record of
    bottles brought back read them; nobody else)."""
    if plans is None:
        plans = TakeHomePlan.objects.filter(patient=patient)
    due = sorted(
        (
            p
            for p in plans
            if p.patient_id == patient.pk and any(iso >= from_day.isoformat() for iso in p.bottles or [])
        ),
        key=lambda p: (p.decided_at, p.pk),
    )
    visits = _visits(patient, due)
    orders: list[MedicationOrder] = []
    found: dict[int, dict[date, Decimal]] = {}
    for plan in due:
        days = _left(patient, plan, visits, from_day, maybe=maybe)
        recorded = {**(plan.bottles_taken_back or {}), **(plan.bottle_mg or {})}
        mgs: dict[date, Decimal] = {}
        for day, left_with in sorted(days.items()):
            mg = recorded.get(day.isoformat())
            if mg is None:  # a plan from before the amounts were kept: the dose it went with (its order)
                if not orders:
                    orders = list(
                        MedicationOrder.objects.filter(patient=patient, medication=Medication.METHADONE)
                    )
                order = order_in_force(orders_by(orders, left_with, plan.decided_at), day)
                if order is None:
                    continue
                mg = str(order.dose_mg)
            mgs[day] = Decimal(mg)
        if mgs:
            found[plan.pk] = mgs
    return found


def _left(
    patient: Patient,
    plan: TakeHomePlan,
    visits: list[tuple[date, datetime, int]],
    from_day: date,
    *,
    maybe: bool = False,
) -> dict[date, int | None]:
    """The plan's bottles for `from_day` or later that left the clinic (`take_home_bottles.left_clinic`: the
    plan's record where it has the day, `recorded_as_left` (lane bot25: `bottle_mg`, or one the record took
    back whose dose stands; `maybe` as `bottles_at_home` says); else `handed_out`: at a standing dose taken
    before the plan ended, a run that never left ending it, or at the decision) and were not brought back,
    each with the order of the dose it went with (None: it went at the decision, or no standing dose of that
    day is read)."""
    zone = zone_of(patient)
    ended_at = plan.ended_at
    ended_day = (
        None
        if plan.ended_on is None
        else ended_at.astimezone(zone).date()
        if ended_at is not None
        else plan.ended_on
    )
    seen: dict[date, int] = {}
    every: dict[date, int] = {}  # whenever the plan ended: a bottle its record holds went with one of these
    for day, at, order_id in visits:
        every[day] = max(order_id, every.get(day, order_id))
        if ended_at is None or at <= ended_at:
            seen[day] = max(order_id, seen.get(day, order_id))
    bottles = {date.fromisoformat(iso) for iso in plan.bottles or []}
    back = set(plan.returned_days or [])
    recorded = recorded_as_left(plan, zone, set(every), maybe=maybe)
    decided_on = plan.decided_at.astimezone(zone).date()
    # lane fhir25: a run that never left the clinic ends the plan the day before it (`first_missed`), as the
    # supply check (`bottles_held`) and FHIR read it: no dose after that end hands a later run out (the
    # window reads the plan as ended, so none did); only the plan's record can say one left
    missed = first_missed(plan, decided_on, from_day, set(seen))
    if missed is not None:
        last = missed - timedelta(days=1)
        ended_day = last if ended_day is None else min(ended_day, last)
    left: dict[date, int | None] = {}
    for day in bottles:
        if day < from_day or day.isoformat() in back:
            continue
        # merge24b: the plan's record where it speaks (`bottle_mg`: handed out), else the observed dose
        # (`handed_out`): `left_clinic`, the one answer to "which bottles left" (FHIR reads it too, fhir25)
        if left_clinic(day, bottles, decided_on, set(seen), ended_day, recorded):
            start = run_start(day, bottles)
            before = start - timedelta(days=1)
            left[day] = None if start == decided_on else seen.get(before, every.get(before))
    return left


def orders_by(
    orders: list[MedicationOrder], left_with: int | None, decided_at: datetime
) -> list[MedicationOrder]:
    """Review 24b hole 1: the orders written by the time a bottle left: those up to the order of the dose it
    went with (`left_with`), or, a bottle handed out at the decision, those written by then (never one
    written after it left; none such: all, as before the orders were kept)."""
    if left_with is not None:
        return [o for o in orders if o.pk <= left_with] or orders
    return [o for o in orders if o.created_at <= decided_at] or orders


def call_back(patient: Patient, today: date) -> dict[int, dict[date, Decimal]]:
    """Review 24b hole 6: the call-back list kept where the next shift sees it (the medication page, the API):
    by ended plan, the bottles at home (`bottles_at_home`, from `today` on) for days the plan no longer
    covers, whatever ended it (a prescriber, a hold, discharge, a correction down's take-back): the person
    is to be called back to bring them in, until they are recorded brought back. Lane bot25 (review 24c):
    with the bottles recorded as handed out whose dose no longer stands (`bottles_at_home`'s `maybe`: a
    person finds out whether they left, and records them brought back or never gone), and, of a plan a
    hold ended (`PlanEnd.HOLD`), the bottles at home for the days after the hold's day: the plan keeps
    covering them (the window gives no observed dose on their day unless the bottle comes back), and the
    person is asked to bring them back before those days (`doses.bottles.AT_HOME_AFTER_HOLD`)."""
    zone = zone_of(patient)
    ended = {
        p.pk: _called_back_after(p, zone)
        for p in TakeHomePlan.objects.filter(patient=patient, ended_on__isnull=False)
    }
    found: dict[int, dict[date, Decimal]] = {}
    for pk, days in bottles_at_home(patient, today, maybe=True).items():
        last = ended.get(pk)
        beyond = {d: mg for d, mg in days.items() if last is not None and d > last}
        if beyond:
            found[pk] = beyond
    return found


def _called_back_after(plan: TakeHomePlan, zone: ZoneInfo) -> date | None:
    """The last day of an ended plan whose bottle at home is not called back: the last day it covers, or for
    a hold's end the day of the hold (`call_back`). Lane fix30a (review 30a, for the product owner): a
    plan a hold ended keeps the hold's day (`earlier_end["held_on"]`, `holds._end_by_hold`) under any end
    written later (a prescriber's): the bottles at home after it stay called back until brought back."""
    last = plan.ended_on
    if plan.end_kind == PlanEnd.HOLD and plan.ended_at is not None and last is not None:
        last = min(last, plan.ended_at.astimezone(zone).date())
    held = (plan.earlier_end or {}).get("held_on")
    if held and last is not None:
        last = min(last, date.fromisoformat(str(held)))
    return last


def bottles_at_home_above(
    patient: Patient,
    medication: str,
    from_day: date,
    dose_mg: Decimal,
    *,
    plans: Iterable[TakeHomePlan] | None = None,
) -> list[tuple[date, Decimal]]:
    """Review 22n hole 6: the methadone take-home bottles at home (`bottles_at_home`: handed out, not
    brought back; review 24b hole 2: one the record took back after a correction down too, until it is
    brought back) for `from_day` or later that hold more than a new order of `medication` at `dose_mg` gives
    (a new order of another medication: every such bottle, a second agonist at home), in day order: what
    the prescriber of that order must be told, to call the person back or swap the bottle. `plans`: every
    take-home plan of the person as the caller read them (perf24, `bottles_at_home`); None: read here."""
    found: dict[date, Decimal] = {}
    for days in bottles_at_home(patient, from_day, plans=plans).values():
        for day, held in days.items():
            if medication != Medication.METHADONE or held > dose_mg:
                found[day] = max(held, found.get(day, Decimal(0)))
    return sorted(found.items())


def bottles_not_before(
    patient: Patient | int, today: date, zone: ZoneInfo | None = None
) -> list[tuple[date, datetime]]:
    """Lane bottle39: the take-home bottles of `today` or later she was told not to take before a moment
    (`TakeHomePlan.bottle_not_before`, written when handed out): each bottle's day and that moment in the
    person's zone, in day order; a bottle no longer recorded handed out, or brought back, says nothing.
    `patient` an id with its program's `zone` (her own page has both read already: one statement)."""
    if isinstance(patient, Patient):
        zone, patient = zone_of(patient), patient.pk
    assert zone is not None, "an id needs its program's zone"
    found: dict[date, datetime] = {}
    for plan in TakeHomePlan.objects.filter(patient_id=patient).exclude(bottle_not_before={}):
        for iso, moment in (plan.bottle_not_before or {}).items():
            day = date.fromisoformat(iso)
            if day >= today and iso in (plan.bottle_mg or {}) and iso not in (plan.returned_days or []):
                found[day] = datetime.fromisoformat(moment).astimezone(zone)
    return sorted(found.items())
