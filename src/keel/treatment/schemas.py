"""What the treatment API sends. Amounts in mg are decimal text exactly as stored ("60", "65.5", "380.00"),
never numbers; dates and times are ISO text; a key whose value is unknown is null, never left out. Every
schema forbids extra keys, so a key added to a body and not here fails loudly instead of leaving the API.

Free-form on purpose (`dict[str, Any]`): a rule's `details` (each rule its own outputs), a decision *as
stored* on a dose, take-home plan or QTc row (written by whichever rule version ran then; rows from before a
rule existed hold `{}`), an intake's answers as stored, and an order's FHIR MedicationRequest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field, with_config
from typing_extensions import TypedDict

from keel.api_body import CoreIn
from keel.core import intake as core_intake
from keel.core.decision import Decision
from keel.core.reasons import REASON_FIELD_HELP
from keel.schemas import NESTED_FORBID, In, IsoDate, Out
from keel.treatment import queries
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    LastUseCorrection,
    LastUseReport,
    MedicationFill,
    MedicationOrder,
    QtcRecord,
    TakeHomePlan,
)
from keel.treatment.readiness import LastUses

# A program policy value: a number (an int stays an int, 8.0 stays 8.0), a choice's text, or null (no limit).
PolicyValue = int | float | str | None
# A decision as a row stored it (`Decision.as_dict()` of the rule version that ran then, or `{}`).
StoredDecision = dict[str, Any]


# --- a rule's decision --------------------------------------------------------------------------------------


class ReasonOut(Out):
    text: str  # English; the pages translate
    sources: list[str]


class DecisionOut(Out):
    """`keel.core.decision.Decision.as_dict()`, made now."""

    rule: str
    version: str
    decision: str
    reasons: list[ReasonOut]
    sources: list[str]
    policy: dict[str, PolicyValue]  # the policy values the rule ran with
    details: dict[str, Any]  # free-form: each rule's own other outputs (max supply, due dates, factors...)

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        return cls.model_validate(decision.as_dict())


class RuleSummaryOut(Out):
    name: str
    version: str
    summary: str


# --- program policy -----------------------------------------------------------------------------------------


class PolicyValueOut(Out):
    rule: str
    field: str
    label: str  # the field's plain words, in the request's language (the key stays in `field`)
    value: PolicyValue  # in force
    default: PolicyValue
    provenance: str
    stricter_is: str | None
    floor: int | float | None
    ceiling: int | float | None
    bounds: str
    set_value_not_in_force: PolicyValue
    set_by: str | None
    set_at: str | None  # ISO datetime
    reason: str


class ProgramPolicyOut(Out):
    program: str  # slug
    values: list[PolicyValueOut]


class PolicySetOut(Out):
    rule: str
    field: str
    value: PolicyValue
    set_at: str  # ISO datetime


class PatientPolicyOut(Out):
    id: int
    rule: str
    field: str
    value: PolicyValue


# --- the medication record ----------------------------------------------------------------------------------


class OrderOut(Out):
    id: int
    medication: str
    rxnorm: str
    dose_mg: str  # decimal text
    status: str
    starts_on: str  # ISO date
    supersedes: int | None
    home_start: bool
    # A low-dose start's steps, {"day": int, "mg": float} as `parse_schedule` stores them. A mapping, not a
    # schema: PostgreSQL's jsonb gives the keys back in its own order (mg before day) and the body keeps it.
    schedule: list[dict[str, int | float]]
    fhir: dict[str, Any]  # free-form: the order as a FHIR R4 MedicationRequest

    @classmethod
    def of(cls, o: MedicationOrder) -> OrderOut:
        return cls(
            id=o.pk,
            medication=o.medication,
            rxnorm=o.rxnorm,
            dose_mg=str(o.dose_mg),
            status=o.status,
            starts_on=o.starts_on.isoformat(),
            supersedes=o.supersedes_id,
            home_start=o.home_start,
            schedule=o.schedule,
            fhir=queries.order_fhir(o),
        )


class PrescribedOut(OrderOut):
    """The order just saved, with what it was warned of (a recent QTc over 450 ms, Krantz 2009): each warning
    its reason and source ids."""

    warnings: list[ReasonOut]
    orders_version: str = Field(
        description="the version of all this person's orders, every medication's, as this order left them "
        "(opaque text, as `orders_version` of GET /patients/{id}/medication): send it back as "
        "`orders_version` with your next order, no read needed. Read under the same lock as the write: it "
        "stands for what you read and this order, never an order someone else wrote meanwhile (which "
        "refused this one, 409)"
    )

    @classmethod
    def prescribed(cls, o: MedicationOrder) -> PrescribedOut:
        if not o.orders_version_after:  # only `prescribe` gives one: an order read back never answers a write
            raise ValueError("an order `prescribe` did not write has no version after it")
        return cls(
            **OrderOut.of(o).model_dump(),
            warnings=[ReasonOut(text=r.text, sources=list(r.sources)) for r in o.warnings],
            orders_version=o.orders_version_after,
        )


class AmendmentOut(Out):
    corrected_mg: str | None  # decimal text; null: a void
    voided: bool
    reason: str
    at: str  # ISO datetime


class DoseOut(Out):
    id: int
    date: str  # the local date, ISO
    sequence: int
    status: str
    amount_mg: str  # decimal text, as given
    effective_mg: str  # decimal text, after corrections
    treatment_day: int | None
    decision: StoredDecision
    override_id: int | None
    amendments: list[AmendmentOut]
    recorded_at: str  # ISO datetime

    @classmethod
    def of(cls, d: DoseRecord) -> DoseOut:
        return cls(**_dose_fields(d))


class DoseRecordedOut(Out):
    """Lane tok27 (review 26a's principle): a dose recorded by a staff member's API token (a dispensing
    system), answered with what the system needs to reconcile the dose it gave and to have a person correct
    it: never the order's decision, the treatment day, the corrections or an override, which stay in Keel
    where a staff member signed in reads them (`api_auth.may_hear_the_record` chooses)."""

    id: int
    date: str  # the local date, ISO
    sequence: int
    status: str
    amount_mg: str  # decimal text, as given
    recorded_at: str  # ISO datetime

    @classmethod
    def of(cls, d: DoseRecord) -> DoseRecordedOut:
        return cls(
            id=d.pk,
            date=d.local_date.isoformat(),
            sequence=d.sequence,
            status=d.status,
            amount_mg=str(d.amount_mg),
            recorded_at=d.recorded_at.isoformat(),
        )


def _dose_fields(d: DoseRecord) -> dict[str, Any]:
    return {
        "id": d.pk,
        "date": d.local_date.isoformat(),
        "sequence": d.sequence,
        "status": d.status,
        "amount_mg": str(d.amount_mg),
        "effective_mg": str(queries.effective_mg(d)),
        "treatment_day": d.treatment_day,
        "decision": d.decision,
        "override_id": d.override_id,
        "amendments": [
            AmendmentOut(
                corrected_mg=None if a.corrected_mg is None else str(a.corrected_mg),
                voided=a.voided,
                reason=a.reason,
                at=a.amended_at.isoformat(),
            )
            for a in d.amendments.all()
        ],
        "recorded_at": d.recorded_at.isoformat(),
    }


class InjectionOut(DoseOut):
    site: str  # left_gluteal | right_gluteal

    @classmethod
    def of(cls, d: DoseRecord) -> InjectionOut:
        return cls(**_dose_fields(d), site=d.site)


class AmendmentSavedOut(Out):
    """The correction just saved, with what it changed of the take-home bottles (review 22t hole 4: taken
    back, who to call; kept back; handed out), each its reason and source ids."""

    id: int
    dose_id: int
    voided: bool
    reason: str
    warnings: list[ReasonOut]

    @classmethod
    def saved(cls, a: DoseAmendment) -> AmendmentSavedOut:
        return cls(
            id=a.pk,
            dose_id=a.dose_id,
            voided=a.voided,
            reason=a.reason,
            warnings=[ReasonOut(text=r.text, sources=list(r.sources)) for r in a.warnings],
        )


class OverrideSavedOut(Out):
    id: int
    date: str  # ISO date
    max_total_mg: str  # decimal text ("0" for an hours, start or interval override)


class OverrideOut(OverrideSavedOut):
    reason: str


class TakeHomeOut(Out):
    id: int
    decided_at: str  # ISO datetime
    days_in_treatment: int
    max_supply_days: int
    bottles: list[str]  # ISO dates
    open_flags: list[dict[str, str]]  # the concerns acknowledged: id, kind, raised_on
    ended_on: str | None
    ended_by: int | None
    ended_at: str | None
    end_reason: str
    returned_days: list[str]  # ISO dates
    # session 22: the mg each bottle handed out holds, by its ISO day (decimal text); a day not here was not
    # handed out yet (or the plan was decided before amounts were kept)
    bottle_mg: dict[str, str]
    # review 24b hole 6: an ended plan's bottles still at home for days it no longer covers (ISO day -> mg):
    # call the person back to bring them in (until recorded brought back, `returned_days`)
    call_back: dict[str, str] = {}
    episode_id: int | None
    criteria: dict[str, bool]
    decision: StoredDecision

    @classmethod
    def of(cls, t: TakeHomePlan, call_back: dict[date, Decimal] | None = None) -> TakeHomeOut:
        return cls(
            call_back={d.isoformat(): f"{mg.normalize():f}" for d, mg in sorted((call_back or {}).items())},
            id=t.pk,
            decided_at=t.decided_at.isoformat(),
            days_in_treatment=t.days_in_treatment,
            max_supply_days=t.max_supply_days,
            bottles=t.bottles,
            open_flags=t.open_flags,
            ended_on=t.ended_on.isoformat() if t.ended_on else None,
            ended_by=t.ended_by_id,
            ended_at=t.ended_at.isoformat() if t.ended_at else None,
            end_reason=t.end_reason,
            returned_days=t.returned_days,
            bottle_mg=t.bottle_mg or {},
            episode_id=t.enrollment_id,
            criteria=t.criteria,
            decision=t.decision,
        )


class QtcOut(Out):
    id: int
    qtc_ms: int
    measured_on: str  # ISO date
    decision: StoredDecision

    @classmethod
    def of(cls, q: QtcRecord) -> QtcOut:
        return cls(id=q.pk, qtc_ms=q.qtc_ms, measured_on=q.measured_on.isoformat(), decision=q.decision)


class MedicationRecordOut(Out):
    orders_version: str = Field(
        description="the version of all these orders, every medication's (opaque text): send it back as "
        "`orders_version` with a new order (POST /patients/{id}/orders); an order of any medication "
        "written or stopped since refuses it (409). Read before the orders: never newer than them"
    )
    order_versions: dict[str, int] = Field(
        description="each medication's version (the newest order's id plus its stopped orders, 0 for "
        "none), the one definition the medication page shows: `order_version` of a new order"
    )
    orders: list[OrderOut]
    doses: list[DoseOut]
    overrides: list[OverrideOut]
    take_homes: list[TakeHomeOut]
    qtc: list[QtcOut]


class TakeHomeConcernOut(Out):
    id: str
    kind: str  # a flag kind, or missed_doses
    raised_on: str  # ISO date


class TakeHomeReviewOut(Out):
    days_in_treatment: int
    federal_max_days: int
    open_flags: list[TakeHomeConcernOut]
    closure_days: list[str]  # ISO dates
    bottles_held: list[str]  # ISO dates: bottles held or still to be handed, counted against a new supply


class FillOut(Out):
    id: int
    order: int
    filled_on: str  # ISO date
    days_supply: int
    source: str
    voids: int | None  # a void: the fill it voids
    reason: str

    @classmethod
    def of(cls, f: MedicationFill) -> FillOut:
        return cls(
            id=f.pk,
            order=f.order_id,
            filled_on=f.filled_on.isoformat(),
            days_supply=f.days_supply,
            source=f.source,
            voids=f.voids_id,
            reason=f.reason,
        )


class DosingRowOut(Out):
    patient_id: int
    name: str
    medication: str
    ordered_mg: str  # decimal text
    status: str  # due, given, held, take_home
    given_today_mg: str  # decimal text
    treatment_day: int | None
    missed_days_in_a_row: int
    next_sequence: int
    last_dose: str | None  # ISO date
    take_home_max_days: int | None
    open_flags: int


# --- a treatment start --------------------------------------------------------------------------------------


class LastUseCorrectionOut(Schema):
    # The one schema of this module that existed before (the correction route's), kept as the OpenAPI
    # document stated it (extra keys not forbidden there): built field by field by `of`, never from a dict.
    id: int
    opioid: str
    struck_at: str  # ISO datetime
    corrected_at: str | None
    reason: str
    corrected_by: str  # username
    recorded_at: str  # ISO datetime

    @classmethod
    def of(cls, row: LastUseCorrection) -> LastUseCorrectionOut:
        return cls(
            id=row.pk,
            opioid=row.opioid,
            struck_at=row.struck_at.isoformat(),
            corrected_at=row.corrected_at.isoformat() if row.corrected_at else None,
            reason=row.reason,
            corrected_by=row.corrected_by.username,
            recorded_at=row.recorded_at.isoformat(),
        )


class LastUseOut(Out):
    opioid: str
    last_use_at: str | None  # ISO datetime
    source: str  # intake | report | corrected | dose | take_home | fill
    correction: LastUseCorrectionOut | None  # source "corrected": the prescriber's correction giving the time


def last_uses_out(uses: LastUses | None) -> list[LastUseOut]:
    """Each opioid's latest known last use and where Keel knows it from, with the correction that gave it."""
    if uses is None:
        return []
    return [
        LastUseOut(
            opioid=u.opioid,
            last_use_at=u.at.isoformat() if u.at else None,
            source=u.source,
            correction=LastUseCorrectionOut.of(u.correction) if u.correction is not None else None,
        )
        for u in uses.uses.values()
    ]


class ReportedUseOut(Out):
    opioid: str
    last_use_at: str | None  # ISO datetime


class LastUseReportOut(Out):
    id: int
    opioids: list[ReportedUseOut]
    source: str  # care_team | person
    reported_at: str  # ISO datetime

    @classmethod
    def of(cls, row: LastUseReport) -> LastUseReportOut:
        return cls(
            id=row.pk,
            opioids=row.opioids,
            source=row.source,
            reported_at=row.reported_at.isoformat(),
        )


class IntakeOut(Out):
    id: int
    values: dict[str, Any]  # free-form: the intake's answers as the core checked and stored them
    overdose_risk: DecisionOut


class ScoreOut(Out):
    """The latest COWS (or SOWS) and how old it is."""

    total: int | None
    filled_at: str  # ISO datetime
    age_hours: float | None


class NaloxoneKitOut(Out):
    product: str
    dispensed_on: str  # ISO date


class NaloxoneKitSavedOut(Out):
    id: int
    product: str
    dispensed_on: str  # ISO date


class CareGoalLineOut(Out):
    area: str
    goal: str
    responsible: str
    review_on: str  # ISO date


class StartOut(Out):
    intake: dict[str, Any] | None  # free-form: the latest intake's answers as stored
    cows: ScoreOut | None
    last_uses: list[LastUseOut]
    ready: bool
    readiness: DecisionOut | None
    readiness_needs: list[str]
    overdose_risk: DecisionOut | None
    naloxone_kits: list[NaloxoneKitOut]
    care_goals: list[CareGoalLineOut]


class HomeStartOut(Out):
    has_plan: bool
    first_dose_mg: str | None  # decimal text
    sows: ScoreOut | None
    last_uses: list[LastUseOut]
    needs: list[str]
    decision: DecisionOut | None
    redose_interval_hours: int | float
    day1_max_mg: int | float
    day2_max_mg: int | float


class CareGoalSavedOut(Out):
    id: int
    area: str
    goal: str
    review_on: str  # ISO date


class MyCarePlanOut(Out):
    goals: list[CareGoalLineOut]
    naloxone_kits: list[str]  # ISO dates dispensed


class GoalIn(In):
    area: str
    goal: str
    responsible_id: int
    review_on: str


class DoseIn(In):
    amount_mg: object = Field(  # a JSON number or text ("30.5"): the service reads it, with its own words
        default=None,
        description="the amount given (mg); required unless sedated (never the ordered dose by default)",
    )
    sequence: int | None = Field(
        default=None,
        description="required: the dose slot of the day (1 for the first); a recorded slot again is a 409",
    )
    sedated: bool = Field(default=False, description="sedated or intoxicated now: the dose is held")
    medication: str = Field(default="methadone", description="methadone or buprenorphine")
    given_at: object = Field(  # ISO text, read by the service ("a date and time like ...")
        default=None, description="when it was given, if earlier today (with its time zone)"
    )
    bottle_returned: bool = Field(
        default=False,
        description="today is a take-home day and today's bottle was returned unopened (else refused, 422)",
    )


class AmendmentIn(In):
    corrected_mg: object = None  # as a dose's amount_mg: read by the service
    void: bool = False
    reason: str


class OverrideIn(In):
    max_total_mg: object = None  # as a dose's amount_mg: read by the service
    reason: str
    medication: str = Field(
        default="methadone", description="methadone or buprenorphine; naltrexone_xr for kind interval"
    )
    kind: str = Field(
        default="limit",
        description=(
            "limit: past a dose limit today; start: a first buprenorphine dose before 'ready'; "
            "hours: a dose outside the dosing window's hours (no max_total_mg); interval: an XR-naltrexone "
            "injection sooner than the program's minimum interval (no max_total_mg); switch: methadone the "
            "same day as buprenorphine given here (medication methadone, no max_total_mg)"
        ),
    )


class FillIn(In):
    order: int = Field(description="the medication order that was filled")
    filled_on: str = Field(description="the day it was filled (YYYY-MM-DD, not after today)")
    days_supply: int = Field(description="days the fill covers (1-365)")
    source: str = Field(description="pharmacy | pdmp | patient: how the program knows")


class VoidIn(In):
    reason: str = Field(description="why the fill does not count (kept with the record)")


class InjectionIn(In):
    site: str = Field(description="left_gluteal or right_gluteal (alternate)")
    naloxone_challenge_negative: bool = Field(
        default=False, description="a naloxone challenge was done today and brought on no withdrawal"
    )


@with_config(NESTED_FORBID)
class ScheduleStepIn(TypedDict, total=False):
    """One day of a low-dose start; its values are checked by the core (`parse_schedule`), its keys here."""

    day: object
    mg: object


class OrderIn(In):
    medication: str
    dose_mg: object  # as a dose's amount_mg: read by the service
    starts_on: IsoDate | None = None
    note: str = ""
    home_start: bool = Field(default=False, description="buprenorphine started at home with the SOWS check")
    schedule: list[ScheduleStepIn] = Field(
        default_factory=list, description='a low-dose start: [{"day": 1, "mg": 0.5}, ...]'
    )
    override_reason: str = Field(
        default="",
        description="the prescriber's clinical reason for a dose above the program's entry-error check",
    )
    orders_version: str = Field(
        description="required: the version of this person's orders you read, covering every medication: "
        "`orders_version` in GET /patients/{id}/medication, sent back exactly as given (opaque text). An "
        "order of any medication written or stopped since is a 409 naming orders_version and the order "
        "that changed; missing, not one Keel gave, or another person's: a 422 naming orders_version. "
        "Nothing is written either way",
    )
    order_version: int | None = Field(
        default=None,
        ge=0,
        description="optional (required before orders_version, which covers it): the version of this "
        "medication's orders you read, its entry in `order_versions` of GET /patients/{id}/medication. "
        "Sent, it must be a whole number (else 422) and still current (else 409 naming order_version); "
        "it never replaces orders_version",
    )


class PatientPolicyIn(In):
    rule: str
    field: str
    value: object  # of the field's kind (a number, a choice, null): checked by the core against its limit
    reason: str


class PolicyIn(In):
    value: object = Field(description="the new value (null: no program limit, where the rule allows it)")
    reason: str = Field(description="why the program changes it (kept in the history and the audit trail)")


class QtcIn(In):
    qtc_ms: int
    measured_on: IsoDate | None = None


class RuleIn(In):
    input: dict[str, Any] = Field(description="the rule's inputs (see GET /rules/{name})")
    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="stricter values than your program's policy, for this evaluation only (never looser)",
    )
    program: str | None = Field(default=None, description="your program's slug, if you work in several")


