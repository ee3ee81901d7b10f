""" "N people still due today" (`still_due`): the list's due rows counted in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.policy import Area
from keel.accounts.models import Program, User
from keel.db.params import SQLParam
from keel.patients.models import EnrollmentStatus, FlagKind, Patient, day_in, local_today
from keel.treatment.models import (
    IN_FORCE_SQL,
    DoseStatus,
    Medication,
    OrderStatus,
    latest_amendment_sql,
)
from keel.treatment.queries.contexts import (
    dose_contexts,
)
from keel.treatment.queries.window.listing import window_people
from keel.treatment.queries.window.row_status import WINDOW_MEDICATIONS

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
_LATEST_AMENDMENT = latest_amendment_sql("id", 'd."id"')  # the correction in force (`AMENDMENT_ORDER`)
# A hold stands (`contexts.OPEN_HOLD`, the one definition): held on the person's day or before, its flag open,
# of any medication: the dose reads them all (lane fix33h, review 33e hole 6).
_HELD_OPEN = (
    'EXISTS (SELECT 1 FROM "treatment_doserecord" d WHERE d."patient_id" = p."id" '
    'AND d."local_date" <= z."day" AND d."status" = %s AND EXISTS (SELECT 1 FROM "patients_patientflag" f '
    'WHERE f."kind" = %s AND f."source_type" = %s AND f."source_id" = d."id" '
    'AND f."resolved_at" IS NULL))'
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
_IN_FORCE_ON_ZONE_DAY = IN_FORCE_SQL % ("%s", 'z."day"', 'z."day"', 'z."day"')


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
        *(DoseStatus.HELD, FlagKind.DOSE_HELD, "dose"),
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
