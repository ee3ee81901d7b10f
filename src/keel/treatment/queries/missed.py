"""Each person's observed days missed in a row before today, without reading a dose (`missed_days`: the
caseload ranks everyone by it, issue #21), in one set-based hand-written statement per distinct today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from keel.db.planner import without_jit
from keel.patients.models import EnrollmentStatus, Patient
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.queries.doses import MISS_LOOKBACK, _as_date, episode_firsts
from keel.treatment.queries.take_home_plans import _PlanValues, episode_plans, plan_days


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