@with_config(NESTED_FORBID)
class OpioidLastUseIn(TypedDict, total=False):
    """One opioid in a report of last use; its values are checked by
    `services.last_use.parse_last_use_report`."""

    opioid: object
    last_use_at: object


class LastUseIn(In):
    opioids: list[OpioidLastUseIn] = Field(
        description='each opioid used since the last report: [{"opioid": "heroin", "last_use_at": '
        '"2026-11-25T06:30:00-05:00"}]; an empty list says no opioid since'
    )


class LastUseCorrectionIn(In):
    opioid: str = Field(
        description="the opioid whose time is struck: heroin, fentanyl, rx_short, rx_long, methadone or "
        "buprenorphine"
    )
    struck_at: str = Field(
        description="the mistaken time of last use, as the record reports it (GET .../start: last_uses), "
        'with its zone: "2026-11-25T22:00:00-05:00"'
    )
    corrected_at: str | None = Field(
        default=None,
        description="the right time, earlier than struck_at and not in the future, with its zone; null: the "
        "struck time was wrong and the record gives no other (a later time is a new report of last use)",
    )
    reason: str = Field(
        description=f"the prescriber's reason: {REASON_FIELD_HELP}",
    )


class KitIn(In):
    product: str
    quantity: int = 1


@with_config(NESTED_FORBID)
class TakeHomeCriteriaIn(TypedDict, total=False):
    """The documented take-home criteria (`services.CRITERIA_KEYS`, 42 CFR 8.12); one left out is not met.
    A misspelt criterion is refused by name (it was counted as not met without a word)."""

    no_active_risky_use: bool
    regular_attendance: bool
    no_serious_behavior_problems: bool
    no_known_recent_diversion: bool
    safe_transport_and_storage: bool
    other_factors_considered: bool


