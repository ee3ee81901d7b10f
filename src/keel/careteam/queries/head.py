"""The head of a long caseload (issue #21): the people who may have a signal (`_may_have_a_signal`: one
filter, a few more perhaps, never fewer), each with a bound on their place read without counting missed
days (`_bounds`), ranked exactly only as far as the pages read need (`_Head`, in growing batches of
HEAD_BATCH or more). Everyone with a signal comes before everyone without one, so the first pages are the
head's."""

from __future__ import annotations

import bisect
import functools
import heapq
import operator
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, cast

from django.db.models import Case, DateField, Exists, OuterRef, Q, QuerySet, Value, When

from keel.access import policy
from keel.access.policy import Area
from keel.careteam.queries.ranking import _Bound, _Entry, _entry_order, _Person
from keel.careteam.queries.reads import (
    OBSERVED,
    _died,
    _dosed_lately,
    _last_checkin,
    _on_methadone,
    _planner,
    _ranking_flags,
)
from keel.core import episodes
from keel.core.rules.caseload import MISSED_DAYS, NO_SIGNAL, SILENT_DAYS, OpenFlag, Signals, rank_key
from keel.patients.models import Patient
from keel.recovery.models import CheckIn
from keel.treatment.models import MedicationOrder, in_force_q
from keel.treatment.queries.doses import MISS_LOOKBACK, _as_date, newest_dosed_day

# The head is ranked in batches of at least this many people (each batch a statement), growing.
HEAD_BATCH = 64


class _Head:
    """The people who may have a signal (`_may_have_a_signal`), ranked exactly only as far as the pages read
    need (issue #21). Each comes with a bound (`_bounds`): `rank_key` of their signals with their missed days
    at the most they can be, read without counting them, then their name and id. `rank_key` only moves a
    person up as the missed days grow (a lower tier, one reason more, more days: each part of the key smaller
    or equal), so a person's place in the order is at or after their bound's. The people are ranked exactly
    (`_ranked`, the whole list's read and rule) in the bounds' order, in growing batches, until the first
    places asked are settled: every place before the next unranked person's bound."""

    def __init__(
        self,
        bounds: Callable[[], list[_Bound]],
        rank: Callable[[list[int]], list[_Entry]],
        rank_others: Callable[[list[int]], list[_Entry]],
    ) -> None:
        self._read_bounds = bounds  # read when a page first needs the head (not for a page past it)
        self._sorted_bounds: list[_Bound] | None = None
        self._done = 0  # the people ranked: the first `_done` of `_bounds`
        self._ranked: list[_Entry] = []  # in the caseload's order
        self._rank = rank  # these people (ids), ranked
        self._rank_others = rank_others  # the head's people but these (ids), ranked

    @property
    def _bounds(self) -> list[_Bound]:
        if self._sorted_bounds is None:
            self._sorted_bounds = sorted(self._read_bounds())
        return self._sorted_bounds

    def __len__(self) -> int:
        return len(self._bounds)

    def _settled(self) -> int:
        """How many of the first ranked people are in their final places."""
        if self._done == len(self._bounds):
            return len(self._ranked)
        return bisect.bisect_left(self._ranked, self._bounds[self._done], key=_entry_order)

    def first(self, stop: int) -> list[_Person] | None:
        """The caseload's first `stop` people when each has a signal (the others come after them all); None
        when a place among them is someone's without a signal (then everyone is ranked)."""
        if stop > len(self._bounds):
            return None
        while self._settled() < stop and self._done < len(self._bounds):
            size = max(HEAD_BATCH, stop - self._settled(), len(self._ranked))
            batch = [pk for _, _, pk in self._bounds[self._done : self._done + size]]
            self._done += len(batch)
            self._ranked = list(heapq.merge(self._ranked, self._rank(batch), key=_entry_order))
        if stop and cast(int, self._ranked[stop - 1][0][0]) >= NO_SIGNAL:
            return None
        return [entry[3] for entry in self._ranked[:stop]]

    def everyone(self) -> list[_Entry]:
        """Every person of the head, ranked (those not ranked yet in one statement)."""
        if self._done < len(self._bounds):
            rest = self._rank_others([entry[2] for entry in self._ranked])
            self._ranked = list(heapq.merge(self._ranked, rest, key=_entry_order))
            self._done = len(self._bounds)
        return self._ranked


