"""API: the clinical rules (stateless, for staff, run with the caller's program policy, which a request may
only tighten), program policy, and the medication records under /patients/{id}/ (policy and audit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from keel.api_body import json_object
from keel.core import rules
from keel.treatment import policy_store, readiness, services
from keel.treatment.models import DoseRecord, MedicationOrder, QtcRecord, TakeHomePlan

router = Router(tags=["rules"])


class RuleIn(Schema):
    input: dict[str, Any] = Field(description="the rule's inputs (see GET /rules/{name})")
    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="stricter values than your program's policy, for this evaluation only (never looser)",
    )
    program: str | None = Field(default=None, description="your program's slug, if you work in several")


def _caller(request: HttpRequest) -> Any:
    return getattr(request, "auth", None)


def _staff_only(request: HttpRequest) -> None:
    if not getattr(_caller(request), "is_staff_member", False):
        raise HttpError(403, "Clinical rules are for staff.")


@router.get("/rules", summary="The rules and their versions")
def list_rules(request: HttpRequest) -> list[dict[str, str]]:
    _staff_only(request)
    return [{"name": r.name, "version": r.version, "summary": r.summary} for r in rules.RULES.values()]


@router.get("/rules/{name}", summary="A rule's input and policy schema")
def rule_schema(request: HttpRequest, name: str) -> dict[str, Any]:
    _staff_only(request)
    return rules.get(name).schema()


@router.post("/rules/{name}", summary="Run a rule: decision, reasons, sources and the policy values used")
def run_rule(request: HttpRequest, name: str, payload: RuleIn) -> dict[str, Any]:
    _staff_only(request)
    rules.get(name)  # 404 for an unknown rule before anything else
    return policy_store.run_for_staff(
        _caller(request), name, payload.input, payload.policy, payload.program
    ).as_dict()


# --- Program policy ---------------------------------------------------------------------------------------


class PolicyIn(Schema):
    value: Any = Field(description="the new value (null: no program limit, where the rule allows it)")
    reason: str = Field(description="why the program changes it (kept in the history and the audit trail)")


@router.get(
    "/programs/{slug}/policy", tags=["policy"], summary="My program's policy values and their provenance"
)
def get_policy(request: HttpRequest, slug: str) -> dict[str, Any]:
    _staff_only(request)
    program, values = policy_store.show(_caller(request), slug)
    return {
        "program": program.slug,
        "values": [
            {
                "rule": v.rule,
                "field": v.field,
                "value": v.value,
                "default": v.default,
                "provenance": v.help,
                "stricter_is": v.tighter,
                "floor": v.floor,
                "ceiling": v.ceiling,
                "bounds": v.bounds,
                "set_value_not_in_force": v.stored,
                "set_by": v.set_by,
                "set_at": v.set_at.isoformat() if v.set_at else None,
                "reason": v.reason,
            }
            for v in values
        ],
    }


@router.put(
    "/programs/{slug}/policy/{rule}/{field}", tags=["policy"], summary="Change one policy value (admins)"
)
def put_policy(request: HttpRequest, slug: str, rule: str, field: str, payload: PolicyIn) -> dict[str, Any]:
    setting = policy_store.set_value(
        by=_caller(request),
        program_slug=slug,
        rule=rule,
        field=field,
        value=payload.value,
        reason=payload.reason,
    )
    return {
        "rule": setting.rule,
        "field": setting.field,
        "value": setting.value,
        "set_at": setting.set_at.isoformat(),
    }


# --- Medication records -------------------------------------------------------------------------------------


def order_out(o: MedicationOrder) -> dict[str, Any]:
    return {
        "id": o.pk,
        "medication": o.medication,
        "rxnorm": o.rxnorm,
        "dose_mg": str(o.dose_mg),
        "status": o.status,
        "starts_on": o.starts_on.isoformat(),
        "supersedes": o.supersedes_id,
        "home_start": o.home_start,
        "schedule": o.schedule,
        "fhir": services.order_fhir(o),
    }


def dose_out(d: DoseRecord) -> dict[str, Any]:
    return {
        "id": d.pk,
        "date": d.local_date.isoformat(),
        "sequence": d.sequence,
        "status": d.status,
        "amount_mg": str(d.amount_mg),
        "effective_mg": str(services.effective_mg(d)),
        "treatment_day": d.treatment_day,
        "decision": d.decision,
        "override_id": d.override_id,
        "amendments": [
            {
                "corrected_mg": None if a.corrected_mg is None else str(a.corrected_mg),
                "voided": a.voided,
                "reason": a.reason,
                "at": a.amended_at.isoformat(),
            }
            for a in d.amendments.all()
        ],
        "recorded_at": d.recorded_at.isoformat(),
    }


class OrderIn(Schema):
    medication: str
    dose_mg: Any
    starts_on: date | None = None
    note: str = ""
    home_start: bool = Field(default=False, description="buprenorphine started at home with the SOWS check")
    schedule: list[Any] = Field(
        default_factory=list, description='a low-dose start: [{"day": 1, "mg": 0.5}, ...]'
    )
    override_reason: str = Field(
        default="",
        description="the prescriber's clinical reason for a dose above the program's entry-error check",
    )


@router.post(
    "/patients/{patient_id}/orders", response={201: dict[str, Any]}, tags=["medication"], summary="Prescribe"
)
def create_order(request: HttpRequest, patient_id: int, payload: OrderIn) -> Status[dict[str, Any]]:
    order = services.prescribe(
        by=_caller(request),
        patient_id=patient_id,
        medication=payload.medication,
        dose_mg=payload.dose_mg,
        starts_on=payload.starts_on,
        note=payload.note,
        home_start=payload.home_start,
        schedule=payload.schedule,
        override_reason=payload.override_reason,
    )
    return Status(201, order_out(order))


@router.get(
    "/patients/{patient_id}/medication", tags=["medication"], summary="Orders, doses, take-homes, QTc"
)
def medication(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    record = services.medication_record(_caller(request), patient_id=patient_id)
    return {
        "orders": [order_out(o) for o in record.orders],
        "doses": [dose_out(d) for d in record.doses],
        "overrides": [
            {
                "id": o.pk,
                "date": o.local_date.isoformat(),
                "max_total_mg": str(o.max_total_mg),
                "reason": o.reason,
            }
            for o in record.overrides
        ],
        "take_homes": [take_home_out(t) for t in record.take_homes],
        "qtc": [qtc_out(q) for q in record.qtc],
    }


class DoseIn(Schema):
    amount_mg: Any = Field(
        default=None,
        description="the amount given (mg); required unless sedated (never the ordered dose by default)",
    )
    sequence: int | None = Field(
        default=None,
        description="required: the dose slot of the day (1 for the first); a recorded slot again is a 409",
    )
    sedated: bool = Field(default=False, description="sedated or intoxicated now: the dose is held")
    medication: str = Field(default="methadone", description="methadone or buprenorphine")
    given_at: Any = Field(
        default=None, description="when it was given, if earlier today (with its time zone)"
    )
    bottle_returned: bool = Field(
        default=False,
        description="today is a take-home day and today's bottle was returned unopened (else refused, 422)",
    )


@router.post(
    "/patients/{patient_id}/doses",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Record a dose",
)
def create_dose(request: HttpRequest, patient_id: int, payload: DoseIn) -> Status[dict[str, Any]]:
    outcome = services.record_dose(
        by=_caller(request),
        patient_id=patient_id,
        sequence=payload.sequence,
        amount_mg=payload.amount_mg,
        sedated=payload.sedated,
        medication=payload.medication,
        given_at=payload.given_at,
        slot_required=True,
        bottle_returned=payload.bottle_returned,
    )
    return Status(201, dose_out(outcome.dose))


class AmendmentIn(Schema):
    corrected_mg: Any = None
    void: bool = False
    reason: str


@router.post(
    "/patients/{patient_id}/doses/{dose_id}/amendments",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Correct a dose (append-only)",
)
def amend(
    request: HttpRequest, patient_id: int, dose_id: int, payload: AmendmentIn
) -> Status[dict[str, Any]]:
    a = services.amend_dose(
        by=_caller(request),
        patient_id=patient_id,
        dose_id=dose_id,
        corrected_mg=payload.corrected_mg,
        void=payload.void,
        reason=payload.reason,
    )
    return Status(201, {"id": a.pk, "dose_id": a.dose_id, "voided": a.voided, "reason": a.reason})


class OverrideIn(Schema):
    max_total_mg: Any = None
    reason: str
    medication: str = Field(
        default="methadone", description="methadone or buprenorphine; naltrexone_xr for kind interval"
    )
    kind: str = Field(
        default="limit",
        description=(
            "limit: past a dose limit today; start: a first buprenorphine dose before 'ready'; "
            "hours: a dose outside the dosing window's hours (no max_total_mg); interval: an XR-naltrexone "
            "injection sooner than the program's minimum interval (no max_total_mg)"
        ),
    )


@router.post(
    "/patients/{patient_id}/dose-overrides",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="A prescriber's documented reason to pass a guard rail today",
)
def override(request: HttpRequest, patient_id: int, payload: OverrideIn) -> Status[dict[str, Any]]:
    row = services.add_override(
        by=_caller(request),
        patient_id=patient_id,
        max_total_mg=payload.max_total_mg,
        reason=payload.reason,
        medication=payload.medication,
        kind=payload.kind,
    )
    return Status(
        201, {"id": row.pk, "date": row.local_date.isoformat(), "max_total_mg": str(row.max_total_mg)}
    )


def take_home_out(t: TakeHomePlan) -> dict[str, Any]:
    return {
        "id": t.pk,
        "decided_at": t.decided_at.isoformat(),
        "days_in_treatment": t.days_in_treatment,
        "max_supply_days": t.max_supply_days,
        "bottles": t.bottles,
        "open_flags": t.open_flags,
        "ended_on": t.ended_on.isoformat() if t.ended_on else None,
        "ended_by": t.ended_by_id,
        "ended_at": t.ended_at.isoformat() if t.ended_at else None,
        "end_reason": t.end_reason,
        "returned_days": t.returned_days,
        "episode_id": t.enrollment_id,
        "criteria": t.criteria,
        "decision": t.decision,
    }


class TakeHomeIn(Schema):
    criteria: dict[str, bool]
    state_max_days: int | None = None
    start_on: date | None = None
    acknowledged_flags: list[str] = Field(
        default_factory=list, description="the id of every open concern (GET .../take-homes/review)"
    )
    bottle_days: list[date] | None = Field(
        default=None, description="a schedule below the maximum (weekends only, say); empty: every day"
    )
    closure_day: date | None = Field(
        default=None, description="one dose for a program closure day, for someone not otherwise eligible"
    )


@router.get(
    "/patients/{patient_id}/take-homes/review",
    tags=["medication"],
    summary="Before deciding take-homes: days in treatment, the federal supply, open concerns, closure days",
)
def take_home_review(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    review = services.take_home_review_for(_caller(request), patient_id=patient_id)
    return {
        "days_in_treatment": review.days_in_treatment,
        "federal_max_days": review.federal_max_days,
        "open_flags": [{"id": c.id, "kind": c.kind, "raised_on": c.raised_on} for c in review.concerns],
        "closure_days": review.closure_days,
    }


@router.post(
    "/patients/{patient_id}/take-homes",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Decide take-homes",
)
def take_home(request: HttpRequest, patient_id: int, payload: TakeHomeIn) -> Status[dict[str, Any]]:
    plan = services.decide_take_home(
        by=_caller(request),
        patient_id=patient_id,
        criteria=payload.criteria,
        state_max_days=payload.state_max_days,
        start_on=payload.start_on,
        acknowledged_flags=payload.acknowledged_flags,
        bottle_days=payload.bottle_days,
        closure_day=payload.closure_day,
    )
    return Status(201, take_home_out(plan))


class TakeHomeEndIn(Schema):
    reason: str = Field(description="why the plan ends early: a reason of substance (kept in the record)")
    from_day: date | None = Field(
        default=None, description="the first day its bottles no longer cover: today or later; blank: today"
    )
    returned_days: list[date] | None = Field(
        default=None, description="the days whose bottles were brought back unopened (optional)"
    )


@router.post(
    "/patients/{patient_id}/take-homes/{plan_id}/end",
    response={200: dict[str, Any]},
    tags=["medication"],
    summary="End a take-home plan early (prescribers); ending it again is a 409",
)
def end_take_home(
    request: HttpRequest, patient_id: int, plan_id: int, payload: TakeHomeEndIn
) -> dict[str, Any]:
    plan = services.end_take_home_plan(
        by=_caller(request),
        patient_id=patient_id,
        plan_id=plan_id,
        reason=payload.reason,
        from_day=payload.from_day,
        returned_days=payload.returned_days,
    )
    return take_home_out(plan)


def qtc_out(q: QtcRecord) -> dict[str, Any]:
    return {"id": q.pk, "qtc_ms": q.qtc_ms, "measured_on": q.measured_on.isoformat(), "decision": q.decision}


class QtcIn(Schema):
    qtc_ms: int
    measured_on: date | None = None


@router.post(
    "/patients/{patient_id}/qtc", response={201: dict[str, Any]}, tags=["medication"], summary="Record a QTc"
)
def qtc(request: HttpRequest, patient_id: int, payload: QtcIn) -> Status[dict[str, Any]]:
    row = services.record_qtc(
        by=_caller(request), patient_id=patient_id, qtc_ms=payload.qtc_ms, measured_on=payload.measured_on
    )
    return Status(201, qtc_out(row))


@router.get("/dosing/today", tags=["medication"], summary="Today's dosing window for my patients")
def dosing_today(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "patient_id": r.patient.pk,
            "name": r.patient.display_name,
            "medication": r.medication,
            "ordered_mg": str(r.order.dose_mg),
            "status": r.status,
            "given_today_mg": str(r.today.given_today_mg),
            "treatment_day": r.today.treatment_day,
            "missed_days_in_a_row": r.today.missed_days_in_a_row,
            "next_sequence": r.today.next_sequence,
            "last_dose": r.today.last_dose.local_date.isoformat() if r.today.last_dose else None,
            "take_home_max_days": r.take_home.max_supply_days if r.take_home else None,
            "open_flags": r.open_flags,
        }
        for r in services.dosing_list(_caller(request))
    ]


# --- Intake, readiness, naloxone, the care plan, naltrexone ------------------------------------------------


@router.post(
    "/patients/{patient_id}/intakes",
    response={201: dict[str, Any]},
    tags=["medication"],
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    },
    summary="Record an intake (substance-use history, risks); returns the overdose-risk summary",
)
def create_intake(request: HttpRequest, patient_id: int) -> Status[dict[str, Any]]:
    row = services.record_intake(by=_caller(request), patient_id=patient_id, raw=json_object(request))
    return Status(201, {"id": row.pk, "values": row.values, "overdose_risk": row.overdose_risk})


@router.get(
    "/patients/{patient_id}/start",
    tags=["medication"],
    summary="Treatment start: intake, COWS, buprenorphine readiness, overdose risk, naloxone, care plan",
)
def treatment_start(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    v = services.start_view(_caller(request), patient_id=patient_id)
    read = v.read
    return {
        "intake": v.intake.values if v.intake else None,
        "cows": {
            "total": v.cows.total,
            "filled_at": v.cows.filled_at.isoformat(),
            "age_hours": round(read.cows_age_hours, 2) if read and read.cows_age_hours is not None else None,
        }
        if v.cows
        else None,
        "last_uses": _last_uses(read.uses if read else None),
        "ready": bool(read and read.ready),
        "readiness": v.readiness.as_dict() if v.readiness else None,
        "readiness_needs": list(v.missing),
        "overdose_risk": v.overdose.as_dict() if v.overdose else None,
        "naloxone_kits": [
            {"product": k.product, "dispensed_on": k.dispensed_on.isoformat()} for k in v.naloxone_kits
        ],
        "care_goals": [
            {
                "area": g.area,
                "goal": g.goal,
                "responsible": g.responsible.username,
                "review_on": g.review_on.isoformat(),
            }
            for g in v.goals
        ],
    }


def _last_uses(uses: Any) -> list[dict[str, Any]]:
    """Each opioid's latest known last use and where Keel knows it from (intake, report, dose, take_home)."""
    if uses is None:
        return []
    return [
        {"opioid": u.opioid, "last_use_at": u.at.isoformat() if u.at else None, "source": u.source}
        for u in uses.uses.values()
    ]


