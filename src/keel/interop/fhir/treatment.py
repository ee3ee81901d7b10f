"""Methadone taken at home and the QTc as FHIR R4 (review 20c: an emergency department reading Keel's record
must see Sunday's take-home bottle, not only Friday's observed dose, and the QTc that governs the dose).

- Each take-home bottle day a person was given (or will be handed, under a plan that stands) is a
  MedicationDispense: `authorizingPrescription` the order in force that day (`models.order_in_force`), the day
  the bottle covers in `dosageInstruction[0].timing.event` and its text, one day's supply. Which bottles left
  the clinic is Keel's one definition, `keel.core.take_home_bottles` (`handed_out`; a plan that ended stops
  covering days, a bottle already handed out stays in the person's hands). Status: `completed` when handed out
  (at the observed dose the day before its run, or on the day the plan was decided: `left_clinic`, the answer
  `bottles_at_home` gives; lane fhir25: also a bottle the record took back after a correction down of a dose
  that still stands, with a `note`), `stopped` when brought back unopened or the day's dose was given at the
  window instead (`returned_days`; `whenHandedOver` when it had left), `entered-in-error` when the record
  said it was handed over with a dose since voided or corrected to 0 mg (`_taken_back`), `preparation` when a
  standing plan will hand it out, `unknown` when a plan covers it but the record cannot say whether it left
  (a row written outside the dose path), `cancelled` when the plan stopped covering its day before it left
  the clinic (review 23a hole 1: sent, not left out, so a system that upserts by id hears that a bottle it
  was told of will never go home; session 24: also a run whose hand-out day passed with no observed dose,
  which ends its plan before it, `take_home_bottles.not_handed_out_from`, where it was `unknown`). Which
  bottles left is read from the one record of them, the plan's (`bottle_dispenses` says how and why; review
  22t holes 1 and 2).
- Each QTc reading is an Observation: LOINC 8636-3, the value in UCUM `ms`, the day measured.

Sources: `fhir-r4` (MedicationDispense, Observation, their required status codes).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from keel.core.take_home_bottles import (
    hand_out_day,
    left_clinic,
    left_on_record,
    not_handed_out_from,
    run_start,
)
from keel.interop.fhir.base import LOINC, RXNORM, UCUM, instant, last_updated, ref
from keel.treatment.models import RXNORM as RXNORM_CODES
from keel.treatment.models import Medication, MedicationOrder, order_in_force
from keel.treatment.queries.take_home_plans import first_missed
from keel.treatment.services.doses.bottles import goes_home_at_a_dose_today

if TYPE_CHECKING:
    from keel.treatment.models import QtcRecord, TakeHomePlan

QTC_LOINC = "8636-3"
METHADONE = "methadone"
RETURNED = "Bottle brought back unopened, or the day's dose given at the window instead"
NOT_RECORDED = "The plan covers this day; no observed dose is recorded on the day the bottle was to go home"
TAKEN_BACK = (
    "Recorded as handed over, then taken off the record: the dose it went home with was corrected or voided, "
    "and the record no longer covers this bottle by it. The care team calls the person back for any bottle "
    "they hold"
)
NOT_HANDED_OUT = (
    "The take-home plan stopped covering this day before the bottle left the clinic (a prescriber ended the "
    "plan, a dose was held, the run was kept back at the window, no observed dose was taken on the day it "
    "was to go home, or the episode of care ended): it was not handed over and will not be"
)
# Lane fhir25 (review 24c hole 5): a bottle the record took back after the dose it went home with was
# corrected down, whose dose still stands: it left the clinic (`left_clinic`), so it is `completed` and at
# home until it is recorded brought back (`bottles_at_home`); this note says why the plan no longer covers
# its day.
STILL_AT_HOME = (
    "Handed over with the observed dose of {day}. That dose was corrected afterwards and the take-home plan "
    "no longer covers this day, but the bottle is in the person's hands until it is recorded brought back: "
    "the care team calls the person back to bring it in"
)
TAKEN_BACK_AGAIN = (
    "Recorded as handed over, then taken off the record: the dose it went home with was corrected or voided. "
    "It goes home again only with an observed dose before its day"
)


def bottle_id(plan_id: int, day: date) -> str:
    """`bottle-<plan>-<yyyymmdd>`: a FHIR id in the shape Keel's ids take (`prefix-<n>-<suffix>`)."""
    return f"bottle-{plan_id}-{day:%Y%m%d}"


