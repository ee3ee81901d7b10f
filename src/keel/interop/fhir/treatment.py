"""Methadone taken at home and the QTc as FHIR R4 (review 20c: an emergency department reading Keel's record
must see Sunday's take-home bottle, not only Friday's observed dose, and the QTc that governs the dose).

- Each take-home bottle day a person was given (or will be handed, under a plan that stands) is a
  MedicationDispense: `authorizingPrescription` the order in force that day (`models.order_in_force`), the day
  the bottle covers in `dosageInstruction[0].timing.event` and its text, one day's supply. Which bottles left
  the clinic is Keel's one definition, `keel.core.take_home_bottles` (`handed_out`; a plan that ended stops
  covering days, a bottle already handed out stays in the person's hands). Status: `completed` when handed out
  (at the observed dose the day before its run, or on the day the plan was decided), `stopped` when brought
  back unopened or the day's dose was given at the window instead (`returned_days`), `preparation` when a
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

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from keel.core.take_home_bottles import hand_out_day, handed_out, not_handed_out_from
from keel.interop.fhir.base import LOINC, RXNORM, UCUM, instant, ref
from keel.treatment.models import RXNORM as RXNORM_CODES
from keel.treatment.models import Medication, MedicationOrder, order_in_force
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
TAKEN_BACK_AGAIN = (
    "Recorded as handed over, then taken off the record: the dose it went home with was corrected or voided. "
    "It goes home again only with an observed dose before its day"
)


def bottle_id(plan_id: int, day: date) -> str:
    """`bottle-<plan>-<yyyymmdd>`: a FHIR id in the shape Keel's ids take (`prefix-<n>-<suffix>`)."""
    return f"bottle-{plan_id}-{day:%Y%m%d}"


