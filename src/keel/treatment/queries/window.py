"""Today's dosing window: the list (`dosing_list`) and one person's row swapped in after a dose
(`dosing_row`, one hand-written statement held to the list's row)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.policy import Area
from keel.accounts.models import Program, User
from keel.db import rows
from keel.db.params import SQLParam
from keel.patients.models import EnrollmentStatus, FlagKind, Patient, PatientFlag, day_in, local_today
from keel.patients.queries import with_has_photo
from keel.treatment.models import (
    IN_FORCE_SQL,
    MAY_BE_IN_FORCE_SQL,
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OrderStatus,
    TakeHomePlan,
    in_force_params,
    in_force_q,
    order_in_force,
)
from keel.treatment.queries.contexts import (
    _Reads,
    bottle_named_today,
    context_after_dose,
    dose_context,
    dose_contexts,
    held_bottle_plan,
)
from keel.treatment.queries.doses import MISS_LOOKBACK, DoseContext


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
    # review 20a: a due methadone row on a day the person still holds a bottle of an ended plan for
    # (`contexts.held_bottle_plan`): the row offers "today's bottle returned unopened" as on a take-home day
    bottle_held: bool = False


WINDOW_MEDICATIONS = (Medication.METHADONE, Medication.BUPRENORPHINE)


def window_people(
    user: User,
    medications: tuple[str, ...] = WINDOW_MEDICATIONS,
    *,
    patient_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Patient]:
    """The people who may be on today's window: in the caller's clinical scope, with an order of one of
    `medications` that may be in force on someone's today (`in_force_q`: their todays differ by zone at most
    a day either side of UTC's) and an active enrollment (discharge ends dosing). The list's people and the
    still-due count's (`still_due`) are this one queryset; each then keeps a person's row only where an order
    is in force on the person's own today (review 19a: an order to start next week is not today's)."""
    scoped = policy.patients_visible_to(user, Area.CLINICAL)
    if patient_id is not None:  # one row, swapped in after a dose
        scoped = scoped.filter(pk=patient_id)
    last_day, first_day = _days_around(now)
    may_be = MedicationOrder.objects.filter(
        in_force_q(last_day, newer_from=first_day), medication__in=medications
    ).exclude(status=OrderStatus.STOPPED)
    return scoped.filter(pk__in=may_be.values("patient_id")).filter(
        enrollments__status=EnrollmentStatus.ACTIVE
    )


def dosing_list(
    user: User, *, medication: str | None = None, now: datetime | None = None, patient_id: int | None = None
) -> list[DosingRow]:
    """Today's window: every patient in the caller's clinical scope with an active methadone or buprenorphine
    order (one row per medication; `medication` narrows it), in name order, one audit row naming them."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise ClinicalNotAllowed("The dosing list is for nurses and prescribers.")
    medications = (medication,) if medication else WINDOW_MEDICATIONS
    last_day, first_day = _days_around(now)
    patients = list(
        with_has_photo(  # the identity photo or a placeholder on each row, in this same query (issue #18)
            window_people(user, medications, patient_id=patient_id, now=now)
        )
        .select_related("program")
        .order_by("family_name", "given_name", "id")
        .distinct()
    )
    todays = {p.pk: local_today(p, now) for p in patients}
    orders = _orders_in_force(todays, medications, last_day, first_day)
    patients = [p for p in patients if any((p.pk, med) in orders for med in medications)]
    ids = [p.pk for p in patients]
    flags = _open_flags(ids)
    contexts = _window_contexts(patients, todays, orders, medications, one=patient_id is not None)
    rows = []
    for p in patients:
        today = todays[p.pk]
        for med in medications:
            if (p.pk, med) not in orders:
                continue
            ctx = contexts[med][p.pk]
            plan = ctx.take_home if med == Medication.METHADONE else None
            status = _row_status(
                ctx, plan is not None and today in ctx.take_home_days
            )  # every plan: review 25c hole 3
            row = DosingRow(
                p, orders[(p.pk, med)], ctx, plan, flags.get(p.pk, 0), status == "due", status, med
            )
            rows.append(_with_held_bottle(row))
    policy.audit_list_read(
        user, target_type="dosing_list", patient_ids=ids, programs={p.pk: p.program_id for p in patients}
    )
    return rows