class LastUseIn(Schema):
    opioids: list[dict[str, Any]] = Field(
        description='each opioid used since the last report: [{"opioid": "heroin", "last_use_at": '
        '"2026-11-25T06:30:00-05:00"}]; an empty list says no opioid since'
    )


def _report_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "opioids": row.opioids,
        "source": row.source,
        "reported_at": row.reported_at.isoformat(),
    }


@router.post(
    "/patients/{patient_id}/last-use",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="The care team records the time of last use of each opioid (asked again before a start)",
)
def report_last_use(request: HttpRequest, patient_id: int, payload: LastUseIn) -> Status[dict[str, Any]]:
    row = readiness.record_last_use(by=_caller(request), patient_id=patient_id, raw=payload.model_dump())
    return Status(201, _report_out(row))


@router.post(
    "/me/last-use",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="I tell my care team when I last used each opioid (before a home start)",
)
def report_my_last_use(request: HttpRequest, payload: LastUseIn) -> Status[dict[str, Any]]:
    row = readiness.record_last_use(by=_caller(request), patient_id=None, raw=payload.model_dump())
    return Status(201, _report_out(row))


class KitIn(Schema):
    product: str
    quantity: int = 1


@router.post(
    "/patients/{patient_id}/naloxone-kits",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Record a naloxone kit",
)
def naloxone(request: HttpRequest, patient_id: int, payload: KitIn) -> Status[dict[str, Any]]:
    kit = services.dispense_naloxone(
        by=_caller(request), patient_id=patient_id, product=payload.product, quantity=payload.quantity
    )
    return Status(201, {"id": kit.pk, "product": kit.product, "dispensed_on": kit.dispensed_on.isoformat()})


