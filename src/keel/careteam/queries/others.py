"""The caseload's people past the head, read lightly (issue #21): when every row is read (the API, a page
the head and the count disagree on), the audited people the head did not rank are placed from one light
statement (`_others`: no missed days counted, since a dose yesterday means none missed), and only those it
cannot place exactly (an open flag, no dose yesterday) are ranked the full way (`ranking._ranked`)."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta
from typing import Any

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, When

from keel.access import policy
from keel.access.policy import Area
from keel.careteam.queries.ranking import _Entry, _in_order, _Person
from keel.careteam.queries.reads import _dosed_lately, _last_checkin, _on_methadone, _read_rows
from keel.core.names import sort_key
from keel.core.rules.caseload import OpenFlag, Signals, rank_key
from keel.patients.models import Enrollment, EnrollmentStatus, Patient
from keel.treatment.queries.doses import _as_date


def _others(
    scope: QuerySet[Patient],
    areas: frozenset[Area],
    days: dict[str, date],
    today: dict[int, date],
    flags: dict[int, list[OpenFlag]],
    size: int,
    seen: Container[int],
) -> tuple[list[_Entry], list[int]]:
    """The audited people of `scope` not `seen` (the head's, ranked), for a page past the head (issue #21):
    those whose signals one light statement reads exactly, as `_ranked`'s entries (in its order), and the
    ids of the others, for `_ranked` (the caller's). The missed days are not counted: a person with a
    methadone order in force and an observed dose with an amount yesterday (`_dosed_lately`) has missed none
    (`count_missed`: the count ends on that day or later); one with an open flag or without such a dose is
    left to `_ranked`. The silence and the rest of a row are read as `_ranked` reads them."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    person = OuterRef("pk")
    reads: dict[str, Any] = {}
    if clinical:
        reads["on_methadone"] = _on_methadone(days)
        # One read of yesterday's doses (an index of the given days), not a read per person.
        reads["dosed_yesterday"] = Case(
            *[
                When(
                    Q(program__time_zone=zone) & Q(pk__in=_dosed_lately(day - timedelta(days=1), day)),
                    then=True,
                )
                for zone, day in sorted(days.items())
            ],
            default=False,
            output_field=BooleanField(),
        )
        # In care: an active enrollment (`_ranked` reads it as the episode its missed days' reads join).
        reads["in_care"] = Exists(Enrollment.objects.filter(patient=person, status=EnrollmentStatus.ACTIVE))
    if recovery:
        reads["last_checkin"] = _last_checkin(person)
    rows = _read_rows(scope.annotate(**reads), reads, size)
    numbers = policy.field_visible(areas, "record_number")
    at = {name: 5 + n for n, name in enumerate(reads)}  # each read's place in a row
    entries: list[_Entry] = []
    unsure: list[int] = []
    kinds: dict[tuple[bool, int | None], tuple[Signals, tuple[object, ...]]] = {}  # a few among thousands
    for row in rows:
        pk = row[0]
        if pk in seen or pk not in today:  # ranked already, or not in the audited list
            continue
        on_methadone = clinical and bool(row[at["on_methadone"]])
        if pk in flags or (on_methadone and not row[at["dosed_yesterday"]]):
            unsure.append(pk)
            continue
        last = _as_date(row[at["last_checkin"]]) if recovery else None
        silent = (today[pk] - last).days if last is not None else None
        if (kind := kinds.get((on_methadone, silent))) is None:
            signals = Signals((), 0 if on_methadone else None, silent)
            kind = kinds[on_methadone, silent] = (signals, rank_key(signals))
        name = Patient.name_from(row[1], row[2], row[3])
        in_care = bool(row[at["in_care"]]) if clinical else None
        shown_as = _Person(pk, name, row[4] if numbers else None, in_care, kind[0])
        entries.append((kind[1], sort_key(name), pk, shown_as))
    return _in_order(entries), unsure
