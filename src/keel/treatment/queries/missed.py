"""Each person's observed days missed in a row before today, without reading a dose (`missed_days`: the
caseload ranks its people by it, issue #21). What the count is made of is read by the ORM in the statement
that lists the people (`with_missed_day_reads`: the active episode, its first observed dose, the newest day
with an amount, each a subquery per person reading one or two rows of an index); the count itself and the
take-home days (JSON bottles) are `count_missed`'s, in Python. `dose_contexts` (the dosing window's read) is
the definition; tests/careteam/test_caseload_missed_sql.py holds this to it on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple, TypeAlias
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from keel.core import episodes
from keel.db.planner import without_jit
from keel.patients.models import EnrollmentStatus, Patient
from keel.treatment.models import DoseRecord, DoseStatus, Medication, TakeHomePlan
from keel.treatment.queries.doses import (
    MISS_LOOKBACK,
    _as_date,
    episode_first_dose,
    last_discharge,
    newest_dosed_day,
    taken_doses,
)
from keel.treatment.queries.take_home_plans import due_unrecorded, episode_plans, first_missed, plan_days

# The values of a TakeHomePlan `CountedPlan` holds, in its order (the person's program's zone last).
COUNTED_PLAN = (
    "patient_id",
    "enrollment_id",
    "decided_at",
    "bottles",
    "ended_on",
    "bottle_mg",
    "bottles_taken_back",
    "returned_days",
    "patient__program__time_zone",
)


class CountedPlan(NamedTuple):
    """A take-home plan as `count_missed` and the measures read it (values, no model instance: COUNTED_PLAN):
    what `episode_plans` and `plan_days` read, and what the one definition of a take-home day reads
    (`first_missed`)."""

    patient_id: int
    enrollment_id: int | None
    decided_at: datetime
    bottles: list[str]
    ended_on: date | None
    bottle_mg: dict[str, str] | None
    bottles_taken_back: dict[str, str] | None
    returned_days: list[str] | None
    time_zone: str


def _decided_on(plan: CountedPlan) -> date:
    return plan.decided_at.astimezone(ZoneInfo(plan.time_zone)).date()


def read_as_handed_out(plan: CountedPlan, today: date, visits: Mapping[int, set[date]]) -> CountedPlan:
    """`plan` as the dose context reads it on `today` (`queries.take_home_plans.as_handed_out`, lane bot24):
    a run whose bottle never left the clinic ends the plan the day before it (`first_missed`, the helper
    `as_handed_out` reads too: `not_handed_out_from`, the one definition of a take-home day); `visits`: the
    observed days of the people with such a plan (`visits_of`, one statement for all of them)."""
    missed = first_missed(plan, _decided_on(plan), today, visits.get(plan.patient_id, set()))
    return plan if missed is None else plan._replace(ended_on=missed - timedelta(days=1))


def visits_of(plans: list[CountedPlan], todays: Mapping[int, date]) -> dict[int, set[date]]:
    """The observed methadone days (`observed_days`' rule: taken, neither voided nor corrected to 0 mg) of
    the people whose plans need them (`due_unrecorded`), from the oldest such plan's decision on: one
    statement, none when no plan needs them."""
    needing = [plan for plan in plans if due_unrecorded(plan, todays[plan.patient_id])]
    if not needing:
        return {}
    since = min(_decided_on(plan) for plan in needing)
    rows = taken_doses(
        DoseRecord.objects.filter(
            patient_id__in={plan.patient_id for plan in needing},
            medication=Medication.METHADONE,
            status=DoseStatus.GIVEN,
            local_date__gte=since,
        )
    ).values_list("patient_id", "local_date")
    out: dict[int, set[date]] = {}
    for pk, day in rows:
        out.setdefault(pk, set()).add(day)
    return out


# The names `with_missed_day_reads` annotates, in `MissedReads`' order.
MISSED_READS = ("missed_episode", "missed_started", "missed_first", "missed_newest", "missed_plans")


class MissedReads(NamedTuple):
    """What one person's count is made of (`with_missed_day_reads`' values, in MISSED_READS' order), as the
    driver returns them (SQLite: a date as its ISO text, a flag as 0 or 1; `_as_date` reads a date)."""

    episode: int | None  # the active enrollment (None: no episode, nothing missed)
    started_on: date | str | None  # its start
    first: date | str | None  # the episode's first observed dose (`episode_firsts`' rule); None: none yet
    newest: date | str | None  # the newest day before today, in the look-back, with an amount above 0
    plans: bool | int  # a take-home plan that may cover a day of the look-back (its days are read only then)


# `MissedReads`' values as a plain tuple (a row of `values_list`), what `count_missed` takes.
MissedRow: TypeAlias = tuple[int | None, date | str | None, date | str | None, date | str | None, bool | int]


def with_missed_day_reads(
    people: QuerySet[Patient], medication: str, today: date | Mapping[str, date]
) -> QuerySet[Patient]:
    """`people` (Patients) annotated with what each one's days missed in a row are counted from
    (MISSED_READS; `count_missed` counts them): the active enrollment (joined: one at most, a constraint)
    and its start, the episode's first observed dose (`episode_first_dose`) and the newest day in the
    MISS_LOOKBACK days before today with an amount above 0 (`newest_dosed_day`), and whether a take-home
    plan not ended before the look-back exists (`count_missed` reads the bottles, JSON, only for those: a
    list of every person's ids costs more than the read itself). `today`: one day for everyone, or each
    program time zone's (the people's `program__time_zone`), as the caseload reads it.
    Each is a subquery per person reading a row or two of an index (no dose is read), so the count's reads
    go in the statement that lists the people (the caseload's signals, issue #21)."""
    if isinstance(today, date):
        before: Value | Case = Value(today, output_field=DateField())
        since: Value | Case = Value(today - timedelta(days=MISS_LOOKBACK), output_field=DateField())
    else:
        zones = sorted(today.items())
        before = Case(
            *[When(program__time_zone=zone, then=Value(day)) for zone, day in zones], output_field=DateField()
        )
        since = Case(
            *[
                When(program__time_zone=zone, then=Value(day - timedelta(days=MISS_LOOKBACK)))
                for zone, day in zones
            ],
            output_field=DateField(),
        )
    active = FilteredRelation("enrollments", condition=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    return (
        people.annotate(missed_active=active)
        .annotate(
            missed_episode=F("missed_active__id"),
            missed_started=F("missed_active__started_on"),
            missed_consented=F("missed_active__consented_at"),
            missed_last_end=last_discharge(OuterRef("pk")),
            missed_before=before,
            missed_since=since,
        )
        .annotate(
            missed_first=episode_first_dose(
                medication,
                patient=OuterRef("pk"),
                started_on=OuterRef("missed_started"),
                consented_at=OuterRef("missed_consented"),
                last_end=OuterRef("missed_last_end"),
            ),
            missed_newest=newest_dosed_day(
                medication,
                patient=OuterRef("pk"),
                since=OuterRef("missed_since"),
                before=OuterRef("missed_before"),
            ),
            # A plan ended before the look-back covers no day a count can reach (MISS_LOOKBACK at most).
            missed_plans=Exists(
                TakeHomePlan.objects.filter(
                    Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("missed_since")),
                    patient=OuterRef("pk"),
                )
            ),
        )
    )


def count_missed(
    reads: Mapping[int, MissedRow], todays: Mapping[int, date], *, methadone: bool = True
) -> dict[int, int]:
    """Each person's observed days missed in a row before today (`DoseContext.missed_days_in_a_row`, the
    same answer) from `with_missed_day_reads`' values (patient id -> MISSED_READS' values) and each one's
    today: the days after the newest of (the day before the episode's first dose, the newest day with an
    amount, the newest take-home day of the episode before today), up to yesterday, at most MISS_LOOKBACK;
    0 with no episode or no first dose before today. The take-home plans are read (one statement, as
    values) only for people with one (`missed_plans`) whom the other two leave a day missed: a take-home
    day can only shorten a count."""
    counts: dict[int, int] = {}
    episodes_of: dict[int, tuple[int, date]] = {}
    stops: dict[int, date] = {}
    for pk, values in reads.items():
        episode, started_on, first, newest, planned = MissedReads(*values)
        first, newest, today = _as_date(first), _as_date(newest), todays[pk]
        counts[pk] = 0
        if episode is None or first is None or first >= today:
            continue
        stop = max(d for d in (first - timedelta(days=1), newest) if d is not None)
        stops[pk] = stop
        if planned and episodes.missed_days_after(stop, today, MISS_LOOKBACK) > 0:
            episodes_of[pk] = (episode, _as_date(started_on) or today)
    covered: dict[int, date] = {}  # the newest take-home day of the episode before today
    for chunk in in_chunks(list(episodes_of)):
        plans = (
            TakeHomePlan.objects.filter(patient_id__in=chunk)
            .order_by("decided_at", "id")
            .values_list(*COUNTED_PLAN)
        )  # `episode_take_home_plans`, as values: a plan object each cost more than the rest of the read
        chosen = episode_plans((CountedPlan(*values) for values in plans), episodes_of)
        visits = visits_of(chosen, todays) if methadone else {}
        for read in chosen:
            pk = read.patient_id
            # methadone's dose context reads its plans as handed out (`as_handed_out`); not buprenorphine's
            plan = read_as_handed_out(read, todays[pk], visits) if methadone else read
            days = [d for d in plan_days(plan) if d < todays[pk]] + ([covered[pk]] if pk in covered else [])
            if days:
                covered[pk] = max(days)
    for pk, stop in stops.items():
        counts[pk] = episodes.missed_days_after(max(stop, covered.get(pk, stop)), todays[pk], MISS_LOOKBACK)
    return counts


def missed_days(
    patients: list[tuple[Patient, date]] | list[tuple[int, date]],
    medication: str,
    *,
    among: QuerySet[Patient] | None = None,
) -> dict[int, int]:
    """Each person's observed days missed in a row before today (`DoseContext.missed_days_in_a_row`, the
    same answer) without reading a dose: per distinct "today", one statement of `with_missed_day_reads`
    over these people, then `count_missed` (and its take-home plans, only for people with a day missed).
    `among`: a queryset of patients holding at least these, read as a subquery instead of a list of ids
    (thousands of ids cost more to send and parse than the reads themselves). A person is a Patient or
    its id."""
    if not patients:
        return {}
    todays = {p if isinstance(p, int) else p.pk: today for p, today in patients}
    by_today: dict[date, list[int]] = {}
    for pk, today in todays.items():
        by_today.setdefault(today, []).append(pk)
    reads: dict[int, MissedRow] = {}
    with without_jit():  # a subquery per person: estimated costly at thousands; compiling is wasted
        for today, group in by_today.items():
            wanted = set(group)
            chunks: Sequence[Iterable[int]] = (
                [among.values_list("pk", flat=True).order_by()] if among is not None else in_chunks(group)
            )
            for chunk in chunks:
                people = with_missed_day_reads(Patient.objects.filter(pk__in=chunk), medication, today)
                for pk, *values in people.order_by().values_list("pk", *MISSED_READS):
                    if pk in wanted:  # `among` holds more people than asked
                        reads[pk] = tuple(values)
    counts = count_missed(reads, todays, methadone=medication == Medication.METHADONE)
    return {pk: counts.get(pk, 0) for pk in todays}


def in_chunks(ids: list[int], size: int = 20000) -> list[list[int]]:
    """Id lists short enough for one statement's parameters (PostgreSQL's driver takes at most 65,535)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
