"""The dosing window's context for each person: the one place doses, amendments, the episode, take-home days
and holds are read together. `dose_contexts` reads many people in five set-based ORM queries (the dosing
list; its spec); `dose_context` reads one person in two hand-written statements (`keel.db.rows`) and gives
the same answer (tests/treatment/test_dose_context_sql.py)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from keel.core import episodes
from keel.core.rules.agonists import SWITCH_LOOKBACK_DAYS
from keel.db import rows
from keel.patients.models import Enrollment, EnrollmentStatus, FlagKind, Patient, PatientFlag, zone_of
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    DoseStatus,
    Medication,
    TakeHomePlan,
    amendment_order_sql,
    in_written_order,
    latest_amendment_sql,
)
from keel.treatment.queries.doses import (
    MISS_LOOKBACK,
    DoseContext,
    _as_date,
    effective_mg,
    episode_firsts,
    is_taken,
)
from keel.treatment.queries.take_home_plans import as_handed_out, episode_plans, held_bottles, plan_days


def dose_context(
    patient: Patient, medication: str, today: date, *, with_other_holds: bool = False
) -> DoseContext:
    """One person's context (the dose at the window, the start page, the take-home day count): the same
    answer as `dose_contexts` for that person, read in two hand-written statements (`keel.db.rows`)
    instead of its five ORM ones, whose compiling cost more than running them (issue #21;
    tests/treatment/test_dose_context_sql.py holds it to `dose_contexts`' answer on varied histories).
    `with_other_holds`: also another medication's held doses and doses of today (`others_taken_today`);
    whether another medication's hold stands (`other_hold_open`) is read either way (review 33e hole 6)."""
    return dose_context_and_reads(patient, medication, today, with_other_holds=with_other_holds)[0]


def dose_context_and_reads(
    patient: Patient,
    medication: str,
    today: date,
    *,
    with_other_holds: bool = False,
    ended_episode: int = 0,
) -> tuple[DoseContext, _Reads]:
    """`dose_context`, and what it was made of (the dose at the window keeps them: the row swapped in after
    the dose is told from them and the new dose, `context_after_dose`). `ended_episode`: the id of the
    episode a discharge ended today after a late entry's dose was given (lane discharge39,
    `guards.before_discharge`): read as the open episode it was when the dose was given."""
    reads = _person_reads(patient, medication, today, with_other_holds, ended_episode)
    return _assemble([(patient, today)], medication, reads)[patient.pk], reads


def context_after_dose(
    patient: Patient, medication: str, today: date, reads: _Reads, dose: DoseRecord
) -> DoseContext | None:
    """The context `dose_context(patient, medication, today)` reads right after `dose` was saved (with no
    other change meanwhile: the caller checks that, `window.row_after_dose`), told from what the dose read
    before it (`reads`, with or without other holds) and the new dose, without reading them again. None
    where they cannot tell it: a dose of another day or medication, no episode, or a dose that may be the
    episode's first (its rule reads the enrollment's consent and the last discharge: read it again then).
    tests/treatment/test_row_after_dose.py holds it to a fresh read over the dose-context histories."""
    pk = patient.pk
    if dose.local_date != today or dose.medication != medication or pk not in reads.firsts:
        return None
    first = reads.firsts[pk]
    if dose.status == DoseStatus.GIVEN and (first is None or first > today):
        return None  # it may start the episode: the first-dose rule is read again
    new = copy.copy(dose)  # as read back: the amount at the column's scale (30 -> 30.00)
    new.amount_mg = Decimal(new.amount_mg).quantize(_MG_SCALE)
    doses = sorted([*reads.doses[pk], new], key=lambda d: (d.local_date, d.sequence, d.pk))
    after = _Reads(
        {pk: doses},
        {pk: []},  # the row reads no other medication's holds
        reads.amended,  # a new dose has no amendments
        reads.firsts,
        reads.episodes_of,
        reads.plans,
        {pk: (this or new.status == DoseStatus.HELD, other) for pk, (this, other) in reads.holds.items()},
        reads.every_plan,  # as the dose left them (a bottle back is on its plan)
    )
    return _assemble([(patient, today)], medication, after)[pk]


_MG_SCALE = Decimal("0.01")  # DoseRecord.amount_mg: decimal_places=2


@dataclass
class _Reads:
    """What a dose context is made of, per person (patient id): this medication's recent doses (day and slot
    order), the other medications' held doses and doses of today (with_other_holds: `other_held`), the
    amendments of both (oldest first),
    the current episode (its first dose, the active enrollment) and its take-home plans (oldest first).
    `holds`: per person, whether a hold stands on their day (`OPEN_HOLD`) of this medication and of another
    (both read whatever with_other_holds)."""

    doses: dict[int, list[DoseRecord]]
    other_held: dict[int, list[DoseRecord]]
    amended: dict[int, list[DoseAmendment]]
    firsts: dict[int, date | None]
    episodes_of: dict[int, tuple[int, date]]
    plans: list[TakeHomePlan]
    holds: dict[int, tuple[bool, bool]] = field(default_factory=dict)
    # every take-home plan of each person (oldest first), those of earlier episodes and ended ones included:
    # what `DoseContext.bottles_maybe_held` is told from (review 20a)
    every_plan: list[TakeHomePlan] = field(default_factory=list)


# The columns of a dose a context never reads (its amounts, days, times and statuses are what it counts): the
# rule's stored decision is a JSON document per dose, decoded for nothing on every dose and every dosing row
# (issue #21). Left unread (deferred: asked for, it is read from the database).
UNUSED_DOSE_COLUMNS = ("decision",)


def dose_contexts(
    patients: list[tuple[Patient, date]], medication: str, *, with_other_holds: bool = False
) -> dict[int, DoseContext]:
    """Dose contexts for many patients at once, in five set-based queries (the dosing list)."""
    if not patients:
        return {}
    ids = [p.pk for p, _ in patients]
    earliest = min(today for _, today in patients) - timedelta(days=MISS_LOOKBACK)
    doses: dict[int, list[DoseRecord]] = {pk: [] for pk in ids}
    other_held: dict[int, list[DoseRecord]] = {pk: [] for pk in ids}  # another medication's held doses
    recent = DoseRecord.objects.filter(patient_id__in=ids, local_date__gte=earliest).defer(
        *UNUSED_DOSE_COLUMNS
    )
    if not with_other_holds:
        recent = recent.filter(medication=medication)
    else:  # this medication's doses, and only the holds of the others and their recent doses
        first_today = min(today for _, today in patients) - timedelta(days=SWITCH_LOOKBACK_DAYS)  # in hours
        recent = recent.filter(
            Q(medication=medication) | Q(status=DoseStatus.HELD) | Q(local_date__gte=first_today)
        )
    for d in recent.order_by("patient_id", "local_date", "sequence"):
        if d.medication == medication:
            doses[d.patient_id].append(d)
        else:
            other_held[d.patient_id].append(d)
    # The amendments of those doses in one query (few doses have any); Django's per-row prefetch cost 1 s for
    # 20,000 doses (bench/measures.py, the caseload).
    amended: dict[int, list[DoseAmendment]] = {}
    for a in in_written_order(DoseAmendment.objects.filter(dose__in=recent)):
        amended.setdefault(a.dose_id, []).append(a)
    # The episode's first dose (no active enrollment: no episode, no dosing).
    firsts, episodes_of = episode_firsts(ids, medication)
    # every plan of these people, in `episode_take_home_plans`' one statement; the episode's kept apart
    every_plan = list(TakeHomePlan.objects.filter(patient_id__in=ids).order_by("decided_at", "id"))
    plans = episode_plans(every_plan, episodes_of)
    holds = open_holds(patients, medication)
    reads = _Reads(doses, other_held, amended, firsts, episodes_of, plans, holds, every_plan=every_plan)
    return _assemble(patients, medication, reads)


def open_holds(patients: list[tuple[Patient, date]], medication: str) -> dict[int, tuple[bool, bool]]:
    """Whether a hold stands on each person's day, of `medication` and of another: a dose held on that day or
    before whose `dose_held` flag no prescriber has resolved (`OPEN_HOLD`, the one definition; lane fix33d,
    review 33c hole 2: a hold stands until a prescriber releases it, never only to midnight). One query,
    every medication's holds whatever `with_other_holds` (lane fix33h, review 33e hole 6: the window's row
    and count read the hold the dose reads)."""
    today_of = {p.pk: today for p, today in patients}
    holds = dict.fromkeys(today_of, (False, False))
    open_flag = PatientFlag.objects.filter(
        kind=FlagKind.DOSE_HELD, source_type="dose", source_id=OuterRef("pk"), resolved_at__isnull=True
    )
    held = DoseRecord.objects.filter(
        patient_id__in=list(today_of), status=DoseStatus.HELD, local_date__lte=max(today_of.values())
    ).filter(Exists(open_flag))
    for pk, held_medication, day in held.values_list("patient_id", "medication", "local_date"):
        if day > today_of[pk]:
            continue
        this, other = holds[pk]
        if held_medication == medication:
            holds[pk] = (True, other)
        else:  # read whatever `with_other_holds` says: the window's row reads it (review 33e hole 6)
            holds[pk] = (this, True)
    return holds


def held_before(patient_id: int, started_on: date) -> list[date]:
    """The days of the holds that stand (`OPEN_HOLD`'s test: held, the flag no prescriber has resolved) held
    before `started_on`, the current episode's first day: holds from an earlier episode of care, which a
    discharge does not release (clin34: the refusal says so). Asked only when a hold refused a dose."""
    open_flag = PatientFlag.objects.filter(
        kind=FlagKind.DOSE_HELD, source_type="dose", source_id=OuterRef("pk"), resolved_at__isnull=True
    )
    held = DoseRecord.objects.filter(patient_id=patient_id, status=DoseStatus.HELD, local_date__lt=started_on)
    return sorted(set(held.filter(Exists(open_flag)).values_list("local_date", flat=True)))


# dose_contexts' statements for one person, hand-written. The taken test is taken_doses' (the latest
# amendment neither voids the dose nor corrects it to 0 mg or blank), the first dose `first_dose`'s above.
_FIRST_DOSE = (
    '(SELECT v."local_date" FROM "treatment_doserecord" v WHERE v."patient_id" = e."patient_id" '  # noqa: S608 # nosec B608
    'AND v."medication" = %s AND v."status" = %s AND v."local_date" >= e."started_on" '
    'AND (v."local_date" > COALESCE((SELECT u."ended_on" FROM "patients_enrollment" u '
    'WHERE u."patient_id" = e."patient_id" AND u."status" = %s AND u."id" <> e."id" '
    'ORDER BY u."ended_on" DESC LIMIT 1), %s) '
    'OR v."recorded_at" >= e."consented_at") AND ('
    + latest_amendment_sql("voided", 'v."id"')
    + " IS NULL OR ("
    + latest_amendment_sql("voided", 'v."id"')
    + " = %s AND "
    + latest_amendment_sql("corrected_mg", 'v."id"')
    + ' > %s)) ORDER BY v."local_date" LIMIT 1)'
)


_EPISODE = (
    'FROM "patients_enrollment" e LEFT JOIN "treatment_takehomeplan" t ON t."patient_id" = e."patient_id" '
    'WHERE e."patient_id" = %s AND (e."status" = %s OR e."id" = %s) ORDER BY t."decided_at", t."id"'
)


# A hold stands (the one definition, `open_holds`' too): a dose of the person held on their day or before,
# of this medication (`=`) or another (`<>`), whose `dose_held` flag no prescriber has resolved.
OPEN_HOLD = (
    'EXISTS (SELECT 1 FROM "treatment_doserecord" h WHERE h."patient_id" = e."patient_id" '
    'AND h."status" = %s AND h."local_date" <= %s AND h."medication" {op} %s '
    'AND EXISTS (SELECT 1 FROM "patients_patientflag" f WHERE f."kind" = %s AND f."source_type" = %s '
    'AND f."source_id" = h."id" AND f."resolved_at" IS NULL))'
)


_DOSES = (
    'FROM "treatment_doserecord" d LEFT JOIN "treatment_doseamendment" a ON a."dose_id" = d."id" '
    'WHERE d."patient_id" = %s AND d."local_date" >= %s '
    'AND (d."medication" = %s OR d."status" = %s OR d."local_date" >= %s) '
    'ORDER BY d."local_date", d."sequence", d."id", ' + amendment_order_sql("a")
)


def _person_reads(
    patient: Patient, medication: str, today: date, with_other_holds: bool, ended_episode: int = 0
) -> _Reads:
    """One person's reads for the dose at the window, in two statements: the doses with their amendments
    (`_person_doses`), then the episode with its take-home plans, first dose and whether a hold stands
    (`_person_episode`)."""
    pk = patient.pk
    doses, other_held, amended = _person_doses(pk, medication, today, with_other_holds)
    firsts, episodes_of, plans, holds = _person_episode(pk, medication, today, ended_episode)
    return _Reads(
        {pk: doses},
        {pk: other_held},
        amended,
        firsts,
        episodes_of,
        episode_plans(plans, episodes_of),
        holds,
        plans,
    )


def _person_doses(
    pk: int, medication: str, today: date, with_other_holds: bool
) -> tuple[list[DoseRecord], list[DoseRecord], dict[int, list[DoseAmendment]]]:
    """The first statement (`_DOSES`): this medication's doses since the missed-dose lookback, the other
    doses (held ones, and with `with_other_holds` another medication's recent ones) and each dose's
    amendments; one row per dose and amendment."""
    day = connection.ops.adapt_datefield_value  # as the ORM sends a date
    doses: list[DoseRecord] = []
    other_held: list[DoseRecord] = []
    amended: dict[int, list[DoseAmendment]] = {}
    # Without with_other_holds only this medication: a status no dose has stands for "or held", the last day
    # a date can be for "or recent" (another medication's doses of the last SWITCH_LOOKBACK_DAYS days and
    # today: a second agonist is read in hours, up to the policy's ceiling, review 22m, lane policy22).
    status = DoseStatus.HELD if with_other_holds else ""
    others_on = today - timedelta(days=SWITCH_LOOKBACK_DAYS) if with_other_holds else date.max
    seen: set[int] = set()
    for dose, amendment in rows.fetch(
        _DOSES,
        [
            pk,
            day(today - timedelta(days=MISS_LOOKBACK)),
            medication,
            status,
            day(others_on),
        ],
        (DoseRecord, "d", UNUSED_DOSE_COLUMNS),
        (DoseAmendment, "a"),
    ):
        if dose.pk not in seen:
            seen.add(dose.pk)
            (doses if dose.medication == medication else other_held).append(dose)
        if amendment is not None:
            amended.setdefault(dose.pk, []).append(amendment)
    return doses, other_held, amended


def _person_episode(
    pk: int, medication: str, today: date, ended_episode: int = 0
) -> tuple[
    dict[int, date | None], dict[int, tuple[int, date]], list[TakeHomePlan], dict[int, tuple[bool, bool]]
]:
    """The second statement (`_EPISODE`): the person's active enrollment (one, a constraint), its first
    dose of the medication given, its take-home plans, oldest first, and whether a hold stands on `today`
    of this medication and of another (`OPEN_HOLD`). `ended_episode` (a late entry before today's
    discharge, lane discharge39): that episode instead (the person has no active one then); 0: none."""
    day = connection.ops.adapt_datefield_value  # as the ORM sends a date
    firsts: dict[int, date | None] = {}
    episodes_of: dict[int, tuple[int, date]] = {}
    plans: list[TakeHomePlan] = []
    holds: dict[int, tuple[bool, bool]] = {}
    held = (DoseStatus.HELD, day(today))
    flag = (FlagKind.DOSE_HELD, "dose")
    for enrollment, plan, first, this, other in rows.fetch(
        _EPISODE,
        [
            medication,
            DoseStatus.GIVEN,
            EnrollmentStatus.ENDED,
            day(date(1, 1, 1)),
            False,
            0,
            *(*held, medication, *flag),
            *(*held, medication, *flag),
            pk,
            EnrollmentStatus.ACTIVE,
            ended_episode,
        ],
        (Enrollment, "e"),
        (TakeHomePlan, "t"),
        extra=(_FIRST_DOSE, OPEN_HOLD.format(op="="), OPEN_HOLD.format(op="<>")),
    ):
        holds[pk] = (bool(this), bool(other))
        firsts[pk] = _as_date(first)  # one active enrollment per person (a constraint)
        episodes_of[pk] = (enrollment.pk, enrollment.started_on)
        if plan is not None:
            plans.append(plan)
    return firsts, episodes_of, plans, holds


def _assemble(patients: list[tuple[Patient, date]], medication: str, reads: _Reads) -> dict[int, DoseContext]:
    """The contexts from what was read (the same for the set-based reads and the one-person ones): each
    person's context of this medication's doses and plans, what another medication's doses say, then whether
    a hold stands (`holds`, read with them)."""
    if medication == Medication.METHADONE:
        _as_handed_out(patients, reads)
    covered, latest = _covered_by_plans(patients, reads.plans)
    contexts = {
        p.pk: _context(today, reads.doses[p.pk], reads.firsts.get(p.pk), covered[p.pk], reads.amended)
        for p, today in patients
    }
    for p, today in patients:
        ctx = contexts[p.pk]
        _add_episode_and_plans(ctx, p.pk, today, reads, covered[p.pk], latest.get(p.pk))
        _add_others_taken(ctx, reads.other_held[p.pk], today, reads.amended)
        ctx.hold_open, ctx.other_hold_open = reads.holds.get(p.pk, (False, False))
    return contexts


def _covered_by_plans(
    patients: list[tuple[Patient, date]], plans: list[TakeHomePlan]
) -> tuple[dict[int, set[date]], dict[int, TakeHomePlan]]:
    """Each person's days covered by their plans (`plan_days`), and their latest plan (`plans` oldest first:
    the last one is the latest)."""
    covered: dict[int, set[date]] = {p.pk: set() for p, _ in patients}
    latest: dict[int, TakeHomePlan] = {}
    for plan in plans:
        covered[plan.patient_id] |= plan_days(plan)
        latest[plan.patient_id] = plan
    return covered, latest


def _add_episode_and_plans(
    ctx: DoseContext,
    pk: int,
    today: date,
    reads: _Reads,
    covered: set[date],
    latest: TakeHomePlan | None,
) -> None:
    """The person's episode, plan and days covered, the bottles maybe held for today (in an episode, today
    not covered), the times of this medication's doses taken since yesterday, and yesterday's with their mg
    (`earlier_taken`, lane fix38e)."""
    amended = reads.amended
    ctx.in_episode = pk in reads.firsts
    ctx.take_home = latest
    ctx.take_home_days = covered
    if ctx.in_episode and today not in ctx.take_home_days:
        iso = today.isoformat()
        ctx.bottles_maybe_held = [
            plan
            for plan in reads.every_plan
            if plan.patient_id == pk and iso in (plan.bottles or []) and iso not in (plan.returned_days or [])
        ]
    ctx.taken_times = [
        d.given_at or d.recorded_at
        for d in reads.doses[pk]
        if d.status == DoseStatus.GIVEN
        and d.local_date >= today - timedelta(days=1)
        and is_taken(d, amended.get(d.pk, []))
    ]
    ctx.earlier_taken = [
        (d.given_at or d.recorded_at, effective_mg(d, amended.get(d.pk, [])))
        for d in reads.doses[pk]
        if d.status == DoseStatus.GIVEN
        and d.local_date == today - timedelta(days=1)
        and is_taken(d, amended.get(d.pk, []))
    ]


def _add_others_taken(
    ctx: DoseContext, other: list[DoseRecord], today: date, amended: dict[int, list[DoseAmendment]]
) -> None:
    """Another medication's doses taken today (read only with_other_holds), and in the last
    `SWITCH_LOOKBACK_DAYS` (review 22m: a second agonist read in hours)."""
    ctx.others_taken_today = sorted(
        (
            d
            for d in other
            if d.local_date == today and d.status == DoseStatus.GIVEN and is_taken(d, amended.get(d.pk, []))
        ),
        key=lambda d: (d.medication, d.sequence, d.pk),
    )
    ctx.others_taken_recently = [
        d
        for d in other
        if today - timedelta(days=SWITCH_LOOKBACK_DAYS) <= d.local_date <= today
        and d.status == DoseStatus.GIVEN
        and is_taken(d, amended.get(d.pk, []))
    ]


def _as_handed_out(patients: list[tuple[Patient, date]], reads: _Reads) -> None:
    """Session 24 (lane bot24): each person's plans as read on their today (`take_home_plans.as_handed_out`,
    in place): a plan whose run never left the clinic (no observed dose on the day it was to go home) covers
    no day from that run on, so the window judges such a day by the ordinary verdict and counts the day
    missed. The observed days are those this context read (`MISS_LOOKBACK`); a plan decided before them
    with a bottle day due and not recorded reads its own. Merge24b: on copies of the plans (`reads.plans`),
    so `reads.every_plan` stays the stored rows (perf24: the plans a writer is handed, the ORM's read)."""
    reads.plans = [copy.copy(plan) for plan in reads.plans]
    by_person: dict[int, list[TakeHomePlan]] = {}
    for plan in reads.plans:
        by_person.setdefault(plan.patient_id, []).append(plan)
    for p, today in patients:
        if not by_person.get(p.pk):
            continue
        visits = {
            d.local_date
            for d in reads.doses[p.pk]
            if d.status == DoseStatus.GIVEN
            and d.local_date < today
            and is_taken(d, reads.amended.get(d.pk, []))
        }
        as_handed_out(by_person[p.pk], zone_of(p), today, visits, today - timedelta(days=MISS_LOOKBACK))


def _context(
    today: date,
    doses: list[DoseRecord],
    first: date | None,
    covered: set[date],
    amended: dict[int, list[DoseAmendment]],
) -> DoseContext:
    if first is not None and first > today:  # a record dated after "today" (a clock set back): ignore it
        first = None
    doses = [d for d in doses if today - timedelta(days=MISS_LOOKBACK) <= d.local_date <= today]
    by_day: dict[date, Decimal] = {}
    for d in doses:
        by_day[d.local_date] = by_day.get(d.local_date, Decimal(0)) + effective_mg(d, amended.get(d.pk, []))
    today_doses = [d for d in doses if d.local_date == today]
    # Observed days of this episode before today: the titration's comparison (a take-home, closure or
    # missed day never replaces it) and the rolling window.
    observed = {
        day: mg for day, mg in sorted(by_day.items()) if first is not None and first <= day < today and mg > 0
    }
    last_increase = None
    for before, after in pairwise(observed):
        if observed[after] > observed[before]:
            last_increase = after
    missed = episodes.missed_days_in_a_row(
        first, today, lambda day: by_day.get(day, Decimal(0)) != 0 or day in covered, MISS_LOOKBACK
    )
    yesterday = today - timedelta(days=1)
    return DoseContext(
        today=today,
        treatment_day=episodes.treatment_day(first, today),
        given_today_mg=by_day.get(today, Decimal(0)),
        previous_day_mg=observed.get(yesterday),
        missed_days_in_a_row=missed,
        next_sequence=(max((d.sequence for d in today_doses), default=0) + 1),
        last_dose=doses[-1] if doses else None,
        doses_today=today_doses,
        mg_today={d.pk: effective_mg(d, amended.get(d.pk, [])) for d in today_doses},
        observed=observed,
        days_since_last_increase=episodes.days_between(last_increase, today) if last_increase else None,
        first_dose_on=first,
    )


def held_bottle_plan(patient: Patient, ctx: DoseContext, today: date) -> TakeHomePlan | None:
    """Review 20a: the take-home plan, ended (by a prescriber, a hold or discharge), whose bottle for today
    the person still holds: handed out before it ended and not brought back (`held_bottles`, the supply
    check's one definition). None: no such bottle (a running plan of this episode covering today is
    `ctx.take_home_days`). Reads (`held_bottles`' two statements) only when `ctx.bottles_maybe_held` is not
    empty: the ordinary dose and row read nothing more."""
    if not ctx.bottles_maybe_held:
        return None
    held = held_bottles(patient, None, today)  # no episode: its running plans are already in the context
    covering = [p for p in ctx.bottles_maybe_held if today in held.get(p.pk, set())]
    return covering[-1] if covering else None  # the newest; one bottle a day


def bottle_named_today(
    patient: Patient, ctx: DoseContext, today: date
) -> tuple[TakeHomePlan, Decimal] | None:
    """Lane fix29c (review 29c hole 5): the ended plan whose bottle for today the call-back list names
    (`call_back`: at home, or maybe at home, its dose voided or corrected to 0 mg since) while the person
    is not known to hold it (`held_bottle_plan` found none), with its mg: the window row offers "today's
    bottle returned unopened" for it and the dose records it brought back, or tells the nurse to ask for it
    (`doses.bottles.BOTTLE_NAMED_TODAY`). One answer with the call-back list. Reads only when
    `ctx.bottles_maybe_held` is not empty."""
    from keel.treatment.queries.take_home_plans import call_back

    if not ctx.bottles_maybe_held:
        return None
    named = call_back(patient, today)
    found = [(p, named[p.pk][today]) for p in ctx.bottles_maybe_held if today in named.get(p.pk, {})]
    return found[-1] if found else None  # the newest; one bottle a day


def bottle_held_today(
    patient: Patient, medication: str, ctx: DoseContext, today: date
) -> TakeHomePlan | None:
    """The dose at the window (review 20a): a day covered by a bottle the person still holds from an ended
    plan (`held_bottle_plan`) is a take-home day in `ctx` (`take_home_days`), so an observed methadone dose
    passes only when that bottle is returned, which is then recorded on this plan (`record_bottle_returned`,
    given the plan returned here)."""
    if medication != Medication.METHADONE or today in ctx.take_home_days:
        return None
    plan = held_bottle_plan(patient, ctx, today)
    if plan is not None:
        ctx.take_home_days = {*ctx.take_home_days, today}
    return plan


@dataclass(frozen=True)
class ClinicDay:
    """What the clinic's record says of a person's day, from the one dose-context read (`clinic_day`)."""

    in_episode: bool  # an open episode of care (an active enrollment): the window's definition
    hold_open: bool  # a dose of any medication held today and not released (`hold_open_today`)
    agonists_taken: tuple[str, ...]  # methadone, buprenorphine: given here today and taken (not voided)


AGONISTS = (Medication.METHADONE, Medication.BUPRENORPHINE)


def clinic_day(patient: Patient, today: date) -> ClinicDay:
    """The person's day at the clinic, read once (`dose_context` with other holds, as for an injection):
    whether their episode of care is open (the window refuses a dose once it ended), whether a dose held
    today still stands, and which opioid agonists (methadone, buprenorphine) were given here today and
    taken. The injection and the home start answer from it."""
    ctx = dose_context(patient, Medication.NALTREXONE_XR, today, with_other_holds=True)
    taken = {d.medication for d in ctx.others_taken_today}
    return ClinicDay(
        in_episode=ctx.in_episode,
        hold_open=ctx.hold_open or ctx.other_hold_open,
        agonists_taken=tuple(m for m in AGONISTS if m in taken),
    )


def hold_open_today(patient: Patient, today: date) -> bool:
    """A dose of any medication held on `today` or before (sedation, intoxication) whose hold no prescriber
    has released (resolved its flag): the dosing window's one definition (`dose_context`'s `hold_open` and
    `other_hold_open`, `OPEN_HOLD`). A hold stands until released, past midnight too (review 33c hole 2). It
    stops an injection too."""
    return clinic_day(patient, today).hold_open
