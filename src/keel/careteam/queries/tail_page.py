"""A page past the caseload's signalled people cut by the database (issue #21): one statement a page however
deep (`_tail_page`: `tail._tail`'s reads per person, the missed days capped at MISSED_DAYS and the signals
in SQL, everyone ordered and the page cut by LIMIT/OFFSET, the counts beside it), given the few counts a
take-home bottle can shorten, read first (`_take_home_counts`). tests/careteam/test_caseload_tail_page.py
holds every page to `tail._tail`'s, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, DateField, Exists, F, OuterRef, Q, QuerySet, Value, When

from keel.access import policy
from keel.access.policy import Area
from keel.careteam.queries.ranking import _Entry, _Person
from keel.careteam.queries.reads import _ordered, _places, _planner, _ranking_flags, _read_rows
from keel.careteam.queries.tail import _tail_missed, _tail_reads
from keel.core.names import sort_key
from keel.core.rules.caseload import MISSED_DAYS, SILENT_DAYS, Signals, rank_key
from keel.patients.models import Patient
from keel.treatment.models import TakeHomePlan


def _take_home_counts(
    scope: QuerySet[Patient], days: dict[str, date], today: dict[int, date], size: int
) -> dict[int, int]:
    """The missed days, capped at MISSED_DAYS (`_tail_missed`, `count_missed`), of the people on methadone
    in an episode, not dosed yesterday, with a take-home plan that may cover a day of the look-back: the
    only counts a take-home bottle (JSON, read in Python) can shorten. One statement over the people with a
    plan (the database evaluates the reads only for them), then `count_missed`'s read of their plans."""
    planned = scope.filter(pk__in=TakeHomePlan.objects.values("patient_id"))
    who, reads = _tail_reads(planned, True, False, days)
    rows = [row for row in _read_rows(who.filter(Q(plans=True)), reads, size) if row[0] in today]
    return _tail_missed(rows, _places(reads), today, {})


# The most take-home counts a page statement carries (as ids); past it a page is cut from `_tail`'s read.
_MOST_GIVEN = 20000
# A number the role does not read, in SQL.
_NO_NUMBER = "CAST(NULL AS INTEGER)"


@dataclass(frozen=True)
class _PerPerson:
    """The page statement's expressions over each person's row of its inner statement (`t`), as SQL text,
    and the parameters they take in the order they are written (the take-home counts' ids): the episode,
    the missed days capped at MISSED_DAYS, the days since the last check-in, whether an open flag. A role
    that does not see a signal reads none of it (NULL, or false)."""

    episode: str = _NO_NUMBER
    missed: str = _NO_NUMBER
    silent: str = _NO_NUMBER
    flagged: str = "0 = 1"
    params: tuple[int, ...] = ()