@dataclass(frozen=True)
class _PlanRead:
    """What the export reads of one plan, once: its bottle days, the person's day it was decided and the day
    it was ended (`ended_day`: the person's day of `ended_at`; a discharge ends a plan on its day, without a
    time), the observed doses that count for it (`seen`), the bottles brought back (`back`), and whether its
    run due today can still go home (`goes_home_today`)."""

    plan: TakeHomePlan
    days: list[date]
    bottles: frozenset[date]
    decided_on: date
    ended_on: date | None  # the last day it covers, as read (`not_handed_out_from`)
    ended_day: date | None  # the last day a bottle could leave at (the page's `first_missed`, lane fhir29)
    seen: set[date]
    back: set[date]
    goes_home_today: bool
    changed: datetime | None = None  # the plan's last audited change (`record._changes`), when read
    recorded: frozenset[date] = frozenset()  # what its record holds as handed out (`left_on_record`)


def _ended_day(plan: TakeHomePlan, zone: ZoneInfo) -> date | None:
    """The person's day the plan ended on (the day of its end's instant); a discharge ends a plan on its day,
    without a time; None while it stands."""
    if plan.ended_on is None:
        return None
    if plan.ended_at is not None:
        return plan.ended_at.astimezone(zone).date()
    return plan.ended_on


def _read_plan(
    plan: TakeHomePlan,
    visits: list[tuple[date, datetime]],
    zone: ZoneInfo,
    today: date,
    changed: datetime | None = None,
    written: Collection[date] = (),
) -> _PlanRead:
    """Step 1, one plan. Review 22n hole 5: a dose counts when it was recorded (the instant its bottles were
    decided) no later than the plan's end; a run kept back at a dose ends its plan just before that dose's
    instant (`doses.bottles.hand_out_at_dose`), so that dose handed nothing out. Review 23b hole 3: a plan
    ended today by nothing given today (its dose corrected to 0 or voided) still hands today's run out at a
    dose given later today (`doses.bottles.goes_home_at_a_dose_today`): that run is as a standing plan's."""
    days = sorted(date.fromisoformat(iso) for iso in plan.bottles or [])
    decided_on = plan.decided_at.astimezone(zone).date()
    seen = {d for d, at in visits if plan.ended_at is None or at <= plan.ended_at}
    recorded = _recorded_days(plan, days, decided_on, visits)
    ended_on = _ended_on_missed(plan, days, decided_on, seen, today, written)
    ended_day, ended_on = _ended_before_never_left(
        plan, days, decided_on, seen, today, _ended_day(plan, zone), ended_on
    )
    return _PlanRead(
        plan=plan,
        days=days,
        bottles=frozenset(days),
        decided_on=decided_on,
        ended_on=ended_on,
        ended_day=ended_day,
        seen=seen,
        back={date.fromisoformat(iso) for iso in plan.returned_days or []},
        goes_home_today=goes_home_at_a_dose_today(plan, today),
        changed=changed,
        recorded=frozenset(recorded),
    )