class TakeHomeIn(In):
    criteria: TakeHomeCriteriaIn
    state_max_days: int | None = None
    start_on: IsoDate | None = None
    acknowledged_flags: list[str] = Field(
        default_factory=list, description="the id of every open concern (GET .../take-homes/review)"
    )
    bottle_days: list[IsoDate] | None = Field(
        default=None, description="a schedule below the maximum (weekends only, say); empty: every day"
    )
    closure_day: IsoDate | None = Field(
        default=None, description="one dose for a program closure day, for someone not otherwise eligible"
    )


class TakeHomeEndIn(In):
    reason: str = Field(description="why the plan ends early: a reason of substance (kept in the record)")
    from_day: IsoDate | None = Field(
        default=None, description="the first day its bottles no longer cover: today or later; blank: today"
    )
    returned_days: list[IsoDate] | None = Field(
        default=None,
        description="the days whose bottles were brought back unopened or never handed out; empty or "
        "absent: none came back, and the bottles handed out keep counting against the supply",
    )


class TakeHomeBroughtBackIn(In):
    """Lane fix25c: bottles brought back on a plan that ended (the call-back list), never an end."""

    reason: str = Field(description="how they came back: who brought them, and when (kept in the record)")
    returned_days: list[IsoDate] = Field(description="the days whose bottles were brought back unopened")


class OpioidUseIn(CoreIn):
    """One opioid on an intake: which, how, and when it was last used (`keel.core.intake.OPIOID`)."""

    FIELDS = core_intake.OPIOID

    opioid: str
    routes: list[str]
    last_use_at: str  # ISO date-time with its zone, not after the intake; "" when not known


class IntakeIn(CoreIn):
    """An intake, as the API and the page post it: the fields, limits and help of `keel.core.intake.FIELDS`
    and a list of opioids, checked by `keel.core.intake.parse_intake` at the time it is recorded."""

    FIELDS = core_intake.FIELDS
    NESTED = {"opioids": list[OpioidUseIn]}

    other_substances: list[str]
    prior_overdoses: int
    prior_treatment: list[str]
    pregnant: str
    uses_alone: bool
    recent_lost_tolerance: bool
    serious_mental_illness: bool
    breathing_or_clearance_illness: bool
    has_naloxone: bool
    family_history: bool
    trauma: bool
    mental_health: bool
    peer_environment: bool
    note: str
    opioids: list[OpioidUseIn]

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        if now is None:
            raise TypeError("an intake is checked at the time it is recorded: parse(now=...)")
        return core_intake.parse_intake(raw, now)