class FillIn(Schema):
    order: int = Field(description="the medication order that was filled")
    filled_on: str = Field(description="the day it was filled (YYYY-MM-DD, not after today)")
    days_supply: int = Field(description="days the fill covers (1-365)")
    source: str = Field(description="pharmacy | pdmp | patient: how the program knows")


def _fill(f: Any) -> dict[str, Any]:
    return {
        "id": f.pk,
        "order": f.order_id,
        "filled_on": f.filled_on.isoformat(),
        "days_supply": f.days_supply,
        "source": f.source,
        "voids": f.voids_id,
        "reason": f.reason,
    }


@router.post(
    "/patients/{patient_id}/fills",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Record a pharmacy fill of an order (its days count as covered in the measures)",
)
def create_fill(request: HttpRequest, patient_id: int, payload: FillIn) -> Status[dict[str, Any]]:
    fill = services.record_fill(
        by=_caller(request),
        patient_id=patient_id,
        order_id=payload.order,
        filled_on=payload.filled_on,
        days_supply=payload.days_supply,
        source=payload.source,
    )
    return Status(201, _fill(fill))


class VoidIn(Schema):
    reason: str = Field(description="why the fill does not count (kept with the record)")


@router.post(
    "/patients/{patient_id}/fills/{fill_id}/void",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Void a fill recorded by mistake (a new row; nothing is edited)",
)
def void_fill(request: HttpRequest, patient_id: int, fill_id: int, payload: VoidIn) -> Status[dict[str, Any]]:
    void = services.void_fill(
        by=_caller(request), patient_id=patient_id, fill_id=fill_id, reason=payload.reason
    )
    return Status(201, _fill(void))