def _recorded_days(
    plan: TakeHomePlan, days: list[date], decided_on: date, visits: list[tuple[date, datetime]]
) -> set[date]:
    """Lane fhir27: what the plan's record holds as handed out, read as `bottles_at_home` and the supply
    check read it (`take_home_plans.recorded_as_left`, the same `left_on_record` and every standing dose): a
    bottle taken back whose dose stands left, whenever the plan ended (a same-day correction 80 -> 40 keeps
    the run back just before the correction's instant, which `seen` may read as before the dose itself)."""
    return left_on_record(
        days,
        decided_on,
        recorded=(date.fromisoformat(iso) for iso in plan.bottle_mg or {}),
        taken_back=(date.fromisoformat(iso) for iso in plan.bottles_taken_back or {}),
        standing={d for d, _at in visits},
    )


def _ended_on_missed(
    plan: TakeHomePlan,
    days: list[date],
    decided_on: date,
    seen: set[date],
    today: date,
    written: Collection[date],
) -> date | None:
    """Session 24 (lane bot24): a run whose bottles never left (no dose at all on its hand-out day, a day
    now past) ends the plan before it, as every reader reads it (`not_handed_out_from`, the one definition
    of a take-home day): its days and the later ones are `cancelled`. A silent day whose hand-out day has a
    dose row (given, then voided outside the dose path: `written`) stays `unknown` (review 20c). The plan's
    last covered day so read (its own `ended_on` when no run was missed)."""
    missed = not_handed_out_from(
        days,
        decided_on,
        ended_on=plan.ended_on,
        recorded={date.fromisoformat(iso) for iso in plan.bottle_mg or {}},
        taken_back={date.fromisoformat(iso) for iso in plan.bottles_taken_back or {}},
        visits=seen,
        today=today,
        written=written,
    )
    return plan.ended_on if missed is None else missed - timedelta(days=1)


def _ended_before_never_left(
    plan: TakeHomePlan,
    days: list[date],
    decided_on: date,
    seen: set[date],
    today: date,
    ended_day: date | None,
    ended_on: date | None,
) -> tuple[date | None, date | None]:
    """Lane fhir29: whether a bottle left is the medication page's reading (`take_home_plans._left`, which
    `bottles_at_home`, the call-back list and the supply check read): a run that never left ends the plan
    the day before it by the one helper, `first_missed` (a dose row voided on its hand-out day handed
    nothing out), so no dose after that end hands a later run out; the status of a day `written` leaves
    silent stays `unknown` (`_ended_on_missed`, review 20c). Returns (`ended_day`, `ended_on`) so read."""
    never_left = first_missed(plan, decided_on, today, seen)
    if never_left is None:
        return ended_day, ended_on
    last = never_left - timedelta(days=1)
    ended_day = last if ended_day is None else min(ended_day, last)
    # the page's plan covers no later run (`as_handed_out`): their days are `cancelled`, never `unknown`
    # ("no observed dose is recorded") nor `completed`; that run's own days, silent, as `ended_on` says
    run = max(d for d in days if run_start(d, set(days)) == run_start(never_left, set(days)))
    return ended_day, run if ended_on is None else min(ended_on, run)


def _taken_back(covered: bool, given_on: date, today: date) -> tuple[str, str]:
    """Step 2a, a day the record said was handed over and then took back, and whose bottle did not leave
    the clinic by the one answer (`left_clinic`: the dose it was to go home with was voided or corrected to
    0 mg, so no standing dose handed it out; one that left is `completed`, `_bottle_day`). Sent, not left
    out, because the record once said it was handed over (an earlier export may hold `completed` for its
    id): `entered-in-error`, R4's "the dispense was entered in error and therefore nullified", is what the
    record knows: the hand-out was recorded with a dose that was itself recorded in error (not `cancelled`,
    "not and will never be picked up", kept for a bottle whose plan stopped covering its day with nothing
    recorded; not `declined`, a dispenser's refusal). The one exception: a plan that still covers the day
    and whose run can still go home (its hand-out day is today or later) sends `preparation`, as any bottle
    the standing plan will hand out, with the reason; handed out again, it is `completed` again under the
    same id."""
    if covered and given_on >= today:
        return "preparation", TAKEN_BACK_AGAIN
    return "entered-in-error", TAKEN_BACK