def _tail_page(
    scope: QuerySet[Patient],
    areas: frozenset[Area],
    days: dict[str, date],
    audited: tuple[int, int],
    given: dict[int, int],
    size: int,
    start: int,
    stop: int,
) -> tuple[int, list[_Entry]] | None:
    """A page past the signalled people cut by the database (issue #21): how many of `scope`'s people have a
    signal, and the people at the places of [start, stop) of the whole caseload past them, as `_tail`'s
    entries (None: the statement's people are not the audited ones, `audited` = their number and the sum
    of their ids, or no row came back; the caller reads `_tail` then). One statement: `_tail`'s
    reads per person (`_inner`: `_tail_reads`, the database's own), the missed days capped at MISSED_DAYS
    from them in SQL as `_tail_missed` counts them (`_per_person`; `given`: `_take_home_counts`' counts,
    which a take-home day may have shortened), the silence, whether a signal (an open flag, MISSED_DAYS
    missed, SILENT_DAYS silent); then everyone ordered with the signalled people first and the others in
    the caseload's order (`_order`: `rank_key` past the signals: more missed days, then a longer silence,
    then the name's `sort_key` in code-point order, `Patient.sort_name`, then the id) and the page cut by
    LIMIT/OFFSET, the counts beside it as window sums (`_statement`, `_read`); the page's entries
    (`_entries`). `test_caseload_tail_page.py` holds every page to `_tail`'s (SQLite and PostgreSQL)."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    if len(given) > _MOST_GIVEN:
        return None
    seen = policy.flags_visible(areas)  # lane fix35e: the flags the role sees (H6)
    inner, params = _inner(scope, clinical, recovery, days, seen)
    per_person = _per_person(clinical, recovery, given, flagged=seen is not None)
    params += [*per_person.params, MISSED_DAYS, SILENT_DAYS, stop - start, start]
    rows = _read(_statement(inner, per_person), params, size)
    if not rows or (rows[0][8], int(rows[0][9])) != audited:
        return None
    signalled = int(rows[0][10])
    # the rows before the signalled people's end are theirs, in no particular order (the head orders them)
    return signalled, _entries(rows[max(0, signalled - start) :], areas, clinical)


def _inner(
    scope: QuerySet[Patient], clinical: bool, recovery: bool, days: dict[str, date], seen: Q | None
) -> tuple[str, list[Any]]:
    """The page's inner statement (`t`), as the ORM compiles it, and its parameters: each person's id, sort
    key, today and yesterday (their program zone's) and the reads of `_tail` the page needs (`_tail_reads`),
    an open flag among them. The names and record numbers are read for the page's rows only (a narrow sort
    over everyone)."""
    who, _reads = _tail_reads(scope, clinical, recovery, days)
    zones = sorted(days.items())
    who = who.annotate(
        tail_today=Case(
            *[When(program__time_zone=zone, then=Value(day)) for zone, day in zones],
            output_field=DateField(),
        ),
        tail_yesterday=Case(
            *[When(program__time_zone=zone, then=Value(day - timedelta(days=1))) for zone, day in zones],
            output_field=DateField(),
        ),
    )
    columns = ["pk", "sort_name", "tail_today", "tail_yesterday"]
    if seen is not None:  # the flags the role sees, as `_open_flags`
        who = who.annotate(tail_flagged=Exists(_ranking_flags().filter(seen, patient=OuterRef("pk"))))
        columns.append("tail_flagged")
    if clinical:
        who = who.annotate(tail_first=_first_dose())
        columns += ["on_methadone", "dosed_2", "missed_episode", "tail_first"]
    if recovery:
        columns.append("last_checkin")
    inner, inner_params = who.order_by().values_list(*columns).query.sql_with_params()
    return inner, list(inner_params)


def _first_dose() -> Case:
    """The episode's first observed dose, as the missed days' CASE reads it (`_tail_missed`: only for people
    on methadone in an episode and not dosed yesterday), gated on an order not stopped (`reads._ordered`,
    one index probe) rather than on the order in force, which the page reads once as its own column
    (`on_methadone`; without one the count is NULL, whatever this answers): `_tail_reads`' `first` asks
    the order in force a second time, and at 100,000 people each ask is an anti-join over every order
    (bench/HISTORY.md, issue #21). The same answer for every person on methadone: one with an order in
    force has one not stopped."""
    gate = Q(dosed_1=False, missed_episode__isnull=False) & Q(_ordered(OuterRef("pk")))
    return Case(When(gate, then=F("missed_first")), default=None, output_field=DateField())


def _per_person(clinical: bool, recovery: bool, given: dict[int, int], *, flagged: bool) -> _PerPerson:
    """What the page reads of each person (`_PerPerson`), for what the role sees: the clinical signals (the
    episode, the missed days), the recovery one (the silence), an open flag of a kind it sees (`flagged`)."""
    silent = _silence() if recovery else _NO_NUMBER
    flag = "t.tail_flagged" if flagged else "0 = 1"
    if not clinical:
        return _PerPerson(silent=silent, flagged=flag)
    taken, ids = _take_home_days(given)
    # `_tail_missed`: none yet, or not counted (dosed yesterday, no episode): 0; dosed the day before
    # or first dosed yesterday: 1; else MISSED_DAYS or more
    missed = (
        f"CASE WHEN NOT t.on_methadone THEN NULL{taken} WHEN t.tail_first IS NULL THEN 0 "
        "WHEN t.tail_first >= t.tail_today THEN 0 WHEN t.dosed_2 OR t.tail_first >= t.tail_yesterday THEN 1 "
        f"ELSE {int(MISSED_DAYS)} END"
    )
    return _PerPerson("t.missed_episode", missed, silent, flag, ids)


def _take_home_days(given: dict[int, int]) -> tuple[str, tuple[int, ...]]:
    """The counts a take-home day shortened (`_take_home_counts`) as branches of the missed days' CASE, one
    per count, and their ids, the parameters of those branches in order."""
    taken = ""
    params: list[int] = []
    for count in sorted(set(given.values())):
        ids = [pk for pk, n in given.items() if n == count]
        taken += f" WHEN t.pk IN ({', '.join(['%s'] * len(ids))}) THEN {int(count)}"
        params += ids
    return taken, tuple(params)


def _silence() -> str:
    """The days from the last check-in to today, in the database's date arithmetic."""
    if connection.vendor == "postgresql":
        return "(t.tail_today - t.last_checkin)"
    return "CAST(julianday(t.tail_today) - julianday(t.last_checkin) AS INTEGER)"


def _order(rows: str) -> str:
    """The page's order over `rows` (an alias): the signalled people first, then more missed days, a longer
    silence, the stored `sort_key` in code-point order (`COLLATE "C"`, SQLite's BINARY: Python's own string
    order), the id."""
    code_points = '"C"' if connection.vendor == "postgresql" else "BINARY"
    return (
        f"{rows}.signalled DESC, COALESCE({rows}.missed, 0) DESC, COALESCE({rows}.silent, 0) DESC, "
        f"{rows}.sort_name COLLATE {code_points}, {rows}.id"
    )


def _statement(inner: str, per_person: _PerPerson) -> str:
    """The page's one statement: the inner statement materialized once (`t`), each person's signals (`u`)
    and whether any (`v`: an open flag, MISSED_DAYS missed, SILENT_DAYS silent), everyone ordered and the
    page cut with the counts beside it as window sums (`w`: the people, the sum of their ids, the
    signalled ones), then the page's names and record numbers."""
    p = per_person
    patients = Patient._meta.db_table
    return (
        f"WITH t AS MATERIALIZED ({inner}), "  # noqa: S608 # nosec B608 - the ORM's SQL; values are parameters
        f"u AS (SELECT t.pk AS id, t.sort_name, {p.episode} AS episode, {p.missed} AS missed, "
        f"{p.silent} AS silent, {p.flagged} AS flagged FROM t), "
        "v AS (SELECT u.*, CASE WHEN u.flagged OR u.missed >= %s OR u.silent >= %s THEN 1 ELSE 0 END "
        "AS signalled FROM u), "
        "w AS (SELECT v.id, v.sort_name, v.episode, v.missed, v.silent, v.signalled, COUNT(*) OVER () AS n, "
        f"SUM(v.id) OVER () AS ids, SUM(v.signalled) OVER () AS s FROM v ORDER BY {_order('v')} "
        "LIMIT %s OFFSET %s) "
        "SELECT w.id, p.preferred_name, p.given_name, p.family_name, p.record_number, w.episode, w.missed, "
        f"w.silent, w.n, w.ids, w.s FROM w JOIN {patients} p ON p.id = w.id ORDER BY {_order('w')}"
    )


def _read(sql: str, params: list[Any], size: int) -> list[tuple[Any, ...]]:
    """The page statement's rows (`_planner`: no JIT for a long list)."""
    with _planner(size), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def _entries(rows: list[tuple[Any, ...]], areas: frozenset[Area], clinical: bool) -> list[_Entry]:
    """The page's rows as `_tail`'s entries, in the page's order."""
    numbers = policy.field_visible(areas, "record_number")
    entries: list[_Entry] = []
    for pk, preferred, given, family, number, enrolled, count, quiet, *_sums in rows:
        signals = Signals((), count, quiet)
        name = Patient.name_from(preferred, given, family)
        in_care = enrolled is not None if clinical else None
        shown_as = _Person(pk, name, number if numbers else None, in_care, signals)
        entries.append((rank_key(signals), sort_key(name), pk, shown_as))
    return entries