class GoalIn(Schema):
    area: str
    goal: str
    responsible_id: int
    review_on: str


@router.post(
    "/patients/{patient_id}/care-goals",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Add a care-plan goal",
)
def care_goal(request: HttpRequest, patient_id: int, payload: GoalIn) -> Status[dict[str, Any]]:
    g = services.add_goal(
        by=_caller(request),
        patient_id=patient_id,
        area=payload.area,
        goal=payload.goal,
        responsible_id=payload.responsible_id,
        review_on=payload.review_on,
    )
    return Status(201, {"id": g.pk, "area": g.area, "goal": g.goal, "review_on": g.review_on.isoformat()})


@router.get("/me/care-plan", tags=["medication"], summary="My care plan, in plain words")
def my_care_plan(request: HttpRequest) -> dict[str, Any]:
    _patient, goals, kits = services.my_care_plan(_caller(request))
    return {
        "goals": [
            {
                "area": g.area,
                "goal": g.goal,
                "responsible": g.responsible.get_full_name() or g.responsible.username,
                "review_on": g.review_on.isoformat(),
            }
            for g in goals
        ],
        "naloxone_kits": [k.dispensed_on.isoformat() for k in kits],
    }


class InjectionIn(Schema):
    site: str = Field(description="left_gluteal or right_gluteal (alternate)")
    naloxone_challenge_negative: bool = Field(
        default=False, description="a naloxone challenge was done today and brought on no withdrawal"
    )