def _status(read: _PlanRead, day: date, given_on: date, covered: bool, today: date) -> tuple[str, str]:
    """Step 2b, any other day. Review 28b holes 2 and 6: one order of questions: a bottle recorded brought
    back (`returned_days`) is `stopped` first, as the same-day path says it, before asking whether it was
    covered or left. Handed over when the plan's record says so (`bottle_mg`, as
    `services.doses.bottles.redecide_bottles` decides it at every change of the day's given total); a day
    the record is silent on (a plan decided before the amounts were kept, session 22, or a row written
    without the dose path) is told from the observed doses (`take_home_bottles.handed_out`, a dose counted up
    to the plan's end).

    Review 23a hole 1: a day the plan no longer covers (a prescriber's end, a hold, a discharge, a run kept
    back at the window) and that never left the clinic is `cancelled`, not left out: while the plan stood an
    export sent it as `preparation` (or `unknown`) under the same id, and a system that upserts by id keeps
    whatever it was last told. Of R4's statuses `cancelled` says what the record knows: "the dispensed
    product was not and will never be picked up by the patient" (not `declined`, a dispenser's refusal; not
    `stopped`, Keel's word for a bottle brought back or whose dose was given at the window; not
    `entered-in-error`, kept for a bottle the record took back; not `on-hold`: a new plan is a new
    decision). Should the end be undone (a run kept back at a lower split-dose total resumed the same day),
    the plan covers the day again and it is `preparation` again under the same id."""
    if day in read.back:  # review 28b holes 2 and 6: brought back is asked first, whatever came since
        return "stopped", RETURNED
    out_of_clinic = _left(read, day)
    if not covered and not out_of_clinic:  # the plan ended before this bottle left the clinic
        return "cancelled", NOT_HANDED_OUT
    if out_of_clinic:
        return "completed", ""
    if given_on >= today:
        return "preparation", ""
    return "unknown", NOT_RECORDED


def _still_covers(read: _PlanRead, day: date) -> bool:
    """Review 25c hole 1: whether the plan still covers a day the record took back, as the call-back list
    reads it (`take_home_plans.call_back`: a bottle recorded as handed out, `recorded_as_left(maybe=True)`,
    for a day past the plan's end is one a person must find out about). Such a day is `entered-in-error`
    (its dose was voided or corrected to 0 mg), never `preparation`, even when a dose given later today
    would hand the run out again (`goes_home_today`): handed out again, it is `completed` again."""
    return read.ended_on is None or day <= read.ended_on


def _left(read: _PlanRead, day: date) -> bool:
    """Whether the bottle for `day` left the clinic: `take_home_bottles.left_clinic`, the answer
    `bottles_at_home` gives (the plan's record where it speaks, `left_on_record`: `bottle_mg`, or a bottle
    it took back whose dose stands, lane fhir27; else the observed dose on its hand-out day, counted up to
    the plan's end)."""
    return left_clinic(day, set(read.bottles), read.decided_on, read.seen, read.ended_day, read.recorded)