def _may_have_a_signal(areas: frozenset[Area], days: dict[str, date]) -> Q | None:
    """Who may have a signal the ranking counts (`keel.core.rules.caseload`: a tier before "none"), a few
    more perhaps, never fewer (tests/careteam/test_caseload_top.py pins it): an open flag; a
    methadone order in force (`_on_methadone`) and no observed dose with an amount in the MISSED_DAYS days
    before today (a given dose above 0 never amended: `count_missed` counts its day); a check-in, and none
    in the SILENT_DAYS days before today nor after. Each time zone's today; None: the role sees no signal."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    seen = policy.flags_visible(areas)  # lane fix35e: the flags the role sees (H6)
    person = OuterRef("pk")
    signalled: list[Q] = []
    for zone, today in days.items():
        signals: list[Q] = []
        if seen is not None:
            signals.append(Q(Exists(_ranking_flags().filter(seen, patient=person))))  # as `_open_flags`
        if clinical:
            ordered = MedicationOrder.objects.filter(in_force_q(today), patient=person, medication=OBSERVED)
            dosed = _dosed_lately(today - timedelta(days=MISSED_DAYS), today)
            signals.append(Q(Exists(ordered)) & ~Q(pk__in=dosed))
        if recovery:
            checked = CheckIn.objects.filter(patient=person)
            lately = checked.filter(local_date__gt=today - timedelta(days=SILENT_DAYS))
            signals.append(Q(Exists(checked)) & ~Q(Exists(lately)) & ~_died())  # `_last_checkin`'s None
        if signals:
            signalled.append(Q(program__time_zone=zone) & functools.reduce(operator.or_, signals))
    return functools.reduce(operator.or_, signalled) if signalled else None


def _bounds(
    scope: QuerySet[Patient],
    maybe: Q,
    areas: frozenset[Area],
    days: dict[str, date],
    today: dict[int, date],
    flags: dict[int, list[OpenFlag]],
    size: int,
) -> list[_Bound]:
    """The people who may have a signal (`maybe`, among the audited people: `today`, each one's today), each
    as (bound, the `sort_key`, the id): the bound is `rank_key` of their open flags, their silence (both
    exact) and their missed days at the most they can be, without counting them (one statement): none
    without a methadone order in force (the count is None); else the days from the newest day with an amount
    in the look-back (`newest_dosed_day`, the count's own read: the days missed in a row end on it or later)
    to yesterday, MISS_LOOKBACK at most (or with no such day). No episode's first dose or take-home day is
    read: they only shorten a count."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    person = OuterRef("pk")
    reads: dict[str, Any] = {}
    if clinical:
        reads["on_methadone"] = _on_methadone(days)
        reads["newest"] = Case(
            *[
                When(
                    program__time_zone=zone,
                    then=newest_dosed_day(
                        OBSERVED,
                        patient=person,
                        since=Value(day - timedelta(days=MISS_LOOKBACK), output_field=DateField()),
                        before=Value(day, output_field=DateField()),
                    ),
                )
                for zone, day in sorted(days.items())
            ],
            default=Value(None),
            output_field=DateField(),
        )
    if recovery:
        reads["last_checkin"] = _last_checkin(person)
    with _planner(size):
        rows = list(
            scope.filter(maybe)
            .annotate(**reads)
            .order_by()
            .values_list("pk", "preferred_name", "given_name", "family_name", *reads)
        )
    bounds: list[_Bound] = []
    for pk, preferred, given, family, *values in rows:
        if pk not in today:  # not in the audited list (added since it was read)
            continue
        read = dict(zip(reads, values, strict=True))
        most: int | None = None
        if read.get("on_methadone"):
            newest = _as_date(read["newest"])
            most = MISS_LOOKBACK
            if newest is not None:
                most = episodes.missed_days_after(newest, today[pk], MISS_LOOKBACK)
        last = _as_date(read.get("last_checkin"))
        silent = (today[pk] - last).days if last is not None else None
        signals = Signals(tuple(flags.get(pk, ())), most, silent)
        bounds.append((rank_key(signals), Patient.sort_key_from(preferred, given, family), pk))
    return bounds
