"""Medication treatment reads: the dosing window's context for each person (the one place doses, amendments,
the episode, take-home days and holds are read together), today's dosing list, the take-home review,
the medication record, the start page, the patient's care plan, a low-dose schedule and an order as FHIR.

Functions taking `user` read through the access policy (one audit row); the others take a patient already
scoped by their caller."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, NamedTuple, Protocol, TypeVar

from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import Program, User
from keel.assessments.queries import diagnosis, latest_by_instrument
from keel.assessments.services import NotAllowed
from keel.core import episodes, induction, rules
from keel.core import intake as core_intake
from keel.core.decision import Decision
from keel.core.rules.methadone import federal_max_supply
from keel.db import rows
from keel.db.planner import without_jit
from keel.patients.models import (
    Enrollment,
    EnrollmentStatus,
    FlagKind,
    Patient,
    PatientFlag,
    local_today,
    zone_of,
)
from keel.patients.queries import with_has_photo
from keel.treatment.models import (
    CareGoal,
    DoseAmendment,
    DoseOverride,
    DoseRecord,
    DoseStatus,
    Intake,
    Medication,
    MedicationFill,
    MedicationOrder,
    NaloxoneKit,
    OrderStatus,
    QtcRecord,
    TakeHomePlan,
)
from keel.treatment.policy_store import effective_policy
from keel.treatment.readiness import SCREENS, ReadinessRead, buprenorphine_readiness

# --- The dosing window's context ----------------------------------------------------------------------------


MISS_LOOKBACK = 30  # days the missed-dose count looks back
MISSED_CONCERN_DAYS = 7  # a missed observed dose this far back is a take-home concern (review 13d)


def effective_mg(dose: DoseRecord, amendments: list[DoseAmendment] | None = None) -> Decimal:
    """The amount after its latest amendment (a voided dose counts 0). `amendments`: the dose's, oldest first,
    when the caller read them already (else they are read from the dose)."""
    amendments = list(dose.amendments.all()) if amendments is None else amendments
    if not amendments:
        return dose.amount_mg if dose.status == DoseStatus.GIVEN else Decimal(0)
    last = amendments[-1]
    return Decimal(0) if last.voided else Decimal(last.corrected_mg or 0)


@dataclass
class DoseContext:
    """What the dose check needs, read from the records (all for one patient and medication)."""

    today: date
    treatment_day: int
    given_today_mg: Decimal
    previous_day_mg: Decimal | None
    missed_days_in_a_row: int
    next_sequence: int
    last_dose: DoseRecord | None
    doses_today: list[DoseRecord] = field(default_factory=list)
    hold_open: bool = False  # a dose held today whose hold no prescriber has released
    observed: dict[date, Decimal] = field(default_factory=dict)  # this episode's observed totals before today
    days_since_last_increase: int | None = None
    first_dose_on: date | None = None  # the episode's first dose day (keel.core.episodes)
    in_episode: bool = True  # the person has an active enrollment (an ended episode cannot be dosed)
    take_home: TakeHomePlan | None = None  # this episode's latest take-home plan
    take_home_days: set[date] = field(default_factory=set)  # the days this episode's take-home plans cover
    # When each dose of this medication taken today or yesterday (or dated later) was given, else recorded:
    # hours_since_last_dose's answer from the rows already read (the re-dose interval).
    taken_times: list[datetime] = field(default_factory=list)
    other_hold_open: bool = False  # a dose of another medication held today, not released (with_other_holds)

    @property
    def last_observed_mg(self) -> Decimal | None:
        return self.observed[max(self.observed)] if self.observed else None


def taken_doses(doses: Any) -> Any:
    """Only the doses taken: a dose whose latest amendment voids it or corrects it to 0 mg was not given, so
    it never starts an episode nor counts as the last dose (issue #13)."""
    latest = DoseAmendment.objects.filter(dose=OuterRef("pk")).order_by("-amended_at", "-id")
    return doses.annotate(
        latest_voided=Subquery(latest.values("voided")[:1]),
        latest_corrected=Subquery(latest.values("corrected_mg")[:1]),
    ).filter(Q(latest_voided__isnull=True) | Q(latest_voided=False, latest_corrected__gt=0))


def is_taken(dose: DoseRecord, amendments: list[DoseAmendment]) -> bool:
    """taken_doses's test for one dose whose amendments (oldest first) are read: none, or the latest neither
    voids it nor corrects it to 0 mg (nor leaves the amount blank)."""
    if not amendments:
        return True
    last = amendments[-1]
    return not last.voided and last.corrected_mg is not None and last.corrected_mg > 0


def hours_since(times: list[datetime], at: datetime) -> float | None:
    """Hours between `at` and the nearest of `times`; None: none."""
    if not times:
        return None
    return float(min(abs((at - t).total_seconds()) for t in times)) / 3600


def hours_since_last_dose(patient: Patient, medication: str, at: datetime, today: date) -> float | None:
    """Hours between `at` and the nearest dose of this medication given today or yesterday (its time given,
    else recorded), whatever the local day: 23:59 and 00:01 are two minutes apart. None: none."""
    times = [
        given or recorded
        for given, recorded in taken_doses(
            DoseRecord.objects.filter(
                patient=patient,
                medication=medication,
                status=DoseStatus.GIVEN,
                local_date__gte=today - timedelta(days=1),
            )
        ).values_list("given_at", "recorded_at")
    ]
    if not times:
        return None
    return float(min(abs((at - t).total_seconds()) for t in times)) / 3600


def last_dose_day_before(patient: Patient, medication: str, today: date, since: date | None) -> date | None:
    """The last day before `today`, on or after `since` (the episode's first dose), with a dose of this
    medication taken (a voided or held dose is none); None: no such day, whatever the look-back."""
    if since is None:
        return None
    day: date | None = (
        taken_doses(
            DoseRecord.objects.filter(
                patient=patient,
                medication=medication,
                status=DoseStatus.GIVEN,
                local_date__gte=since,
                local_date__lt=today,
            )
        )
        .order_by("-local_date")
        .values_list("local_date", flat=True)
        .first()
    )
    return day


def dose_context(
    patient: Patient, medication: str, today: date, *, with_other_holds: bool = False
) -> DoseContext:
    """One person's context (the dose at the window, the start page, the take-home day count): the same
    answer as `dose_contexts` for that person, read in two hand-written statements (`keel.db.rows`)
    instead of its four ORM ones, whose compiling cost more than running them (issue #21;
    tests/treatment/test_dose_context_sql.py holds it to `dose_contexts`' answer on varied histories).
    `with_other_holds`: also whether a dose of another medication was held today and not released
    (`other_hold_open`; the dose at the window reads it), from the same rows."""
    reads = _person_reads(patient, medication, today, with_other_holds)
    return _assemble([(patient, today)], medication, reads)[patient.pk]


@dataclass
class _Reads:
    """What a dose context is made of, per person (patient id): this medication's recent doses (day and slot
    order), the other medications' held doses (with_other_holds), the amendments of both (oldest first),
    the current episode (its first dose, the active enrollment) and its take-home plans (oldest first).
    `released`: the held doses whose hold a prescriber released; None: read them when a hold is found."""

    doses: dict[int, list[DoseRecord]]
    other_held: dict[int, list[DoseRecord]]
    amended: dict[int, list[DoseAmendment]]
    firsts: dict[int, date | None]
    episodes_of: dict[int, tuple[int, date]]
    plans: list[TakeHomePlan]
    released: set[int] | None = None


def episode_firsts(
    people: Any, medication: str
) -> tuple[dict[int, date | None], dict[int, tuple[int, date]]]:
    """Each person's current episode: its first dose (None: none yet) and its active enrollment (id, start),
    keyed by patient id; no active enrollment: not in either. The first dose is the first observed dose on
    or after the current enrollment's start (one query for everyone; a readmission starts a new episode). A
    dose belongs to the episode open when it was recorded: a readmission dated on the last discharge day
    never takes the old episode's dose of that day as its first (issue #18) — on or before that day, only
    doses recorded after the readmission (its consent to treatment) count. `people`: ids or a subquery."""
    last_end = (
        Enrollment.objects.filter(patient_id=OuterRef("patient_id"), status=EnrollmentStatus.ENDED)
        .order_by("-ended_on")
        .values("ended_on")[:1]
    )
    first_dose = (
        taken_doses(
            DoseRecord.objects.filter(
                Q(local_date__gt=OuterRef("last_end")) | Q(recorded_at__gte=OuterRef("consented_at")),
                patient_id=OuterRef("patient_id"),
                medication=medication,
                status=DoseStatus.GIVEN,
                local_date__gte=OuterRef("started_on"),
            )
        )
        .order_by("local_date")
        .values("local_date")[:1]
    )
    firsts: dict[int, date | None] = {}
    episodes_of: dict[int, tuple[int, date]] = {}
    for pk, first_on, enrollment_id, started_on in (
        Enrollment.objects.filter(patient_id__in=people, status=EnrollmentStatus.ACTIVE)
        .order_by("patient_id", "started_on")
        .annotate(last_end=Coalesce(Subquery(last_end), Value(date(1, 1, 1))))
        .annotate(first=Subquery(first_dose))
        .values_list("patient_id", "first", "pk", "started_on")
    ):
        firsts[pk] = first_on  # the latest active enrollment wins
        episodes_of[pk] = (enrollment_id, started_on)
    return firsts, episodes_of


def dose_contexts(
    patients: list[tuple[Patient, date]], medication: str, *, with_other_holds: bool = False
) -> dict[int, DoseContext]:
    """Dose contexts for many patients at once, in four set-based queries (the dosing list)."""
    if not patients:
        return {}
    ids = [p.pk for p, _ in patients]
    earliest = min(today for _, today in patients) - timedelta(days=MISS_LOOKBACK)
    doses: dict[int, list[DoseRecord]] = {pk: [] for pk in ids}
    other_held: dict[int, list[DoseRecord]] = {pk: [] for pk in ids}  # another medication's held doses
    recent = DoseRecord.objects.filter(patient_id__in=ids, local_date__gte=earliest)
    if not with_other_holds:
        recent = recent.filter(medication=medication)
    else:  # this medication's doses, and only the holds of the others (few rows)
        recent = recent.filter(Q(medication=medication) | Q(status=DoseStatus.HELD))
    for d in recent.order_by("patient_id", "local_date", "sequence"):
        if d.medication == medication:
            doses[d.patient_id].append(d)
        else:
            other_held[d.patient_id].append(d)
    # The amendments of those doses in one query (few doses have any); Django's per-row prefetch cost 1 s for
    # 20,000 doses (bench/measures.py, the caseload).
    amended: dict[int, list[DoseAmendment]] = {}
    for a in DoseAmendment.objects.filter(dose__in=recent).order_by("amended_at", "id"):
        amended.setdefault(a.dose_id, []).append(a)
    # The episode's first dose (no active enrollment: no episode, no dosing).
    firsts, episodes_of = episode_firsts(ids, medication)
    plans = episode_take_home_plans(ids, episodes_of)
    reads = _Reads(doses, other_held, amended, firsts, episodes_of, plans)
    return _assemble(patients, medication, reads)


# dose_contexts' statements for one person, hand-written. The taken test is taken_doses' (the latest
# amendment neither voids the dose nor corrects it to 0 mg or blank), the first dose `first_dose`'s above.
_FIRST_DOSE = (
    '(SELECT v."local_date" FROM "treatment_doserecord" v WHERE v."patient_id" = e."patient_id" '
    'AND v."medication" = %s AND v."status" = %s AND v."local_date" >= e."started_on" '
    'AND (v."local_date" > COALESCE((SELECT u."ended_on" FROM "patients_enrollment" u '
    'WHERE u."patient_id" = e."patient_id" AND u."status" = %s ORDER BY u."ended_on" DESC LIMIT 1), %s) '
    'OR v."recorded_at" >= e."consented_at") AND ('
    '(SELECT w."voided" FROM "treatment_doseamendment" w WHERE w."dose_id" = v."id" '
    'ORDER BY w."amended_at" DESC, w."id" DESC LIMIT 1) IS NULL OR ('
    '(SELECT w."voided" FROM "treatment_doseamendment" w WHERE w."dose_id" = v."id" '
    'ORDER BY w."amended_at" DESC, w."id" DESC LIMIT 1) = %s AND '
    '(SELECT w."corrected_mg" FROM "treatment_doseamendment" w WHERE w."dose_id" = v."id" '
    'ORDER BY w."amended_at" DESC, w."id" DESC LIMIT 1) > %s)) '
    'ORDER BY v."local_date" LIMIT 1)'
)
_EPISODE = (
    'FROM "patients_enrollment" e LEFT JOIN "treatment_takehomeplan" t ON t."patient_id" = e."patient_id" '
    'WHERE e."patient_id" = %s AND e."status" = %s ORDER BY t."decided_at", t."id"'
)
# Released: a prescriber resolved the hold's flag (only asked of the holds of today).
_RELEASED = (
    'CASE WHEN d."status" = %s AND d."local_date" = %s THEN EXISTS (SELECT 1 FROM "patients_patientflag" f '
    'WHERE f."kind" = %s AND f."source_type" = %s AND f."source_id" = d."id" '
    'AND f."resolved_at" IS NOT NULL) '
    "ELSE %s END"
)
_DOSES = (
    'FROM "treatment_doserecord" d LEFT JOIN "treatment_doseamendment" a ON a."dose_id" = d."id" '
    'WHERE d."patient_id" = %s AND d."local_date" >= %s AND (d."medication" = %s OR d."status" = %s) '
    'ORDER BY d."local_date", d."sequence", d."id", a."amended_at", a."id"'
)


def _as_date(value: Any) -> date | None:
    """A date the driver returned from an expression (SQLite: its ISO text)."""
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _person_reads(patient: Patient, medication: str, today: date, with_other_holds: bool) -> _Reads:
    pk = patient.pk
    day = connection.ops.adapt_datefield_value  # as the ORM sends a date
    doses: list[DoseRecord] = []
    other_held: list[DoseRecord] = []
    amended: dict[int, list[DoseAmendment]] = {}
    released: set[int] = set()
    # Without with_other_holds only this medication: a status no dose has stands for "or held".
    status = DoseStatus.HELD if with_other_holds else ""
    seen: set[int] = set()
    for dose, amendment, freed in rows.fetch(
        _DOSES,
        [
            DoseStatus.HELD,
            day(today),
            FlagKind.DOSE_HELD,
            "dose",
            False,
            pk,
            day(today - timedelta(days=MISS_LOOKBACK)),
            medication,
            status,
        ],
        (DoseRecord, "d"),
        (DoseAmendment, "a"),
        extra=(_RELEASED,),
    ):
        if dose.pk not in seen:
            seen.add(dose.pk)
            (doses if dose.medication == medication else other_held).append(dose)
            if freed:
                released.add(dose.pk)
        if amendment is not None:
            amended.setdefault(dose.pk, []).append(amendment)
    firsts: dict[int, date | None] = {}
    episodes_of: dict[int, tuple[int, date]] = {}
    plans: list[TakeHomePlan] = []
    for enrollment, plan, first in rows.fetch(
        _EPISODE,
        [
            medication,
            DoseStatus.GIVEN,
            EnrollmentStatus.ENDED,
            day(date(1, 1, 1)),
            False,
            0,
            pk,
            EnrollmentStatus.ACTIVE,
        ],
        (Enrollment, "e"),
        (TakeHomePlan, "t"),
        extra=(_FIRST_DOSE,),
    ):
        firsts[pk] = _as_date(first)  # one active enrollment per person (a constraint)
        episodes_of[pk] = (enrollment.pk, enrollment.started_on)
        if plan is not None:
            plans.append(plan)
    return _Reads(
        {pk: doses},
        {pk: other_held},
        amended,
        firsts,
        episodes_of,
        episode_plans(plans, episodes_of),
        released,
    )


def _assemble(patients: list[tuple[Patient, date]], medication: str, reads: _Reads) -> dict[int, DoseContext]:
    """The contexts from what was read (the same for the set-based reads and the one-person ones)."""
    doses, other_held, amended, firsts = reads.doses, reads.other_held, reads.amended, reads.firsts
    covered: dict[int, set[date]] = {p.pk: set() for p, _ in patients}
    latest: dict[int, TakeHomePlan] = {}
    for plan in reads.plans:  # oldest first: the last one is the latest
        covered[plan.patient_id] |= plan_days(plan)
        latest[plan.patient_id] = plan
    contexts = {
        p.pk: _context(today, doses[p.pk], firsts.get(p.pk), covered[p.pk], amended) for p, today in patients
    }
    for p, today in patients:
        ctx = contexts[p.pk]
        ctx.in_episode = p.pk in firsts
        ctx.take_home = latest.get(p.pk)
        ctx.take_home_days = covered[p.pk]
        ctx.taken_times = [
            d.given_at or d.recorded_at
            for d in doses[p.pk]
            if d.status == DoseStatus.GIVEN
            and d.local_date >= today - timedelta(days=1)
            and is_taken(d, amended.get(d.pk, []))
        ]
    held = [d.pk for ctx in contexts.values() for d in ctx.doses_today if d.status == DoseStatus.HELD]
    others_today = {
        p.pk: [d for d in other_held[p.pk] if d.local_date == today and d.status == DoseStatus.HELD]
        for p, today in patients
    }
    held += [d.pk for ds in others_today.values() for d in ds]
    if held:  # a hold stands until a prescriber releases it (resolves its flag): one query, only when held
        released = reads.released
        if released is None:
            released = set(
                PatientFlag.objects.filter(
                    kind=FlagKind.DOSE_HELD, source_type="dose", source_id__in=held, resolved_at__isnull=False
                ).values_list("source_id", flat=True)
            )
        for pk, ctx in contexts.items():
            ctx.hold_open = any(d.status == DoseStatus.HELD and d.pk not in released for d in ctx.doses_today)
            ctx.other_hold_open = any(d.pk not in released for d in others_today[pk])
    return contexts


def missed_days(
    patients: list[tuple[Patient, date]] | list[tuple[int, date]], medication: str, *, among: Any = None
) -> dict[int, int]:
    """Each person's observed days missed in a row before today (`DoseContext.missed_days_in_a_row`, the
    same answer) without reading a dose: the caseload ranks everyone by it (issue #21). Per distinct
    "today", one set-based statement (`_DOSED_DAYS`: a GROUP BY over everyone's doses of the last
    RECENT_DAYS days, joined to the active enrollment) gives each person's newest of those days with an
    amount above 0 (`effective_mg`) and the newest such day that is an observed dose of the current episode
    (`episode_firsts`' rule). Someone with one has had the episode's first dose on or before it, so the
    first dose cannot end the count: the days missed are those after the newest of (that day, a take-home
    day of the episode before today), up to yesterday, at most MISS_LOOKBACK. Only the others (usually
    few: take-home days, a gap, a new episode) are read per person as before: the newest day with an amount
    in the whole look-back (a backward read of the dose slots' index) and the episode's first dose
    (`episode_firsts`), whose day before joins the newest. `among`: a queryset of patients holding at least
    these, read as a subquery instead of a list of ids (thousands of ids cost more to send and parse than
    the reads themselves). A person is a Patient or its id."""
    if not patients:
        return {}
    todays = {p if isinstance(p, int) else p.pk: today for p, today in patients}
    with without_jit():  # the estimate at 100,000 people passes jit_above_cost; compiling is wasted
        return _missed_days(todays, medication, among)


# Per person with an active enrollment: the enrollment, the newest day in [since, today) with an amount
# above 0 (effective_mg: the latest amendment's corrected amount, 0 if it voids; else a given dose's
# amount), and the newest such day that is an observed dose of this episode (`episode_firsts`: given, on or
# after the start, after the last discharge or recorded since the consent). The latest amendment: none
# newer (amended_at, then id), as `taken_doses` orders them. {dosed}: `_DOSED`; {people}: the patients, as a
# subquery or ids.
_DOSED = (
    '((a."id" IS NULL AND d."status" = %s AND d."amount_mg" > %s) '
    'OR (a."voided" = %s AND a."corrected_mg" > %s))'
)
_DOSED_DAYS = (
    'SELECT e."patient_id", e."id", e."started_on", '
    'MAX(CASE WHEN {dosed} THEN d."local_date" END), '
    'MAX(CASE WHEN {dosed} AND d."status" = %s AND d."local_date" >= e."started_on" '
    'AND (d."local_date" > COALESCE(le."last_end", %s) OR d."recorded_at" >= e."consented_at") '
    'THEN d."local_date" END) '
    'FROM "patients_enrollment" e '
    'LEFT JOIN (SELECT u."patient_id" AS "patient_id", MAX(u."ended_on") AS "last_end" '
    'FROM "patients_enrollment" u WHERE u."status" = %s AND u."patient_id" IN ({people}) '
    'GROUP BY u."patient_id") le ON le."patient_id" = e."patient_id" '
    'LEFT JOIN "treatment_doserecord" d ON d."patient_id" = e."patient_id" AND d."medication" = %s '
    'AND d."local_date" >= %s AND d."local_date" < %s AND d."patient_id" IN ({people}) '
    'LEFT JOIN "treatment_doseamendment" a ON a."dose_id" = d."id" AND NOT EXISTS (SELECT 1 '
    'FROM "treatment_doseamendment" b WHERE b."dose_id" = a."dose_id" AND (b."amended_at" > a."amended_at" '
    'OR (b."amended_at" = a."amended_at" AND b."id" > a."id"))) '
    'WHERE e."status" = %s AND e."patient_id" IN ({people}) '
    'GROUP BY e."patient_id", e."id", e."started_on"'
)


RECENT_DAYS = 3  # `missed_days`' first pass: the days before today read for everyone


def _listed(ids: list[int]) -> tuple[str, list[Any]]:
    """These ids as `_dosed_days`' people."""
    return ", ".join(["%s"] * len(ids)), list(ids)


def _dosed_days(
    people: tuple[str, list[Any]], medication: str, today: date, days: int
) -> list[tuple[int, int, date, date | None, date | None]]:
    """`_DOSED_DAYS` for these people (SQL and its parameters), this today and the `days` before it."""
    day = connection.ops.adapt_datefield_value  # as the ORM sends a date
    sql, params = people
    dosed = [DoseStatus.GIVEN, 0, False, 0]
    args = [
        *dosed,
        *dosed,
        DoseStatus.GIVEN,
        day(date(1, 1, 1)),
        EnrollmentStatus.ENDED,
        *params,
        medication,
        day(today - timedelta(days=days)),
        day(today),
        *params,  # the doses' people too: a few people's doses are read from the index, not everyone's
        EnrollmentStatus.ACTIVE,
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_DOSED_DAYS.format(dosed=_DOSED, people=sql), args)
        return [
            (pk, enrollment_id, _as_date(started_on) or today, _as_date(dosed_on), _as_date(episode_on))
            for pk, enrollment_id, started_on, dosed_on, episode_on in cursor.fetchall()
        ]


def _missed_days(todays: dict[int, date], medication: str, among: Any) -> dict[int, int]:
    ids = list(todays)
    scope = among.values("pk").order_by() if among is not None else None
    by_today: dict[date, list[int]] = {}
    for pk in ids:
        by_today.setdefault(todays[pk], []).append(pk)
    episodes_of: dict[int, tuple[int, date]] = {}
    dosed: dict[int, date] = {}  # the newest day before today with an amount above 0
    unsure: list[int] = []  # in an episode, no dose of it with an amount in the last RECENT_DAYS days
    latest = DoseAmendment.objects.filter(dose=OuterRef("pk")).order_by("-amended_at", "-id")
    for today, group in by_today.items():
        wanted = set(group)
        if scope is not None:
            chunks = [scope.query.sql_with_params()]
        else:
            chunks = [_listed(c) for c in in_chunks(group)]
        # First the last few days (most people were dosed in them: the newest day is among them), then the
        # whole look-back for the others only.
        later: list[int] = []
        for chunk in chunks:
            for pk, enrollment_id, started_on, dosed_on, episode_on in _dosed_days(
                chunk, medication, today, RECENT_DAYS
            ):
                if pk not in wanted:  # `among` holds more people than asked
                    continue
                episodes_of[pk] = (enrollment_id, started_on)
                if episode_on is None:
                    later.append(pk)
                elif dosed_on is not None:
                    dosed[pk] = dosed_on
        unsure += later
        # The others' newest day in the whole look-back: one backward read of the dose slots' index
        # (patient, medication, day, sequence) per person (a set-based read of 30 days of everyone's doses
        # cost more than these reads).
        newest = (
            DoseRecord.objects.filter(
                patient_id=OuterRef("pk"),
                medication=medication,
                local_date__gte=today - timedelta(days=MISS_LOOKBACK),
                local_date__lt=today,
            )
            .annotate(
                latest_voided=Subquery(latest.values("voided")[:1]),
                latest_corrected=Subquery(latest.values("corrected_mg")[:1]),
            )
            .filter(
                Q(latest_voided__isnull=True, status=DoseStatus.GIVEN, amount_mg__gt=0)
                | Q(latest_voided=False, latest_corrected__gt=0)
            )
            .order_by("-local_date")
            .values("local_date")[:1]
        )
        for chunk_ids in in_chunks(later):
            dosed.update(
                (pk, last)
                for pk, last in Patient.objects.filter(pk__in=chunk_ids)
                .annotate(last=Subquery(newest))
                .order_by()
                .values_list("pk", "last")
                if last is not None
            )
    firsts: dict[int, date | None] = {}
    for chunk_ids in in_chunks(unsure):  # people not dosed in the last RECENT_DAYS days
        firsts.update(episode_firsts(chunk_ids, medication)[0])
    # The first dose is before today for everyone else (on or before their newest dose of the episode).
    doubtful = set(unsure)
    counted = [
        pk
        for pk in episodes_of
        if pk not in doubtful or ((f := firsts.get(pk)) is not None and f < todays[pk])
    ]
    covered: dict[int, date] = {}  # the newest take-home day of the episode before today
    plans = (
        TakeHomePlan.objects.filter(patient_id__in=scope if scope is not None else counted)
        .order_by("decided_at", "id")
        .values_list("patient_id", "enrollment_id", "decided_at", "bottles", "ended_on")
    )  # `episode_take_home_plans`, as values: a plan object each cost more than the rest of the read
    for plan in episode_plans((_PlanValues(*values) for values in plans), episodes_of):
        pk = plan.patient_id
        if pk not in todays:  # `among` holds more people than asked
            continue
        days = [d for d in plan_days(plan) if d < todays[pk]] + ([covered[pk]] if pk in covered else [])
        if days:
            covered[pk] = max(days)
    missed = dict.fromkeys(ids, 0)
    for pk in counted:
        first, yesterday = firsts.get(pk), todays[pk] - timedelta(days=1)
        before_first = first - timedelta(days=1) if first is not None else None
        stop = max(d for d in (before_first, dosed.get(pk), covered.get(pk)) if d is not None)
        missed[pk] = max(0, min(MISS_LOOKBACK, (yesterday - stop).days))
    return missed


def in_chunks(ids: list[int], size: int = 20000) -> list[list[int]]:
    """Id lists short enough for one statement's parameters (PostgreSQL's driver takes at most 65,535)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


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
    missed = 0
    if first is not None and first < today:
        day = today - timedelta(days=1)
        while (
            day >= first
            and by_day.get(day, Decimal(0)) == 0
            and day not in covered
            and missed < MISS_LOOKBACK
        ):
            missed += 1
            day -= timedelta(days=1)
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
        observed=observed,
        days_since_last_increase=(today - last_increase).days if last_increase else None,
        first_dose_on=first,
    )


# --- Today's list -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DosingRow:
    patient: Patient
    order: MedicationOrder
    today: DoseContext
    take_home: TakeHomePlan | None
    open_flags: int
    due: bool
    status: str  # due, given, held, take_home
    medication: str = Medication.METHADONE


WINDOW_MEDICATIONS = (Medication.METHADONE, Medication.BUPRENORPHINE)


def dosing_list(
    user: User, *, medication: str | None = None, now: datetime | None = None, patient_id: int | None = None
) -> list[DosingRow]:
    """Today's window: every patient in the caller's clinical scope with an active methadone or buprenorphine
    order (one row per medication; `medication` narrows it), in name order, one audit row naming them."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise NotAllowed("The dosing list is for nurses and prescribers.")
    medications = (medication,) if medication else WINDOW_MEDICATIONS
    scoped = policy.patients_visible_to(user, Area.CLINICAL)
    if patient_id is not None:  # one row, swapped in after a dose
        scoped = scoped.filter(pk=patient_id)
    patients = list(
        with_has_photo(  # the identity photo or a placeholder on each row, in this same query (issue #18)
            scoped.filter(
                medication_orders__medication__in=medications, medication_orders__status=OrderStatus.ACTIVE
            ).filter(enrollments__status=EnrollmentStatus.ACTIVE)  # discharge ends dosing
        )
        .select_related("program")
        .order_by("family_name", "given_name", "id")
        .distinct()
    )
    ids = [p.pk for p in patients]
    orders: dict[tuple[int, str], MedicationOrder] = {
        (o.patient_id, o.medication): o
        for o in MedicationOrder.objects.filter(
            patient_id__in=ids, medication__in=medications, status=OrderStatus.ACTIVE
        )
    }
    flags = dict(
        PatientFlag.objects.filter(patient_id__in=ids, resolved_at__isnull=True)
        .values("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )
    todays = {p.pk: local_today(p, now) for p in patients}
    contexts: dict[str, dict[int, DoseContext]] = {}
    for med in medications:
        having = [p for p in patients if (p.pk, med) in orders]
        if (
            patient_id is not None and len(having) == 1
        ):  # the row swapped in: one person's reads, the same answer
            p = having[0]
            contexts[med] = {p.pk: dose_context(p, med, todays[p.pk])}
        else:
            contexts[med] = dose_contexts([(p, todays[p.pk]) for p in having], med)
    rows = []
    for p in patients:
        today = todays[p.pk]
        for med in medications:
            if (p.pk, med) not in orders:
                continue
            ctx = contexts[med][p.pk]
            plan = ctx.take_home if med == Medication.METHADONE else None
            status = _row_status(ctx, bool(plan and today in plan_days(plan)))
            rows.append(
                DosingRow(p, orders[(p.pk, med)], ctx, plan, flags.get(p.pk, 0), status == "due", status, med)
            )
    policy.audit_list_read(user, target_type="dosing_list", patient_ids=ids)
    return rows


# One person's row of the window for a clinician, in one hand-written statement (issue #13: the row swapped
# in after each dose): `dosing_list`'s scoped patient (policy.CLINICAL_SCOPE_WHERE) with its program, on the
# list only with an active order of the medication (joined: one per medication, a constraint) and an active
# enrollment; whether it has a photo, its open flags and whether the clinician is off its care team (the list
# audit row's emergency access) as expressions. tests/treatment/test_dosing_row_sql.py holds it to the list.
# B608/S608 waived: constant text only (this statement and the policy's scope); every value is a parameter.
_ACTIVE_ENROLLMENT = (
    'EXISTS (SELECT 1 FROM "patients_enrollment" e WHERE e."patient_id" = p."id" AND e."status" = %s)'
)
_ROW = (
    'FROM "patients_patient" p JOIN "accounts_program" g ON g."id" = p."program_id" '  # nosec B608
    'JOIN "treatment_medicationorder" o ON o."patient_id" = p."id" '
    'AND o."medication" = %s AND o."status" = %s '
    "WHERE "
    + policy.CLINICAL_SCOPE_WHERE
    + " AND "
    + _ACTIVE_ENROLLMENT
    + ' ORDER BY o."created_at" DESC, o."id" DESC LIMIT 1'
)
_ROW_EXTRA = (
    'EXISTS (SELECT 1 FROM "patients_patientphoto" f WHERE f."patient_id" = p."id")',
    '(SELECT COUNT(*) FROM "patients_patientflag" k '
    'WHERE k."patient_id" = p."id" AND k."resolved_at" IS NULL)',
    policy.OFF_TEAM,
)


def dosing_row(
    user: User, *, patient_id: int, medication: str, now: datetime | None = None
) -> DosingRow | None:
    """One person's row of today's window (the row swapped in after a dose): `dosing_list`'s row for that
    person and medication, with the same list audit row (naming the person, or no one). A clinician's row is
    read in one hand-written statement plus the person's `dose_context`; anyone else's through the list."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise NotAllowed("The dosing list is for nurses and prescribers.")
    if medication not in WINDOW_MEDICATIONS or not policy.clinical_scope_sql(user, Area.CLINICAL, patient_id):
        for row in dosing_list(user, medication=medication, now=now, patient_id=patient_id):
            if row.patient.pk == patient_id:
                return row
        return None
    found = rows.fetch(
        _ROW,
        [
            user.pk,  # OFF_TEAM
            medication,
            OrderStatus.ACTIVE,
            *policy.clinical_scope_params(user, patient_id),
            EnrollmentStatus.ACTIVE,
        ],
        (Patient, "p"),
        (Program, "g"),
        (MedicationOrder, "o"),
        extra=_ROW_EXTRA,
    )
    if not found:
        policy.audit_list_read(user, target_type="dosing_list", patient_ids=[], emergency_ids=[])
        return None
    patient, program, order, has_photo, open_flags, off_team = found[0]
    Patient.program.field.set_cached_value(patient, program)
    patient.has_photo = bool(has_photo)
    today = local_today(patient, now)
    ctx = dose_context(patient, medication, today)
    plan = ctx.take_home if medication == Medication.METHADONE else None
    status = _row_status(ctx, bool(plan and today in plan_days(plan)))
    row = DosingRow(patient, order, ctx, plan, int(open_flags), status == "due", status, medication)
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=[patient.pk],
        emergency_ids=[patient.pk] if off_team else [],
    )
    return row


def _row_status(ctx: DoseContext, on_take_home: bool) -> str:
    """A row's status on the window: held (a hold stands), given, a take-home day, else due."""
    return (
        "held"
        if ctx.hold_open
        else "given"
        if ctx.given_today_mg > 0
        else "take_home"
        if on_take_home
        else "due"
    )


# --- Take-homes ---------------------------------------------------------------------------------------------


def episode_take_home_plans(
    ids: list[int], episodes_of: Mapping[int, tuple[int, date]], *, among: Any = None
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
    def bottles(self) -> Any: ...

    @property
    def ended_on(self) -> date | None: ...


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
    bottles: Any
    ended_on: date | None


_P = TypeVar("_P", bound=EpisodePlan)


def episode_plans(plans: Iterable[_P], episodes_of: Mapping[int, tuple[int, date]]) -> list[_P]:
    """Of these plans (oldest first), those of each person's current episode (`episode_take_home_plans`)."""
    kept = []
    for plan in plans:
        episode = episodes_of.get(plan.patient_id)
        if episode is None:
            continue
        enrollment_id, started_on = episode
        if plan.enrollment_id == enrollment_id or (
            plan.enrollment_id is None and plan.decided_at.date() >= started_on
        ):
            kept.append(plan)
    return kept


def plan_days(plan: PlanCover) -> set[date]:
    """The days a plan's bottles cover: none after the plan ended (discharge)."""
    days = {date.fromisoformat(iso) for iso in plan.bottles or []}
    return {d for d in days if plan.ended_on is None or d <= plan.ended_on}


def take_home_days_in_treatment(patient: Patient, today: date) -> int:
    """Days in treatment for take-home doses: the one definition (`keel.core.episodes`), counted from the
    methadone episode's first observed dose, not from admission. Every screen and the API call this."""
    ctx = dose_context(patient, Medication.METHADONE, today)
    number = int(effective_policy(patient, "take-home-eligibility")["admission_day_number"])
    return episodes.days_in_treatment(ctx.first_dose_on, today, number)


@dataclass(frozen=True)
class TakeHomeConcern:
    """Something open that weighs against take-homes; the prescriber acknowledges each by its id."""

    id: str
    kind: str  # a flag kind, or "missed_doses"
    raised_on: str  # ISO date


def take_home_concerns(patient: Patient, today: date) -> list[TakeHomeConcern]:
    """Every open flag (a dose held, reported use, a positive screen, missed medication...) and missed
    observed methadone doses before today: each must be acknowledged before a supply is given."""
    concerns = [
        TakeHomeConcern(str(f.pk), f.kind, f.raised_at.astimezone(zone_of(patient)).date().isoformat())
        for f in PatientFlag.objects.filter(patient=patient, resolved_at__isnull=True).order_by(
            "raised_at", "id"
        )
    ]
    ctx = dose_context(patient, Medication.METHADONE, today)
    if ctx.missed_days_in_a_row:
        last = today - timedelta(days=1)
        concerns.append(TakeHomeConcern(f"missed-{last.isoformat()}", "missed_doses", last.isoformat()))
    # Review 13d: a missed observed dose earlier in the week (not in a row up to yesterday) is a concern too:
    # regular attendance is a criterion of 42 CFR 8.12(i), and a miss three days ago is not ignored because
    # the person came back since. A take-home or closure day is not a miss.
    closed = {date.fromisoformat(d) for d in patient.program.closure_days or []}
    for back in range(ctx.missed_days_in_a_row + 1, MISSED_CONCERN_DAYS + 1):
        day = today - timedelta(days=back)
        if ctx.first_dose_on is None or day < ctx.first_dose_on:
            break
        if day not in ctx.observed and day not in ctx.take_home_days and day not in closed:
            concerns.append(TakeHomeConcern(f"missed-{day.isoformat()}", "missed_doses", day.isoformat()))
    return concerns


@dataclass(frozen=True)
class TakeHomeReview:
    """What the prescriber sees before deciding: the days in treatment, the federal supply now, the open
    concerns to acknowledge and the program's closure days still to come."""

    days_in_treatment: int
    federal_max_days: int
    concerns: list[TakeHomeConcern]
    closure_days: list[str]


def take_home_review(patient: Patient, now: datetime | None = None) -> TakeHomeReview:
    today = local_today(patient, now or timezone.now())
    days = take_home_days_in_treatment(patient, today)
    return TakeHomeReview(
        days_in_treatment=days,
        federal_max_days=federal_max_supply(days),
        concerns=take_home_concerns(patient, today),
        closure_days=[d for d in sorted(patient.program.closure_days or []) if d >= today.isoformat()],
    )


def take_home_review_for(user: User, *, patient_id: int, now: datetime | None = None) -> TakeHomeReview:
    """The review, read through the policy (clinical area, audited)."""
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="take_home_review")
    return take_home_review(patient, now)


# --- The medication record, the start page, the care plan ---------------------------------------------------


@dataclass(frozen=True)
class MedicationRecord:
    patient: Patient
    orders: list[MedicationOrder]
    doses: list[DoseRecord]
    overrides: list[DoseOverride]
    take_homes: list[TakeHomePlan]
    qtc: list[QtcRecord]
    context: DoseContext | None
    fills: list[MedicationFill] = field(default_factory=list)


def medication_record(user: User, *, patient_id: int, now: datetime | None = None) -> MedicationRecord:
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="medication_record")
    active = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.METHADONE, status=OrderStatus.ACTIVE
    )
    return MedicationRecord(
        patient=patient,
        orders=list(MedicationOrder.objects.filter(patient=patient)[:50]),
        doses=list(
            DoseRecord.objects.filter(patient=patient)
            .prefetch_related("amendments")
            .select_related("recorded_by")[:60]
        ),
        overrides=list(DoseOverride.objects.filter(patient=patient)[:20]),
        take_homes=list(TakeHomePlan.objects.filter(patient=patient).select_related("ended_by")[:10]),
        qtc=list(QtcRecord.objects.filter(patient=patient)[:10]),
        fills=list(MedicationFill.objects.filter(patient=patient).select_related("order", "voids")[:30]),
        context=dose_context(patient, Medication.METHADONE, local_today(patient, now))
        if active.exists()
        else None,
    )


@dataclass(frozen=True)
class StartView:
    """Everything the buprenorphine start page shows, read once (one audit row)."""

    patient: Patient
    intake: Intake | None
    cows: Any  # the latest COWS Assessment, or None
    readiness: Decision | None
    missing: tuple[str, ...]  # what the readiness verdict still needs
    overdose: Decision | None
    naloxone_kits: list[NaloxoneKit]
    order: MedicationOrder | None
    context: DoseContext | None
    goals: list[CareGoal]
    latest: dict[str, Any]  # instrument code -> latest Assessment (dsm5-oud, phq9, gad7, cssrs-screen, ort)
    read: ReadinessRead | None = None  # the readiness read: every opioid's last use, the COWS's age, policy
    now: datetime | None = None


def start_view(user: User, *, patient_id: int, now: datetime | None = None) -> StartView:
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="treatment_start")
    now = now or timezone.now()
    read = buprenorphine_readiness(patient, now)
    intake, cows, readiness, missing = read.intake, read.cows, read.readiness, read.missing
    latest = {**read.latest, **latest_by_instrument(patient, SCREENS, as_of=now)}
    latest.pop("dsm5-oud", None)  # the diagnosis is the clinician's, never a self-check (issue #15)
    found = diagnosis(patient, as_of=now)
    if found is not None:
        latest["dsm5-oud"] = found
    kits = list(NaloxoneKit.objects.filter(patient=patient)[:5])
    overdose = None
    if intake is not None:
        overdose = rules.get("overdose-risk").run(
            core_intake.overdose_inputs(intake.values, has_kit=bool(kits))
        )
    order = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.BUPRENORPHINE, status=OrderStatus.ACTIVE
    ).first()
    return StartView(
        patient=patient,
        intake=intake,
        cows=cows,
        readiness=readiness,
        missing=missing,
        overdose=overdose,
        naloxone_kits=kits,
        order=order,
        context=dose_context(patient, Medication.BUPRENORPHINE, local_today(patient, now)) if order else None,
        goals=list(CareGoal.objects.filter(patient=patient).select_related("responsible")),
        latest=latest,
        read=read,
        now=now,
    )