def _bottle_day(read: _PlanRead, day: date, orders: list[MedicationOrder], today: date) -> dict[str, Any]:
    """Step 2, one bottle day of one plan: the day it goes home (`hand_out_day`), whether the plan still
    covers it, its status and the order in force that day (else on its hand-out day). The status follows
    the one record of what left the clinic (`left_clinic`, as `bottles_at_home` reads it; lane fhir25,
    review 24c hole 5): a bottle handed out is `completed` until it is recorded brought back (`stopped`),
    whatever ended the plan since, a bottle the record took back after a correction down included (its
    dose stands: it is in the person's hands, the call-back list names it; a `note` says why the plan no
    longer covers its day). A bottle the record took back that never left (`_taken_back`) and any other
    day (`_status`) as they say."""
    plan, iso = read.plan, day.isoformat()
    given_on = hand_out_day(day, read.bottles, read.decided_on)
    covered = read.ended_on is None or day <= read.ended_on or (read.goes_home_today and given_on == today)
    taken_back = plan.bottles_taken_back or {}
    taken_back_mg, note = None, ""
    if iso not in (plan.bottle_mg or {}) and iso in taken_back and day not in read.back:
        taken_back_mg = Decimal(taken_back[iso])
        if _left(read, day):  # handed out at a dose that stands: at home until brought back
            status, reason, note = "completed", "", STILL_AT_HOME.format(day=given_on.isoformat())
        else:  # review 25c hole 1: the call-back list's reading (`call_back`), not a run still to go
            status, reason = _taken_back(_still_covers(read, day), given_on, today)
    else:
        status, reason = _status(read, day, given_on, covered, today)
    order = order_in_force(orders, day) or order_in_force(orders, given_on)
    res = _dispense(plan, day, given_on, status, reason, order, taken_back_mg)
    if note:
        res["note"] = [{"text": note}]
    if status == "stopped" and _left(read, day):  # brought back: it had left the clinic, and when
        res["whenHandedOver"] = given_on.isoformat()
    # session 24: when the plan's record last changed (its decision, its end, and what the audit trail
    # holds of it: a hand-out, a take-back, a bottle back, a hold, a discharge); the plan keeps one row for
    # all its days, so a change of one day moves every day's time, never to before a change of its own
    return last_updated(res, plan.decided_at, plan.ended_at, read.changed)


def bottle_dispenses(
    plans: Iterable[TakeHomePlan],
    orders: list[MedicationOrder],
    visits: list[tuple[date, datetime]],
    zone: ZoneInfo,
    today: date,
    changed: Mapping[int, datetime] | None = None,
    written: Collection[date] = (),
) -> list[dict[str, Any]]:
    """The bottle days of these plans a person was given or will be handed, as MedicationDispense resources,
    in plan and day order. `orders`: the person's methadone orders; `visits`: the days (and the instants
    recorded) an observed methadone dose was given and neither voided nor corrected to 0 mg; `today`: the
    person's today; `changed`: each plan's last audited change (`meta.lastUpdated`); `written`: the days a
    methadone dose row exists at all (`not_handed_out_from`). Which bottles left the
    clinic is read from the one record of them, the plan's (review 22t holes 1 and 2). In steps: each plan
    read once (`_read_plan`), each of its days as one dispense (`_bottle_day`), then one dispense per bottle
    day, whichever plans list it (`_one_per_day`)."""
    found: list[tuple[date, dict[str, Any]]] = []
    for plan in plans:
        read = _read_plan(plan, visits, zone, today, (changed or {}).get(plan.pk), written)
        found += [(day, _bottle_day(read, day, orders, today)) for day in read.days]
    return _one_per_day(found)


