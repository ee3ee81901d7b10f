"""Bench populations generated in SQL on PostgreSQL (generate_series, issue #21), shared by the caseload and
measures benches: people, enrollments, orders, observed doses, voids, take-home bottles, pharmacy fills,
DSM-5 results and naloxone kits, each a few set-based INSERTs, so 100,000 people build in minutes.

Every helper adds rows for the people with an id above `lo` (the largest patient id before the new people
were added) and returns nothing; pseudo-random choices are stable hashes of the person's id (`hashed`), so
a size built twice is the same data. Expressions passed in are SQL over the columns the helper names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

Cursor = Any  # a DB-API cursor on the PostgreSQL connection

BLANKS = 14  # the patient's text columns left blank


def hashed(tag: str, n: int, column: str = "id") -> str:
    """SQL for a stable pseudo-random 0 .. n-1 of `column` (a person's id), one stream per `tag`."""
    return f"(abs(hashtext({column}::text || ':{tag}')) % {n})"


def day(today: date) -> str:
    """A date as an SQL literal (from a `date`: nothing typed by anyone)."""
    return f"DATE '{today.isoformat()}'"


def add_people(c: Cursor, program_id: int, start: int, stop: int, born: str) -> int:
    """People start+1 .. stop (`born`: their birth date, SQL over the series number `i`); returns `lo`."""
    c.execute("SELECT COALESCE(MAX(id), 0) FROM patients_patient")
    lo: int = c.fetchone()[0]
    blank = ", ".join(["''"] * BLANKS)
    c.execute(
        f"""INSERT INTO patients_patient (record_number, given_name, family_name, created_at, updated_at,
            version, program_id, preferred_name, pronouns, phone, birth_sex, gender, preferred_language,
            address_line, city, email, emergency_contact_name, emergency_contact_phone,
            emergency_contact_relationship, postal_code, region, date_of_birth, sort_name)
        SELECT 'C-' || lpad(i::text, 6, '0'), 'Bench', 'Person' || i, now(), now(), 1, {int(program_id)},
            {blank}, {born}, 'bench person' || i
        FROM generate_series({int(start) + 1}, {int(stop)}) AS i"""
    )
    return lo


def add_care_team(c: Cursor, user_id: int, lo: int) -> None:
    c.execute(
        "INSERT INTO patients_careteammember (added_at, user_id, patient_id) "
        f"SELECT now(), {int(user_id)}, id FROM patients_patient WHERE id > {int(lo)}"
    )


def add_enrollments(
    c: Cursor, program_id: int, lo: int, *, started: str, ended: str = "NULL", source: str = ""
) -> None:
    """One enrollment a person (`started`, `ended`: SQL over the person's `id`, or over `source`'s columns
    when given: a table with an `id` column, the new people's); ended ones are "left care"."""
    rows = source or f"patients_patient WHERE id > {int(lo)}"
    c.execute(
        f"""INSERT INTO patients_enrollment (started_on, ended_on, end_reason, status, program_id, patient_id,
            kind)
        SELECT s, e, CASE WHEN e IS NULL THEN '' ELSE 'left' END,
            CASE WHEN e IS NULL THEN 'active' ELSE 'ended' END, {int(program_id)}, id, ''
        FROM (SELECT id, ({started})::date AS s, ({ended})::date AS e FROM {rows}) AS x"""
    )


RXNORM = {"methadone": "6813", "buprenorphine": "1819", "naltrexone_xr": "7243"}


def add_orders(
    c: Cursor, user_id: int, lo: int, *, medication: str, starts: str, where: str = "TRUE"
) -> None:
    """An active order of `medication` for each new person matching `where` (SQL over `id`)."""
    c.execute(
        f"""INSERT INTO treatment_medicationorder (medication, rxnorm, dose_mg, frequency, route, status,
            starts_on, note, created_at, patient_id, prescriber_id, home_start, schedule, deferred,
            qtc_reason)
        SELECT '{medication}', '{RXNORM[medication]}', 60, 'once daily', 'oral', 'active', {starts}, '',
            now(), id, {int(user_id)}, false, '[]'::jsonb, false, ''
        FROM patients_patient WHERE id > {int(lo)} AND ({where})"""
    )


def add_doses(
    c: Cursor,
    user_id: int,
    lo: int,
    *,
    medication: str,
    first: str,
    last: str,
    every: int = 1,
    keep: str = "TRUE",
    status: str = "'given'",
    source: str = "",
) -> None:
    """Doses of each new person's `medication` order, one every `every` days from `first` to `last` (SQL
    over the person `p`, and over `source`'s columns when given: a table joined on its `id` = `p`), on the
    days `keep` holds (SQL over `p`, the day `d` and `k`, the day's number from 0); `status` over the same."""
    join = f"JOIN {source} AS source ON source.id = o.p" if source else ""
    assert medication in RXNORM, medication
    c.execute(
        f"""INSERT INTO treatment_doserecord (medication, local_date, sequence, status, amount_mg,
            treatment_day, decision, recorded_at, patient_id, recorded_by_id, order_id, site)
        SELECT '{medication}', d, 1, {status}, 60, k + 1, '{{}}'::jsonb, now(), p,
            {int(user_id)}, order_id, ''
        FROM (
            SELECT o.order_id, o.p, ({first})::date AS first, ({last})::date AS last
            FROM (SELECT id AS order_id, patient_id AS p FROM treatment_medicationorder
                  WHERE patient_id > {int(lo)} AND medication = '{medication}') AS o {join}
        ) AS o
        CROSS JOIN LATERAL generate_series(0, o.last - o.first, {int(every)}) AS k
        CROSS JOIN LATERAL (SELECT o.first + k AS d) AS dd
        WHERE {keep}"""
    )


def void_one_dose(c: Cursor, user_id: int, lo: int, *, where: str, newest: bool) -> None:
    """The newest (or the oldest) dose of each new person matching `where` (SQL over `patient_id`) voided."""
    c.execute(
        f"""INSERT INTO treatment_doseamendment (voided, reason, amended_at, amended_by_id, dose_id)
        SELECT DISTINCT ON (r.patient_id) true, 'Recorded in error', now(), {int(user_id)}, r.id
        FROM treatment_doserecord r WHERE r.patient_id > {int(lo)} AND ({where})
        ORDER BY r.patient_id, r.local_date {"DESC" if newest else "ASC"}, r.id"""
    )


def add_take_home(
    c: Cursor, user_id: int, lo: int, *, first: str, days: int, where: str, source: str = ""
) -> None:
    """A take-home plan with `days` bottles from `first` (SQL over the enrollment `e`, and over `source`'s
    columns when given: a table joined on its `id` = the person) for each new person's enrollment matching
    `where`; decided the day before the first bottle."""
    join = f"JOIN {source} AS source ON source.id = e.patient_id" if source else ""
    c.execute(
        f"""INSERT INTO treatment_takehomeplan (decided_at, days_in_treatment, criteria, decision,
            max_supply_days, bottles, decided_by_id, patient_id, open_flags, end_reason, returned_days,
            enrollment_id, bottle_mg, bottles_taken_back, end_kind, earlier_end)
        SELECT (b.first - 1)::timestamptz, 90, '{{}}'::jsonb, '{{}}'::jsonb, {int(days)},
            (SELECT jsonb_agg((b.first + k)::text ORDER BY k) FROM generate_series(0, {int(days) - 1}) AS k),
            {int(user_id)}, b.patient_id, '[]'::jsonb, '', '[]'::jsonb, b.id,
            '{{}}'::jsonb, '{{}}'::jsonb, '', '{{}}'::jsonb
        FROM (SELECT e.id, e.patient_id, ({first})::date AS first FROM patients_enrollment e {join}
              WHERE e.patient_id > {int(lo)} AND ({where})) AS b"""
    )


def add_fills(
    c: Cursor, user_id: int, lo: int, *, count: str, on: str, days_supply: int, today: date, source: str = ""
) -> None:
    """`count` pharmacy fills (SQL over `p` and `source`'s columns) of each new person's buprenorphine
    order, fill number `k` (from 0) on `on` (SQL over `p`, `k` and `source`), `days_supply` days each;
    none dated after yesterday."""
    join = f"JOIN {source} AS source ON source.id = o.p" if source else ""
    c.execute(
        f"""INSERT INTO treatment_medicationfill (filled_on, days_supply, source, reason, recorded_at,
            order_id, patient_id, recorded_by_id)
        SELECT f.on_day, {int(days_supply)}, 'pharmacy', '', now(), f.order_id, f.p, {int(user_id)}
        FROM (
            SELECT o.order_id, o.p, ({on})::date AS on_day
            FROM (SELECT id AS order_id, patient_id AS p FROM treatment_medicationorder
                  WHERE patient_id > {int(lo)} AND medication = 'buprenorphine') AS o {join}
            CROSS JOIN LATERAL generate_series(0, ({count}) - 1) AS k
        ) AS f
        WHERE f.on_day < {day(today)}"""
    )


def void_first_fill(c: Cursor, user_id: int, lo: int, *, where: str) -> None:
    """The first fill of each new person matching `where` (SQL over `patient_id`) voided by a new row."""
    c.execute(
        f"""INSERT INTO treatment_medicationfill (filled_on, days_supply, source, reason, recorded_at,
            order_id, patient_id, recorded_by_id, voids_id)
        SELECT f.filled_on, f.days_supply, f.source, 'Entered for the wrong person', now(), f.order_id,
            f.patient_id, {int(user_id)}, f.id
        FROM treatment_medicationfill f
        WHERE f.id IN (SELECT MIN(id) FROM treatment_medicationfill
                       WHERE patient_id > {int(lo)} AND ({where}) GROUP BY patient_id)"""
    )


def add_assessments(
    c: Cursor, program_id: int, user_id: int, lo: int, *, band: str, filled_on: str, where: str, source: str
) -> None:
    """A DSM-5 result given by a clinician (`user_id`) for each new person of `source` (a table with an
    `id` column, the new people's) matching `where`: its `band` and the day it was given (SQL over
    `source`'s columns), at noon UTC."""
    c.execute(
        f"""INSERT INTO assessments_assessment (instrument, instrument_version, scorer_version, answers,
            extras, total, band, result, filled_at, created_at, filled_by_id, patient_id, program_id)
        SELECT 'dsm5-oud', '1', '1', '{{}}'::jsonb, '{{}}'::jsonb, 6, {band}, '{{}}'::jsonb,
            ({filled_on})::date + interval '12 hours', now(), {int(user_id)}, source.id, {int(program_id)}
        FROM {source} AS source WHERE source.id > {int(lo)} AND ({where})"""
    )


def add_naloxone(c: Cursor, user_id: int, lo: int, *, on: str, where: str, today: date, source: str) -> None:
    """A naloxone kit on `on` for each new person of `source` matching `where` (SQL over its columns)."""
    c.execute(
        f"""INSERT INTO treatment_naloxonekit (product, quantity, dispensed_on, recorded_at, dispensed_by_id,
            patient_id)
        SELECT 'nasal_4mg', 1, ({on})::date, now(), {int(user_id)}, source.id
        FROM {source} AS source WHERE source.id > {int(lo)} AND ({where}) AND ({on})::date < {day(today)}"""
    )