def my_care_plan(user: User) -> tuple[Patient, list[CareGoal], list[NaloxoneKit]]:
    """The patient's own care plan, in plain words on their page (one audit row)."""
    patient = policy.own_patient_or_404(user, target_type="care_plan")
    goals = list(CareGoal.objects.filter(patient=patient, status="active").select_related("responsible"))
    return patient, goals, list(NaloxoneKit.objects.filter(patient=patient)[:3])


def schedule_rows(order: MedicationOrder) -> list[dict[str, Any]]:
    """A low-dose schedule against what was given at each step (step n = the n-th day a dose under it was
    taken, as the window counts it: `keel.core.induction.low_dose_progress`, issue #13)."""
    if not order.schedule:
        return []
    doses = [
        (d.local_date, effective_mg(d))
        for d in DoseRecord.objects.filter(order=order).prefetch_related("amendments")
    ]
    dosed = sorted({day for day, mg in doses if mg > 0})
    given: dict[int, Decimal] = {}
    for day, mg in doses:
        if day in dosed:
            n = induction.low_dose_progress(dosed, day).step
            given[n] = given.get(n, Decimal(0)) + mg
    return [{"day": s["day"], "planned_mg": s["mg"], "given_mg": given.get(s["day"])} for s in order.schedule]


# --- An order as FHIR ---------------------------------------------------------------------------------------


def order_fhir(order: MedicationOrder) -> dict[str, Any]:
    """The order as a FHIR R4 MedicationRequest."""
    return {
        "resourceType": "MedicationRequest",
        "id": str(order.pk),
        "status": {"active": "active", "stopped": "stopped", "superseded": "completed"}[order.status],
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": order.rxnorm,
                    "display": order.medication,
                }
            ]
        },
        "subject": {"reference": f"Patient/{order.patient_id}"},
        "authoredOn": order.created_at.isoformat(),
        "requester": {"reference": f"Practitioner/{order.prescriber_id}"},
        "dosageInstruction": [
            {
                "text": f"{order.dose_mg.normalize():f} mg {order.route} {order.frequency}",
                "route": {"text": order.route},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": float(order.dose_mg),
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
        **(
            {"priorPrescription": {"reference": f"MedicationRequest/{order.supersedes_id}"}}
            if order.supersedes_id
            else {}
        ),
    }