def _one_per_day(found: list[tuple[date, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Step 3, one dispense per bottle day (session 24). A day two plans list (one ended before its bottle
    left the clinic, `cancelled`, and the new plan a prescriber decided since, which may give that day again:
    `take_homes._supply_problem` counts only bottles held or still to be handed) is one bottle: one bottle
    goes home a day, and a system that upserts by id must not keep a `cancelled` and a `completed` (or two
    `preparation`s) for it. Its id is the first plan's, `bottle-<first plan>-<day>`: the id an export sent
    while that plan stood, so it stays the same across re-exports and across the plan change (a later plan
    never takes an earlier plan's day from it: plans are decided in order and their days never change). What
    it says is the latest plan's word on the day (`_says_more`), placed where the first plan lists it."""
    kept: dict[date, dict[str, Any]] = {}
    for day, res in found:
        have = kept.get(day)
        if have is None:
            kept[day] = res
        else:  # one record of the day: changed when either plan's did
            word = {**res, "id": have["id"]} if _says_more(res, have) else have
            times = (datetime.fromisoformat(r["meta"]["lastUpdated"]) for r in (res, have))
            kept[day] = last_updated(word, *times)
    return list(kept.values())


def _says_more(later: dict[str, Any], kept: dict[str, Any]) -> bool:
    """Whether a later plan's dispense of a day replaces what an earlier plan's said: a bottle handed over
    (`completed`) stays in the person's hands whatever a later plan says; a plan that no longer covers the
    day (`cancelled`) never replaces one that said more (a bottle brought back, taken back, due or unknown);
    otherwise the later plan, the newer decision, says what the day is."""
    if kept["status"] == "completed":
        return False
    return bool(later["status"] != "cancelled" or kept["status"] == "cancelled")


def _dispense(
    plan: TakeHomePlan,
    day: date,
    given_on: date,
    status: str,
    reason: str,
    order: MedicationOrder | None,
    taken_back_mg: Decimal | None = None,
) -> dict[str, Any]:
    """One bottle day. Its dose: the mg recorded when the bottle was handed out (`TakeHomePlan.bottle_mg`,
    session 22; `taken_back_mg`: a bottle taken back, the mg it had been recorded with), else (not handed out
    yet, or a plan from before amounts were kept) the order's."""
    recorded = (plan.bottle_mg or {}).get(day.isoformat())
    mg = (
        Decimal(recorded)
        if recorded is not None
        else taken_back_mg
        if taken_back_mg is not None
        else order.dose_mg
        if order is not None
        else None
    )
    dose = f"{mg.normalize():f} mg " if mg is not None else ""
    dosage: dict[str, Any] = {
        "text": f"{dose}methadone by mouth, take-home dose for {day.isoformat()}",
        "timing": {"event": [day.isoformat()]},
    }
    told = (plan.bottle_not_before or {}).get(day.isoformat()) if recorded is not None else None
    if told is not None:  # lane bottle39: handed out after a late dose, the earliest moment she may take it
        dosage["text"] += f", not before {told}"
        dosage["timing"]["repeat"] = {"boundsPeriod": {"start": told}}
    if mg is not None:
        dosage["doseAndRate"] = [
            {"doseQuantity": {"value": float(mg), "unit": "mg", "system": UCUM, "code": "mg"}}
        ]
    res: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "id": bottle_id(plan.pk, day),
        "status": status,
        "medicationCodeableConcept": {
            "coding": [
                {"system": RXNORM, "code": RXNORM_CODES[Medication.METHADONE], "display": "methadone"}
            ],
            "text": METHADONE,
        },
        "subject": ref("Patient", plan.patient_id),
        "daysSupply": {"value": 1, "unit": "day", "system": UCUM, "code": "d"},
        "dosageInstruction": [dosage],
    }
    if order is not None:
        res["authorizingPrescription"] = [ref("MedicationRequest", order.pk)]
    if status == "completed":
        res["whenHandedOver"] = given_on.isoformat()
    if reason:
        res["statusReasonCodeableConcept"] = {"text": reason}
    return res


def qtc_observation(q: QtcRecord) -> dict[str, Any]:
    """One QTc reading: LOINC 8636-3, the value in milliseconds, the day it was measured; never changed once
    recorded (`meta.lastUpdated` its `recorded_at`)."""
    out = {
        "resourceType": "Observation",
        "id": f"qtc-{q.pk}",
        "status": "final",
        "code": {
            "coding": [{"system": LOINC, "code": QTC_LOINC, "display": "Q-T interval corrected"}],
            "text": "QTc interval",
        },
        "subject": ref("Patient", q.patient_id),
        "effectiveDateTime": q.measured_on.isoformat(),
        "issued": instant(q.recorded_at),
        "performer": [ref("Practitioner", q.recorded_by_id)],
        "valueQuantity": {"value": q.qtc_ms, "unit": "ms", "system": UCUM, "code": "ms"},
    }
    return last_updated(out, q.recorded_at)
