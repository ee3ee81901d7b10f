"""The caseload's order, on plain values (issue #21): a person as the ranking holds them (`_Person`), an
entry (`_Entry`: `rank_key`, the name's `sort_key`, the id, the person) and a bound on one (`_Bound`), their
order (`_entry_order`, `_in_order`), and the full ranking of any of the audited people (`_ranked`: one
statement of signals and names, the open flags, `count_missed`), the reference every faster read of the
caseload is held to (tests/careteam/test_caseload_*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import OuterRef, Q, QuerySet

from keel.access import policy
from keel.access.policy import Area
from keel.careteam.queries.reads import OBSERVED, SHOWN, _last_checkin, _on_methadone, _open_flags, _read_rows
from keel.core.names import sort_key
from keel.core.rules.caseload import OpenFlag, Signals, rank_key
from keel.patients.models import Patient
from keel.treatment.queries import MISSED_READS, count_missed, with_missed_day_reads


@dataclass(frozen=True)
class _Person:
    """One person in the ranking pass, as plain values: what the order needs and what a row shows."""

    id: int
    display_name: str
    record_number: str | None
    in_care: bool | None
    signals: Signals


# One ranked person: (`rank_key`, the name's `sort_key`, the id, the person); the order is the first three.
_Entry = tuple[tuple[object, ...], str, int, _Person]
# One person's bound (`_bounds`): (a bound on `rank_key`, the name's `sort_key`, the id).
_Bound = tuple[tuple[object, ...], str, int]


def _entry_order(entry: _Entry) -> _Bound:
    return entry[0], entry[1], entry[2]


def _in_order(entries: list[_Entry]) -> list[_Entry]:
    """`sorted(entries, key=_entry_order)`, faster over many people (issue #21): the rank keys, a few kinds
    among thousands of people, numbered in their order first, so a comparison is of a number, a name and
    an id rather than of two keys."""
    place = {key: n for n, key in enumerate(sorted({entry[0] for entry in entries}))}
    return sorted(entries, key=lambda entry: (place[entry[0]], entry[1], entry[2]))


def _ranked(
    scope: QuerySet[Patient],
    among: Q | None,
    areas: frozenset[Area],
    days: dict[str, date],
    today: dict[int, date],
    flags: dict[int, list[OpenFlag]] | None,
    size: int,
) -> list[_Entry]:
    """The people of `scope` (a queryset of the audited people) in the caseload's order, each as
    (`rank_key`, the name's `sort_key`, the id, the person); only those `among` selects (None: everyone).
    `days`: each program time zone's today; `today`: each person's; `flags`: the open flags of `scope`'s
    people (`_open_flags`; None: read here); `size`: how many people the list holds. Set-based (issue
    #21): one statement reads every signal and the names for all of them, as plain values (no per-person
    prefetch, no dose objects, no Patient objects), the missed days' reads too (`with_missed_day_reads`:
    each person's episode, its first observed dose and the newest day with an amount, counted by
    `count_missed`); then the open flags (unless given), and the take-home plans of those with a day
    missed. The people go in as subqueries (thousands of ids in a list cost more to send and parse than
    the reads themselves)."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    who = scope if among is None else scope.filter(among)
    outer = OuterRef("pk")
    signals: dict[str, Any] = {}
    names: tuple[str, ...] = ()
    if clinical:
        signals["on_methadone"] = _on_methadone(days)
        who = with_missed_day_reads(who, OBSERVED, days)
        names = MISSED_READS
    if recovery:
        signals["last_checkin"] = _last_checkin(outer)
    read = {
        row[0]: row[1:]
        for row in _read_rows(who.annotate(**signals), (*signals, *names), size)
        if row[0] in today  # the audited people only (not one added since the list was read)
    }
    values = {pk: dict(zip((*SHOWN, *signals, *names), row, strict=True)) for pk, row in read.items()}
    missed: dict[int, int] = {}
    seen = policy.flags_visible(areas)  # lane fix35e: the flags the role sees rank for it (H6)
    if flags is None and seen is not None and read:
        flags = _open_flags(scope, read, seen)  # everyone flagged is in `who`
    if clinical and read:
        # The ranking needs only the count, not each dose (`dose_contexts`, the dose path's read).
        missed = count_missed(
            {pk: row[len(SHOWN) + len(signals) :] for pk, row in read.items() if values[pk]["on_methadone"]},
            today,
        )
    numbers = policy.field_visible(areas, "record_number")
    ranked: list[_Entry] = []
    for pk, v in values.items():
        last = v.get("last_checkin")
        silent = (today[pk] - last).days if last is not None else None
        signals_of = Signals(tuple((flags or {}).get(pk, ())), missed.get(pk), silent)
        name = Patient.name_from(v["preferred_name"], v["given_name"], v["family_name"])
        # In care: an active enrollment, the episode the missed days' reads join (one at most).
        in_care = v["missed_episode"] is not None if clinical else None
        person = _Person(pk, name, v["record_number"] if numbers else None, in_care, signals_of)
        ranked.append((rank_key(signals_of), sort_key(name), pk, person))
    ranked.sort(key=_entry_order)
    return ranked