@router.post(
    "/patients/{patient_id}/injections",
    response={201: dict[str, Any]},
    tags=["medication"],
    summary="Give XR-naltrexone",
)
def injection(request: HttpRequest, patient_id: int, payload: InjectionIn) -> Status[dict[str, Any]]:
    outcome = services.record_injection(
        by=_caller(request),
        patient_id=patient_id,
        site=payload.site,
        naloxone_challenge_negative=payload.naloxone_challenge_negative,
    )
    return Status(201, {**dose_out(outcome.dose), "site": outcome.dose.site})


@router.get("/me/home-start", tags=["medication"], summary="My buprenorphine home start: SOWS check and plan")
def my_home_start(request: HttpRequest) -> dict[str, Any]:
    h = readiness.home_start(_caller(request))
    return {
        "has_plan": h.order is not None,
        "first_dose_mg": str(h.order.dose_mg) if h.order else None,
        "sows": {
            "total": h.sows.total,
            "filled_at": h.sows.filled_at.isoformat(),
            "age_hours": round(h.sows_age_hours, 2) if h.sows_age_hours is not None else None,
        }
        if h.sows
        else None,
        "last_uses": _last_uses(h.uses),
        "needs": list(h.missing),
        "decision": h.decision.as_dict() if h.decision else None,
        "redose_interval_hours": h.redose_hours,
        "day1_max_mg": h.day1_max_mg,
        "day2_max_mg": h.day2_max_mg,
    }


class PatientPolicyIn(Schema):
    rule: str
    field: str
    value: Any
    reason: str


@router.post(
    "/patients/{patient_id}/policy-overrides",
    response={201: dict[str, Any]},
    tags=["policy"],
    summary="A prescriber changes one policy value for this patient, with a reason",
)
def patient_policy(request: HttpRequest, patient_id: int, payload: PatientPolicyIn) -> Status[dict[str, Any]]:
    row = policy_store.override_for_patient(
        by=_caller(request),
        patient_id=patient_id,
        rule=payload.rule,
        field=payload.field,
        value=payload.value,
        reason=payload.reason,
    )
    return Status(201, {"id": row.pk, "rule": row.rule, "field": row.field, "value": row.value})
