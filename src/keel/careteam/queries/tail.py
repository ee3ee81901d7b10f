"""A page past the caseload's signalled people, ordered in Python (issue #21): how many of the audited
people have a signal, and everyone else in the caseload's order, from one light statement over everyone
(`_tail`: the missed days counted only up to MISSED_DAYS, `_tail_reads`, `_tail_missed`, `_tail_entries`).
The reference the database's page (`tail_page._tail_page`) is held to, and the read a list of
TAIL_IN_SQL_ABOVE people or fewer pages from, or any list whose people changed between the statements."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django.db.models import BooleanField, Case, DateField, F, OuterRef, Q, QuerySet, When

from keel.access import policy
from keel.access.policy import Area
from keel.careteam.queries.ranking import _Entry, _in_order, _Person
from keel.careteam.queries.reads import (
    OBSERVED,
    _last_checkin,
    _on_methadone,
    _on_the_day_before,
    _places,
    _read_rows,
)
from keel.core.names import sort_key
from keel.core.rules.caseload import MISSED_DAYS, NO_SIGNAL, OpenFlag, Signals, rank_key
from keel.patients.models import Patient
from keel.treatment.queries import count_missed, with_missed_day_reads
from keel.treatment.queries.doses import _as_date

# Missed days past this many do not move a person without a signal, nor into or out of the signalled ones.
_CAPPED = MISSED_DAYS


def _tail(
    scope: QuerySet[Patient],
    areas: frozenset[Area],
    days: dict[str, date],
    today: dict[int, date],
    flags: dict[int, list[OpenFlag]],
    size: int,
) -> tuple[int, list[_Entry]]:
    """For a page past the people with a signal when the database cannot cut it (`_tail_page`: the people
    changed between the statements; the spec its tests hold it to) (issue #21): how many of the audited
    people of `scope` have a signal, and everyone else as `_ranked`'s entries in the caseload's order, from
    one light statement over everyone and no full ranking. Past the signalled people the order needs each
    person's missed days only up to MISSED_DAYS (2): more is a signal (tier "soon"), fewer keeps the tier
    "none" and is ordered by the count (0 or 1), the silence, the name. So each count is `count_missed`'s over
    reads that keep every day from the day before yesterday on and move the rest to it: the newest day with an
    amount is yesterday, the day before, or earlier (two hashed reads of those days' doses, `_dosed_on`, not
    the look-back per person); the episode's first dose (`episode_first_dose`) and whether a take-home plan
    may cover a day are read only for people in an episode not dosed yesterday (a CASE the database skips for
    the others), the first dose moved up to the day before yesterday. The count is then the full count when
    below 2, and 2 when 2 or more (`test_caseload_tail.py` holds it to `_ranked`). A person with an open flag
    has a signal whatever their count."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    rows, at = _tail_rows(scope, clinical, recovery, days, today, size)
    missed = _tail_missed(rows, at, today, flags) if clinical else {}
    return _tail_entries(rows, at, areas, today, flags, missed, clinical=clinical, recovery=recovery)


def _tail_rows(
    scope: QuerySet[Patient],
    clinical: bool,
    recovery: bool,
    days: dict[str, date],
    today: dict[int, date],
    size: int,
) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """`_tail`'s one light statement: each audited person's name parts and the reads the order needs, and
    each read's place in a row."""
    who, reads = _tail_reads(scope, clinical, recovery, days)
    # the audited people only (not one added since the list was read)
    rows = [row for row in _read_rows(who, reads, size) if row[0] in today]
    return rows, _places(reads)


def _tail_reads(
    scope: QuerySet[Patient], clinical: bool, recovery: bool, days: dict[str, date]
) -> tuple[QuerySet[Patient], list[str]]:
    """`scope` annotated with what a page past the signalled people is ordered by (`_tail`, `_tail_page`),
    and the names of those reads: on methadone, dosed yesterday and the day before, the episode, its start,
    its first dose and whether a take-home plan may cover a day (the last two only for people on methadone
    in an episode and not dosed yesterday: a CASE the database skips for the others), the last check-in."""
    person = OuterRef("pk")
    who = scope
    reads: list[str] = []
    if clinical:
        who = with_missed_day_reads(who, OBSERVED, days).annotate(
            on_methadone=_on_methadone(days),
            dosed_1=_on_the_day_before(days, 1),
            dosed_2=_on_the_day_before(days, 2),
        )
        counted = Q(dosed_1=False, missed_episode__isnull=False, on_methadone=True)
        who = who.annotate(
            first=Case(When(counted, then=F("missed_first")), default=None, output_field=DateField()),
            plans=Case(When(counted, then=F("missed_plans")), default=False, output_field=BooleanField()),
        )
        reads = ["on_methadone", "dosed_1", "dosed_2", "missed_episode", "missed_started", "first", "plans"]
    if recovery:
        who = who.annotate(last_checkin=_last_checkin(person))
        reads.append("last_checkin")
    return who, reads


def _tail_missed(
    rows: list[tuple[Any, ...]], at: dict[str, int], today: dict[int, date], flags: dict[int, list[OpenFlag]]
) -> dict[int, int]:
    """`_tail`'s missed days of the people on methadone without an open flag, each capped at MISSED_DAYS."""
    missed: dict[int, int] = {}
    capped: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        pk = row[0]
        if pk in flags or not row[at["on_methadone"]]:
            continue
        day = today[pk]
        newest = None
        if row[at["dosed_1"]]:
            newest = day - timedelta(days=1)
        elif row[at["dosed_2"]]:
            newest = day - timedelta(days=2)
        first = _as_date(row[at["first"]])
        if first is None:  # not read (dosed yesterday, no episode) or none yet: `count_missed`'s 0
            missed[pk] = 0
            continue
        first = max(first, day - timedelta(days=_CAPPED))
        capped[pk] = (
            row[at["missed_episode"]],
            row[at["missed_started"]],
            first,
            newest,
            bool(row[at["plans"]]),
        )
    missed.update(count_missed(capped, today))
    return missed


def _tail_entries(
    rows: list[tuple[Any, ...]],
    at: dict[str, int],
    areas: frozenset[Area],
    today: dict[int, date],
    flags: dict[int, list[OpenFlag]],
    missed: dict[int, int],
    *,
    clinical: bool,
    recovery: bool,
) -> tuple[int, list[_Entry]]:
    """`_tail`'s count of the people with a signal, and everyone else's entry in the caseload's order."""
    numbers = policy.field_visible(areas, "record_number")
    signalled = 0
    entries: list[_Entry] = []
    kinds: dict[tuple[int | None, int | None], tuple[object, ...]] = {}  # a few among thousands
    for row in rows:
        pk = row[0]
        if pk in flags:  # the flags the role sees (`policy.flags_visible`)
            signalled += 1
            continue
        last = _as_date(row[at["last_checkin"]]) if recovery else None
        silent = (today[pk] - last).days if last is not None else None
        count = missed.get(pk)
        signals = Signals((), count, silent)
        if (key := kinds.get((count, silent))) is None:
            key = kinds[count, silent] = rank_key(signals)
        if cast(int, key[0]) < NO_SIGNAL:
            signalled += 1
            continue
        name = Patient.name_from(row[1], row[2], row[3])
        in_care = row[at["missed_episode"]] is not None if clinical else None
        shown_as = _Person(pk, name, row[4] if numbers else None, in_care, signals)
        entries.append((key, sort_key(name), pk, shown_as))
    return signalled, _in_order(entries)