def bottle_dispenses(
    plans: Iterable[TakeHomePlan],
    orders: list[MedicationOrder],
    visits: list[tuple[date, datetime]],
    zone: ZoneInfo,
    today: date,
) -> list[dict[str, Any]]:
    """The bottle days of these plans a person was given or will be handed, as MedicationDispense resources,
    in plan and day order. `orders`: the person's methadone orders; `visits`: the days (and the instants
    recorded) an observed methadone dose was given and neither voided nor corrected to 0 mg; `today`: the
    person's today.

    Review 22t holes 1 and 2: which bottles left the clinic is read from the one record of them, the plan's,
    as `services.doses.bottles.redecide_bottles` decides it at every change of the day's given total: a day
    in `bottle_mg` was handed over (`completed`); a day in `bottles_taken_back` was recorded as handed over
    and then taken back by the record (the dose it went home with was corrected to 0 mg or voided, or
    corrected down to a total after which the window would not give the bottle), so it is never sent as
    dispensed, whatever the dose's visit says. Such a bottle is sent, not left out, because the record once
    said it was handed over (an earlier export, or a reader of the record at that moment, may hold
    `completed` for its id): leaving it out would leave that claim standing. Its status is the one FHIR R4
    gives a dispense that was recorded and is nullified, `entered-in-error` ("entered in error and therefore
    nullified"; not `cancelled` or `declined`, which say the product was never picked up or was refused, a
    thing the record does not know: the bottles may be in the person's hands, and the care team calls them
    back), with its reason in words and the mg it had been recorded with. The one exception: a plan that
    still covers the day and whose run can still go home (its hand-out day is today or later) sends
    `preparation`, as any bottle the standing plan will hand out, with the reason; handed out again, it is
    `completed` again under the same id. Review 23b hole 3: a plan ended today because nothing given today
    stands (`doses.bottles.goes_home_at_a_dose_today`, the end a dose given later today undoes) still
    covers the run it would hand out today, for this. A day the record is silent on (a plan decided before
    the amounts were kept, session 22, or a row written without the dose path) is told from the observed
    doses as before (`take_home_bottles.handed_out`, a dose counted up to the plan's end).

    Review 23a hole 1: a bottle day the plan no longer covers (a prescriber's end, a hold, a discharge, a
    run kept back at the window) and that never left the clinic is sent as `cancelled`, not left out: while
    the plan stood, an export sent it as `preparation` (or `unknown`) under the same id, and a system that
    upserts by id keeps whatever it was last told, so silence would leave "bottle due" standing for a person
    whose take-homes were stopped. Of R4's MedicationDispense statuses, `cancelled` is the one that says what
    the record knows: "the dispensed product was not and will never be picked up by the patient". Not
    `declined` ("declined and not performed": a dispenser's refusal of a request, which an end of the plan
    by its prescriber, a hold or a discharge is not), not `stopped` (Keel's word for a bottle that went home
    and came back unopened, or whose day's dose was given at the window instead), not `entered-in-error`
    (the plan was not a mistake in the record; that is kept for a bottle the record said was handed over and
    took back) and not `on-hold` (nothing brings these bottles back: a new plan is a new decision with its
    own ids). `statusReasonCodeableConcept` says why in words (`NOT_HANDED_OUT`), and there is no
    `whenHandedOver`. Should the end be undone (a run kept back at a lower split-dose total resumed the
    same day), the plan covers the day again and it is `preparation` again under the same id."""
    out = []
    for plan in plans:
        days = sorted(date.fromisoformat(iso) for iso in plan.bottles or [])
        bottles = set(days)
        decided_on = plan.decided_at.astimezone(zone).date()
        if plan.ended_on is None:
            ended_day = None
        elif plan.ended_at is not None:
            ended_day = plan.ended_at.astimezone(zone).date()
        else:  # discharge ends a plan on its day, without a time
            ended_day = plan.ended_on
        # Review 22n hole 5: a dose counts when it was recorded (the instant its bottles were decided) no
        # later than the plan's end; a run kept back at a dose ends its plan just before that dose's instant
        # (`doses.bottles.hand_out_at_dose`), so that dose handed nothing out.
        seen = {d for d, at in visits if plan.ended_at is None or at <= plan.ended_at}
        # Session 24 (lane bot24): a run whose bottles never left (no observed dose on its hand-out day, a
        # day now past) ends the plan before it, as every reader reads it (`not_handed_out_from`, the one
        # definition of a take-home day): its days and the later ones are `cancelled`, never `unknown`
        ended_on = plan.ended_on
        missed = not_handed_out_from(
            days,
            decided_on,
            ended_on=ended_on,
            recorded={date.fromisoformat(iso) for iso in plan.bottle_mg or {}},
            taken_back={date.fromisoformat(iso) for iso in plan.bottles_taken_back or {}},
            visits=seen,
            today=today,
        )
        if missed is not None:
            ended_on = missed - timedelta(days=1)
            ended_day = ended_on if ended_day is None else min(ended_day, ended_on)
        # review 23b hole 3: a plan ended today by nothing given today (its dose corrected to 0 or voided)
        # still hands today's run out at a dose given later today: that run is as a standing plan's
        goes_home_today = goes_home_at_a_dose_today(plan, today)
        back = {date.fromisoformat(iso) for iso in plan.returned_days or []}
        recorded = plan.bottle_mg or {}
        taken_back = plan.bottles_taken_back or {}
        for day in days:
            iso = day.isoformat()
            given_on = hand_out_day(day, bottles, decided_on)
            covered = ended_on is None or day <= ended_on or (goes_home_today and given_on == today)
            if iso in recorded:  # the record: handed over
                out_of_clinic = True
            elif iso in taken_back and day not in back:  # handed over, then taken back: never `completed`
                status, reason = (
                    ("preparation", TAKEN_BACK_AGAIN)
                    if covered and given_on >= today
                    else ("entered-in-error", TAKEN_BACK)
                )
                order = order_in_force(orders, day) or order_in_force(orders, given_on)
                out.append(_dispense(plan, day, given_on, status, reason, order, Decimal(taken_back[iso])))
                continue
            else:  # the record is silent: a plan from before it, told from the observed doses
                out_of_clinic = handed_out(day, bottles, decided_on, seen, ended_day)
            if not covered and not out_of_clinic:  # the plan ended before this bottle left the clinic
                status, reason = "cancelled", NOT_HANDED_OUT
            elif day in back:
                status, reason = "stopped", RETURNED
            elif out_of_clinic:
                status, reason = "completed", ""
            elif given_on >= today:
                status, reason = "preparation", ""
            else:
                status, reason = "unknown", NOT_RECORDED
            order = order_in_force(orders, day) or order_in_force(orders, given_on)
            out.append(_dispense(plan, day, given_on, status, reason, order))
    return out


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
    """One QTc reading: LOINC 8636-3, the value in milliseconds, the day it was measured."""
    return {
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