def _orders_in_force(
    todays: dict[int, date], medications: tuple[str, ...], last_day: date, first_day: date
) -> dict[tuple[int, str], MedicationOrder]:
    """Each (person, medication)'s order in force on the person's own today (`order_in_force`), of the orders
    that may be in force on someone's today (one statement)."""
    candidates: dict[tuple[int, str], list[MedicationOrder]] = {}
    for o in MedicationOrder.objects.filter(
        in_force_q(last_day, newer_from=first_day), patient_id__in=list(todays), medication__in=medications
    ):
        candidates.setdefault((o.patient_id, o.medication), []).append(o)
    orders: dict[tuple[int, str], MedicationOrder] = {}
    for key, found in candidates.items():
        in_force = order_in_force(found, todays[key[0]])
        if in_force is not None:
            orders[key] = in_force
    return orders


def _open_flags(ids: list[int]) -> dict[int, int]:
    """How many open (unresolved) flags each of these people has, those with any (one statement)."""
    return dict(
        PatientFlag.objects.filter(patient_id__in=ids, resolved_at__isnull=True)
        .values("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )


def _window_contexts(
    patients: list[Patient],
    todays: dict[int, date],
    orders: dict[tuple[int, str], MedicationOrder],
    medications: tuple[str, ...],
    *,
    one: bool,
) -> dict[str, dict[int, DoseContext]]:
    """Each medication's dose contexts of the people with an order of it in force, read together; `one` (the
    row swapped in after a dose) reads a single person's as `dose_context` does, the same answer."""
    contexts: dict[str, dict[int, DoseContext]] = {}
    for med in medications:
        having = [p for p in patients if (p.pk, med) in orders]
        if one and len(having) == 1:  # the row swapped in: one person's reads, the same answer
            p = having[0]
            contexts[med] = {p.pk: dose_context(p, med, todays[p.pk])}
        else:
            contexts[med] = dose_contexts([(p, todays[p.pk]) for p in having], med)
    return contexts


# "N people still due today" (the page's count, fetched again after every htmx dose answer, issue #21): the
# rows of `dosing_list` whose status is "due", counted in the database instead of reading every context. One
# statement over `window_people` (the list's own queryset, compiled by the ORM as the subquery), one row per
# person with the number of their window rows that are due, summed by the database per person: a row is a
# medication with an active order that is not held (a dose of it held today whose hold no prescriber
# released), not given (today's doses of it come to more than 0 mg after each one's latest amendment:
# `effective_mg`) and, for methadone, not a take-home day (today among the bottles of a plan of the current
# episode, not after it ended; review 25c hole 3: every standing plan, as `ctx.take_home_days`) —
# `_row_status`, in SQL. Lane fhir25: a plan's day is a take-home day only
# if its bottle left the clinic (`as_handed_out`, as the dose context reads the plan): when every bottle day
# of the plan up to today is in its record (`bottle_mg`, `bottles_taken_back`), no run of it can have failed
# to leave (`take_home_plans.due_unrecorded`), so the calendar says it; otherwise the row is counted due and
# marked (`_due_sql(..., unsure=True)`), and the dose context of those few people decides
# (`_take_home_after_all`, the only reads beyond the statement's). "Today" is each program's own calendar
# day, told by the zone table `_zones` (each zone's day computed in Python as `local_today` does). One row
# per person because the list's audit row names them (and those seen through emergency access) and the find
# field matches a name as Python does (`casefold`, which SQL's LOWER is not).
# tests/treatment/test_due_count_sql.py holds the count to the list's sum on SQLite and PostgreSQL. B608/S608
# waived: constant text (this and the ORM's compiled subquery); every value is a parameter.
_LATEST_AMENDMENT = (
    '(SELECT w."id" FROM "treatment_doseamendment" w WHERE w."dose_id" = d."id" '
    'ORDER BY w."amended_at" DESC, w."id" DESC LIMIT 1)'
)
_HELD_OPEN = (
    'EXISTS (SELECT 1 FROM "treatment_doserecord" d WHERE d."patient_id" = p."id" AND d."medication" = %s '
    'AND d."local_date" = z."day" AND d."status" = %s AND NOT EXISTS (SELECT 1 FROM "patients_patientflag" f '
    'WHERE f."kind" = %s AND f."source_type" = %s AND f."source_id" = d."id" '
    'AND f."resolved_at" IS NOT NULL))'
)
_GIVEN_MG = (
    '(SELECT COALESCE(SUM(CASE WHEN a."id" IS NULL THEN '  # noqa: S608 # nosec B608
    'CASE WHEN d."status" = %s THEN d."amount_mg" ELSE 0 END '
    'WHEN a."voided" THEN 0 ELSE COALESCE(a."corrected_mg", 0) END), 0) FROM "treatment_doserecord" d '
    'LEFT JOIN "treatment_doseamendment" a ON a."id" = ' + _LATEST_AMENDMENT + " "
    'WHERE d."patient_id" = p."id" AND d."medication" = %s AND d."local_date" = z."day")'
)
# The current episode's latest take-home plan (`episode_plans`: its enrollment named, or none named and
# decided on or after the episode's start, a UTC day as Django reads `decided_at`; the connection's zone is
# UTC on both databases), covering today.
# Lane fix29a (review 29a hole 4): a bottle recorded brought back (`returned_days`) makes its day a clinic
# day (`plan_days`).
_BOTTLE_TODAY = {
    "sqlite": (
        'EXISTS (SELECT 1 FROM json_each(t."bottles") b WHERE b."value" = z."iso") '
        'AND NOT EXISTS (SELECT 1 FROM json_each(t."returned_days") r WHERE r."value" = z."iso")'
    ),
    "postgresql": (
        't."bottles" @> jsonb_build_array(z."iso") AND NOT t."returned_days" @> jsonb_build_array(z."iso")'
    ),
}
# Every bottle day of the plan up to today (and up to its end) is in its record: handed out or taken back.
_RECORDED_TO_TODAY = {
    "sqlite": (
        'NOT EXISTS (SELECT 1 FROM json_each(t."bottles") b WHERE b."value" <= z."iso" '
        'AND (t."ended_on" IS NULL OR b."value" <= t."ended_on") '
        """AND json_type(t."bottle_mg", '$."' || b."value" || '"') IS NULL """
        """AND json_type(t."bottles_taken_back", '$."' || b."value" || '"') IS NULL)"""
    ),
    "postgresql": (
        'NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(t."bottles") b(v) '
        'WHERE CAST(b.v AS DATE) <= z."day" AND (t."ended_on" IS NULL OR CAST(b.v AS DATE) <= t."ended_on") '
        'AND (t."bottle_mg" -> b.v) IS NULL AND (t."bottles_taken_back" -> b.v) IS NULL)'
    ),
}
_TAKE_HOME_TODAY = (
    'EXISTS (SELECT 1 FROM "patients_enrollment" e JOIN "treatment_takehomeplan" t ON t."patient_id" = '
    'e."patient_id" AND (t."enrollment_id" = e."id" OR (t."enrollment_id" IS NULL AND t."decided_at" >= '
    'e."started_on")) '
    'WHERE e."patient_id" = p."id" AND e."status" = %s '
    'AND (t."ended_on" IS NULL OR t."ended_on" >= z."day") AND {bottle} AND {recorded})'
)


# The order in force on the person's today (`IN_FORCE_SQL`, the one definition), that today being the zone
# row's day: its one parameter is the stopped status.
_IN_FORCE_ON_ZONE_DAY = IN_FORCE_SQL % ("%s", 'z."day"', 'z."day"')


def _due_sql(medication: str, vendor: str, *, unsure: bool = False) -> tuple[str, list[SQLParam]]:
    """Whether this person's row of `medication` is due (1) or not (0, or no row), and its parameters; a
    methadone row on a plan's bottle day is not due only when the plan's record covers every bottle day up
    to today (`_RECORDED_TO_TODAY`). `unsure`: instead, whether the methadone row is due unless today is a
    take-home day by a plan whose record does not (the dose context decides: `_take_home_after_all`)."""
    sql = (
        'CASE WHEN EXISTS (SELECT 1 FROM "treatment_medicationorder" o '  # noqa: S608 # nosec B608
        'WHERE o."patient_id" = p."id" AND o."medication" = %s AND '
        + _IN_FORCE_ON_ZONE_DAY
        + ") AND NOT "
        + _HELD_OPEN
        + " AND "
        + _GIVEN_MG
        + " <= 0"
    )
    params: list[SQLParam] = [
        *(medication, OrderStatus.STOPPED),
        *(medication, DoseStatus.HELD, FlagKind.DOSE_HELD, "dose"),
        *(DoseStatus.GIVEN, medication),
    ]
    if medication == Medication.METHADONE:  # only methadone's row is a take-home day
        recorded = _RECORDED_TO_TODAY[vendor]
        if unsure:
            sql += " AND " + _TAKE_HOME_TODAY.format(bottle=_BOTTLE_TODAY[vendor], recorded="NOT " + recorded)
        else:
            sql += " AND NOT " + _TAKE_HOME_TODAY.format(bottle=_BOTTLE_TODAY[vendor], recorded=recorded)
        params.append(EnrollmentStatus.ACTIVE)
    return sql + " THEN 1 ELSE 0 END", params


@dataclass(frozen=True)
class StillDue:
    """One person on today's window: what the find field matches (`display_name`, `record_number`) and how
    many of their rows are due (one per medication)."""

    patient_id: int
    display_name: str
    record_number: str
    due: int


def still_due(user: User, *, now: datetime | None = None) -> list[StillDue]:
    """Everyone on today's window (`dosing_list`'s people, in its order) with how many of their rows are due:
    the count's read, in two statements (the programs' zones, then the count) whatever the list's length
    (and, only for people on a bottle day of a plan whose record is silent on a bottle day up to today, their
    dose contexts: `_take_home_after_all`), with the list's one audit row (the count is told from these
    people's records, so it names them as the list does). The sum of `due` is
    `sum(1 for row in dosing_list(user) if row.due)`."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise ClinicalNotAllowed("The dosing list is for nurses and prescribers.")
    people = window_people(user)
    zones = set(
        Program.objects.filter(pk__in=people.values("program_id")).values_list("time_zone", flat=True)
    )
    if not zones:
        policy.audit_list_read(user, target_type="dosing_list", patient_ids=[], emergency_ids=[])
        return []
    statement, params = _still_due_sql(user, people, zones, now)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        found = cursor.fetchall()
    ids = [pk for pk, *_ in found]
    emergency = sorted(pk for pk, *_, off_team, _due, _unsure in found if off_team)
    after_all = _take_home_after_all([pk for pk, *_, unsure_row in found if unsure_row], now)
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=ids,
        emergency_ids=emergency if policy.clinical_scope_sql(user, Area.CLINICAL, 0) else [],
        programs={pk: program for pk, _p, _g, _f, _r, program, *_ in found},
    )
    return [
        StillDue(pk, Patient.name_from(preferred, given, family), record, int(due) - (pk in after_all))
        for pk, preferred, given, family, record, _program, _off_team, due, _unsure in found
    ]


def _zone_days(zones: set[str], now: datetime | None) -> tuple[list[str], list[SQLParam]]:
    """Each time zone's today as one row of a `UNION ALL` (zone, day, ISO day), and their parameters."""
    day = connection.ops.adapt_datefield_value
    zone_rows: list[str] = []
    zone_params: list[SQLParam] = []
    for zone in sorted(zones):
        today = day_in(zone, now)
        zone_rows.append("SELECT CAST(%s AS TEXT) AS zone, %s AS day, CAST(%s AS TEXT) AS iso")
        zone_params += [zone, day(today), today.isoformat()]
    return zone_rows, zone_params


def _still_due_sql(
    user: User, people: QuerySet[Patient], zones: set[str], now: datetime | None
) -> tuple[str, list[SQLParam]]:
    """`still_due`'s one statement and its parameters: each of `people` on the window (an order in force on
    their own today), with whether they are off the team, their due rows and whether methadone's is unsure."""
    zone_rows, zone_params = _zone_days(zones, now)
    dues, due_params = zip(*(_due_sql(m, connection.vendor) for m in WINDOW_MEDICATIONS), strict=True)
    unsure, unsure_params = _due_sql(Medication.METHADONE, connection.vendor, unsure=True)
    scope, scope_params = people.values("pk").query.sql_with_params()
    statement = (
        'SELECT p."id", p."preferred_name", p."given_name", p."family_name", p."record_number", '  # noqa: S608 # nosec B608
        + 'p."program_id", '  # each person's program: the list's audit row carries it, as dosing_list's
        + policy.OFF_TEAM
        + ", "  # nosec B608
        + " + ".join(dues)
        + ", "
        + unsure
        + ' FROM "patients_patient" p JOIN "accounts_program" g ON g."id" = p."program_id" '  # nosec B608
        + "JOIN ("
        + " UNION ALL ".join(zone_rows)
        + ') z ON z."zone" = g."time_zone" '
        + 'WHERE p."id" IN ('
        + scope
        + ') AND EXISTS (SELECT 1 FROM "treatment_medicationorder" o WHERE o."patient_id" = p."id" '
        + 'AND o."medication" IN ('
        + ", ".join(["%s"] * len(WINDOW_MEDICATIONS))
        + ") AND "
        + _IN_FORCE_ON_ZONE_DAY  # on the list: an order in force on the person's own today, as dosing_list
        + ') ORDER BY p."family_name", p."given_name", p."id"'
    )
    params = [
        user.pk,
        *(p for ps in due_params for p in ps),
        *unsure_params,
        *zone_params,
        *scope_params,
        *WINDOW_MEDICATIONS,
        OrderStatus.STOPPED,
    ]
    return statement, params


def _take_home_after_all(ids: list[int], now: datetime | None) -> set[int]:
    """Of these people (a methadone row due but for a bottle day of a plan whose record does not cover every
    bottle day up to today: a run may not have left the clinic), those for whom today is a take-home day as
    the window reads it (the dose context's plan, read as handed out: `as_handed_out`; `_row_status`). None
    read when there is none (most days: the dose path records every bottle it hands out)."""
    if not ids:
        return set()
    people = list(Patient.objects.filter(pk__in=ids).select_related("program"))
    pairs = [(p, local_today(p, now)) for p in people]
    contexts = dose_contexts(pairs, Medication.METHADONE)
    return {
        p.pk
        for p, today in pairs
        if today in contexts[p.pk].take_home_days  # every standing plan (review 25c hole 3)
    }


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
    'AND o."medication" = %s AND '
    + MAY_BE_IN_FORCE_SQL
    + " WHERE "
    + policy.CLINICAL_SCOPE_WHERE
    + " AND "
    + _ACTIVE_ENROLLMENT
    + ' ORDER BY o."id" DESC LIMIT 1'
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
        raise ClinicalNotAllowed("The dosing list is for nurses and prescribers.")
    if medication not in WINDOW_MEDICATIONS or not policy.clinical_scope_sql(user, Area.CLINICAL, patient_id):
        for row in dosing_list(user, medication=medication, now=now, patient_id=patient_id):
            if row.patient.pk == patient_id:
                return row
        return None
    found = _fetch_row(user, medication, now, patient_id)
    if not found:
        policy.audit_list_read(user, target_type="dosing_list", patient_ids=[], emergency_ids=[])
        return None
    patient, program, order, has_photo, open_flags, off_team = found[0]
    Patient.program.field.set_cached_value(patient, program)
    patient.has_photo = bool(has_photo)
    today = local_today(patient, now)
    if (
        order.deferred and order.starts_on > today
    ):  # the newest order that may be in force starts tomorrow here: read the list
        return next(
            (r for r in dosing_list(user, medication=medication, now=now, patient_id=patient_id)), None
        )
    if order.status == OrderStatus.STOPPED:
        policy.audit_list_read(user, target_type="dosing_list", patient_ids=[], emergency_ids=[])
        return None
    row = _row_of(patient, order, int(open_flags), medication, today)
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=[patient.pk],
        emergency_ids=[patient.pk] if off_team else [],
        programs={patient.pk: patient.program_id},
    )
    return row


def _fetch_row(user: User, medication: str, now: datetime | None, patient_id: int) -> list[tuple[Any, ...]]:
    """The clinician's row in one hand-written statement (`_ROW`): the person, the program, the newest order,
    whether a photo is on file, the open flags, and whether the person is off the clinician's team."""
    return rows.fetch(
        _ROW,
        [
            user.pk,  # OFF_TEAM
            medication,
            *map(connection.ops.adapt_datefield_value, _days_around(now)),
            *policy.clinical_scope_params(user, patient_id),
            EnrollmentStatus.ACTIVE,
        ],
        (Patient, "p"),
        (Program, "g"),
        (MedicationOrder, "o"),
        extra=_ROW_EXTRA,
    )


def _row_of(
    patient: Patient, order: MedicationOrder, open_flags: int, medication: str, today: date
) -> DosingRow:
    """The person's row from the order and today's dose context: its status (every take-home plan read,
    review 25c hole 3) and a bottle held back at the window."""
    ctx = dose_context(patient, medication, today)
    plan = ctx.take_home if medication == Medication.METHADONE else None
    status = _row_status(ctx, plan is not None and today in ctx.take_home_days)
    return _with_held_bottle(
        DosingRow(patient, order, ctx, plan, open_flags, status == "due", status, medication)
    )


@dataclass(frozen=True)
class RecordedDose:
    """A dose just saved at the window, with what it read before (`record_dose`'s `then`): the row swapped in
    after it is told from these (`row_after_dose`)."""

    patient: Patient  # scoped for the dose (its program joined, `keel_off_team` set)
    order: MedicationOrder  # the active order the dose was given against
    medication: str
    today: date
    reads: _Reads  # the day's context as the dose read it (`dose_context_and_reads`)
    dose: DoseRecord


# What the row needs beyond the dose's own reads, in one statement after the dose's write (in its transaction
# on SQLite): the photo flag, the open flags (a hold just raised one), whether the clinician is off the care
# team (the list audit row's emergency access) and, to know nothing changed since the dose read the day, how
# many doses of this medication and amendments of them the person has from the context's first day (a second
# nurse's dose meanwhile: the row is read again). tests/treatment/test_row_after_dose.py holds it to the
# reads. B608/S608 waived: constant text only; every value is a parameter.
_AFTER_DOSE = (
    "SELECT "  # noqa: S608 # nosec B608
    + ", ".join(
        (
            *_ROW_EXTRA,
            '(SELECT COUNT(*) FROM "treatment_doserecord" d WHERE d."patient_id" = p."id" '
            'AND d."medication" = %s AND d."local_date" >= %s)',
            '(SELECT COUNT(*) FROM "treatment_doseamendment" a JOIN "treatment_doserecord" d '
            'ON d."id" = a."dose_id" WHERE d."patient_id" = p."id" AND d."medication" = %s '
            'AND d."local_date" >= %s)',
            # what else the row shows, as it is now (review 21b: an order written, a discharge or a take-home
            # decision committed while the dose was recorded): the order in force today (`IN_FORCE_SQL`),
            # whether an episode is open, and the newest take-home plan and whether it has ended
            '(SELECT o."id" FROM "treatment_medicationorder" o WHERE o."patient_id" = p."id" '  # noqa: S608
            'AND o."medication" = %s AND ' + IN_FORCE_SQL + " "  # nosec B608
            'ORDER BY o."created_at" DESC, o."id" DESC LIMIT 1)',
            '(SELECT MAX(e."id") FROM "patients_enrollment" e WHERE e."patient_id" = p."id" '
            'AND e."ended_on" IS NULL)',
            '(SELECT COUNT(*) FROM "treatment_takehomeplan" t WHERE t."patient_id" = p."id" AND t."id" > %s)',
            '(SELECT COUNT(*) FROM "treatment_takehomeplan" t WHERE t."patient_id" = p."id" AND t."id" <= %s '
            'AND t."ended_on" IS NULL)',
        )
    )
    + ' FROM "patients_patient" p WHERE p."id" = %s'
)


def row_after_dose(user: User, recorded: RecordedDose, *, now: datetime | None = None) -> DosingRow | None:
    """The row `dosing_row` reads right after a dose, told from the dose's own reads and the new dose, with
    the same list audit row, in one statement (`_AFTER_DOSE`) instead of the row's three. None (and no audit
    row): it cannot be told that way (another day by now, a dose that may start the episode, a role or id
    `dosing_row` reads through the list, or the person's doses changed since the dose read them): the caller
    reads it with `dosing_row`. tests/treatment/test_row_after_dose.py holds it to `dosing_row`."""
    patient, medication = recorded.patient, recorded.medication
    if (
        medication not in WINDOW_MEDICATIONS
        or not (policy.can_record_dose(user) or policy.can_prescribe(user))
        or not policy.clinical_scope_sql(user, Area.CLINICAL, patient.pk)
        or local_today(patient, now) != recorded.today
    ):
        return None
    ctx = context_after_dose(patient, medication, recorded.today, recorded.reads, recorded.dose)
    if ctx is None:
        return None
    read = _read_after_dose(user, recorded)
    if read is None:
        return None
    has_photo, open_flags, off_team = read
    patient.has_photo = bool(has_photo)  # type: ignore[attr-defined]
    plan = ctx.take_home if medication == Medication.METHADONE else None
    status = _row_status(ctx, plan is not None and recorded.today in ctx.take_home_days)
    row = _with_held_bottle(
        DosingRow(patient, recorded.order, ctx, plan, int(open_flags), status == "due", status, medication)
    )
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=[patient.pk],
        emergency_ids=[patient.pk] if off_team else [],
        programs={patient.pk: patient.program_id},
    )
    return row


def _read_after_dose(user: User, recorded: RecordedDose) -> tuple[Any, Any, Any] | None:
    """`_AFTER_DOSE`'s read for `row_after_dose`: the row's photo, open flags and off-team, or None when the
    person's doses, amendments, order, episode or take-home plans changed since the dose read them."""
    patient, medication = recorded.patient, recorded.medication
    since = connection.ops.adapt_datefield_value(recorded.today - timedelta(days=MISS_LOOKBACK))
    plans = [plan for plan in recorded.reads.plans if plan.patient_id == patient.pk]
    newest_plan = max((plan.pk for plan in plans), default=0)
    with connection.cursor() as cursor:
        cursor.execute(
            _AFTER_DOSE,
            (
                user.pk,
                *(medication, since) * 2,
                medication,
                *in_force_params(recorded.today),
                newest_plan,
                newest_plan,
                patient.pk,
            ),
        )
        has_photo, open_flags, off_team, doses, amendments, order_id, episode_id, new_plans, open_plans = (
            cursor.fetchone()
        )
    before = recorded.reads.doses[patient.pk]
    amended = sum(len(recorded.reads.amended.get(d.pk, ())) for d in before)
    if doses != len(before) + 1 or amendments != amended:
        return None  # another dose or amendment meanwhile: read the row again
    held = recorded.dose.status == DoseStatus.HELD  # a hold ends the plans itself (told from the dose)
    if (
        order_id != recorded.order.pk
        or episode_id != recorded.reads.episodes_of.get(patient.pk, (None,))[0]
        or new_plans
        or (not held and open_plans != sum(1 for plan in plans if plan.ended_on is None))
    ):
        return None  # an order, an episode or a take-home plan changed meanwhile: read the row again
    return has_photo, open_flags, off_team


def _days_around(now: datetime | None) -> tuple[date, date]:
    """The last and the first day that is someone's today now (a day either side of UTC's), for
    `MAY_BE_IN_FORCE_SQL` (last first) and `in_force_q(last, newer_from=first)`."""
    utc_day = (now or timezone.now()).astimezone(UTC).date()
    return utc_day + timedelta(days=1), utc_day - timedelta(days=1)


def _with_held_bottle(row: DosingRow) -> DosingRow:
    """The row, marked `bottle_held` when it is a due methadone row and the person still holds a bottle of an
    ended plan for today (review 20a; read only when the context found such a bottle may be out)."""
    if row.status != "due" or row.medication != Medication.METHADONE or not row.today.bottles_maybe_held:
        return row
    held = held_bottle_plan(row.patient, row.today, row.today.today) is not None
    # lane fix29c (review 29c hole 5): a bottle for today the call-back list names is offered back too
    held = held or bottle_named_today(row.patient, row.today, row.today.today) is not None
    return replace(row, bottle_held=held) if held else row


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
