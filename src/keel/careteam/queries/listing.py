"""The caseload a reader gets (journey 6, issue #21): `caseload`, the caller's patients most urgent first
with one audit row, and `Caseload`, the sequence it answers, which reads only what the pages read need:
the first pages from the head (`head._Head`), a page past the signalled people from the database
(`tail_page._tail_page`) or from the light read (`tail._tail`), every row (the API) from the head and
the others (`others._others`); a row (`CaseloadRow`) is made, its reasons said in the reader's language,
only when it is read."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import TypedDict, cast, overload

from django.db.models import Q, QuerySet
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.careteam.queries.head import _bounds, _Head, _may_have_a_signal
from keel.careteam.queries.others import _others
from keel.careteam.queries.ranking import _Bound, _Entry, _in_order, _Person, _ranked
from keel.careteam.queries.reads import _is_long, _open_flags
from keel.careteam.queries.statuses import _status_filter
from keel.careteam.queries.tail import _tail
from keel.careteam.queries.tail_page import _tail_page, _take_home_counts
from keel.core.decision import Reason
from keel.core.rules.caseload import NO_SIGNAL, OpenFlag, rank
from keel.patients.flagwords import said_text
from keel.patients.models import Patient, day_in
from keel.treatment.queries import in_chunks

# Above this many people a page past the signalled people is cut by the database (`_tail_page`, a statement
# a page); at or below, the others are ordered once from one light read and every page cut from it (`_tail`:
# cheaper for a short list, bench/HISTORY.md); a cost choice, the order is the same either way.
TAIL_IN_SQL_ABOVE = 5000


def _said(reason: Reason) -> str:
    return said_text({"template": reason.template, "params": dict(reason.params)}, reason.text)


class CaseloadReason(TypedDict):
    """One reason for a row's place: its English text, as stored decisions carry it, and its source ids."""

    text: str
    sources: list[str]


@dataclass(frozen=True)
class CaseloadRow:
    id: int
    display_name: str
    record_number: str | None
    in_care: bool | None
    tier: str
    reasons: tuple[CaseloadReason, ...]
    missed_dose_days: int | None
    days_since_checkin: int | None
    words: tuple[str, ...] = ()  # the reasons in the reader's language (the page)


class Caseload(Sequence[CaseloadRow]):
    """The caseload in order; a row (its reasons said in the reader's language) is made only when it is read,
    so a page makes fifty (issue #21). Sliced as a list is (the page's paginator).

    Top-k (issue #21): every person with a signal (`rank_key`'s tier above "none") comes before everyone
    without one. A read inside them (the first pages) ranks only the people who may have a signal, and of
    them only as many as the pages read need (`_Head`); a page past them is cut by the database, which also
    counts the signalled people (`_tail_page`: one statement however deep the page; `_tail`, the others
    ordered in Python from one light statement, when the people changed between the statements); reading
    every row (the API) ranks everyone once (`everyone`, the same rule over the same audited people)."""

    def __init__(
        self,
        count: int,
        head: _Head | None,
        everyone: Callable[[], list[_Person]],
        ranked: bool = False,
        tail: Callable[[], tuple[int, list[_Entry]]] | None = None,
        page: Callable[[int, int], tuple[int, list[_Entry]] | None] | None = None,
    ) -> None:
        self._count = count
        self._head = head
        self._everyone = everyone
        self._people: list[_Person] | None = everyone() if ranked else None
        self._tail_read = tail  # (how many have a signal, everyone else in order): `_tail`
        self._tail: tuple[int, list[_Entry]] | None = None
        self._page_read = page  # (how many have a signal, the places asked): `_tail_page`
        self._pages: dict[tuple[int, int], tuple[int, list[_Entry]] | None] = {}
        self._signalled: int | None = None

    def _between(self, start: int, stop: int) -> list[_Person]:
        """The people at places [start, stop) (0 <= start < stop <= len). The first page: the head, ranked
        as far as it needs. Any other (issue #21): a page past the signalled people is cut by the database
        (`_tail_page`, one statement, which also counts the signalled people; a list of TAIL_IN_SQL_ABOVE
        people or fewer is given none and reads `_tail`); a page inside them is the
        head's (ranked as far as the page), followed by the first of the others when it reaches past them.
        When the database's people are not the audited ones (a person added or moved between the
        statements), how many people have a signal and everyone else in order are read in one light
        statement instead (`_tail`). Everyone is ranked only when the head and the count disagree (a flag
        raised between the statements)."""
        if self._people is None and self._head is not None and self._tail_read is not None:
            if start == 0 and self._tail is None and self._signalled is None:
                first = self._head.first(stop)
                if first is not None:
                    return first[start:stop]
            if self._tail is None and self._page_read is not None:
                cut = self._cut(start, stop)
                if cut is not None:
                    return cut
            if self._tail is None:
                self._tail = self._tail_read()
            signalled, tail = self._tail
            if start >= signalled:
                return [entry[3] for entry in tail[start - signalled : stop - signalled]]
            first = self._head.first(min(stop, signalled))
            if first is not None and len(first) == min(stop, signalled):
                return first[start:] + [entry[3] for entry in tail[: max(0, stop - signalled)]]
        return self._upto(stop)[start:stop]

    def _page(self, start: int, stop: int) -> tuple[int, list[_Entry]] | None:
        """`_tail_page` for these places, read once."""
        assert self._page_read is not None
        if (start, stop) not in self._pages:
            self._pages[start, stop] = self._page_read(start, stop)
        return self._pages[start, stop]

    def _cut(self, start: int, stop: int) -> list[_Person] | None:
        """The places [start, stop) from the database's pages (`_tail_page`) and the head; None: read
        `_tail` (the database's people are not the audited ones, or the head and the count disagree)."""
        assert self._head is not None
        signalled = self._signalled
        rest: list[_Entry] = []  # the places from the signalled people's end on
        if signalled is None or stop > signalled:
            got = self._page(start, stop)
            if got is None or (signalled is not None and got[0] != signalled):
                return None
            signalled, rest = got
            self._signalled = signalled
        if start >= signalled:
            return [entry[3] for entry in rest]
        first = self._head.first(min(stop, signalled))
        if first is None or len(first) != min(stop, signalled):
            return None
        return first[start:] + [entry[3] for entry in rest]

    def _upto(self, stop: int) -> list[_Person]:
        """People enough for the first `stop` places of the order."""
        if self._people is None and self._head is not None:
            first = self._head.first(stop)
            if first is not None:
                return first
        if self._people is None:
            self._people = self._everyone()
        return self._people

    def signalled(self) -> list[int]:
        """The ids of everyone with a signal, in order (the head ranked whole; the tests' view of it)."""
        if self._head is not None:
            entries = self._head.everyone()
            return [e[2] for e in entries if cast(int, e[0][0]) < NO_SIGNAL]
        return [p.id for p in self._upto(self._count) if rank(p.signals).tier < NO_SIGNAL]

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[CaseloadRow]:
        return (_row(p) for p in self._upto(self._count))

    @overload
    def __getitem__(self, index: int) -> CaseloadRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[CaseloadRow]: ...

    def __getitem__(self, index: int | slice) -> CaseloadRow | list[CaseloadRow]:
        if isinstance(index, slice):
            places = range(*index.indices(self._count))
            if not places:
                return []
            if places.step == 1:
                return [_row(p) for p in self._between(places.start, places.stop)]
            people = self._upto(max(places) + 1)
            return [_row(people[i]) for i in places]
        place = operator.index(index)
        place = place + self._count if place < 0 else place
        if not 0 <= place < self._count:
            raise IndexError("caseload index out of range")
        return _row(self._between(place, place + 1)[0])


def _row(p: _Person) -> CaseloadRow:
    r = rank(p.signals)
    return CaseloadRow(
        id=p.id,
        display_name=p.display_name,
        record_number=p.record_number,
        in_care=p.in_care,
        tier=r.tier_code,
        reasons=tuple(CaseloadReason(text=x.text, sources=list(x.sources)) for x in r.reasons),
        missed_dose_days=p.signals.missed_dose_days,
        days_since_checkin=p.signals.days_since_checkin,
        words=tuple(_said(x) for x in r.reasons),
    )


def caseload(user: User, *, now: datetime | None = None, status: str | None = None) -> Caseload:
    """The caller's patients, most urgent first, each with the reasons for its place; one audit row.
    `status` (CASELOAD_STATUSES; None: `default_status`) narrows the list before it is read and audited; a
    value not in the list, or current/discharged asked by a role without the clinical area, is a named
    field error. The people who may have a signal are ranked as far as a page needs (`_Head`: `rank_key`,
    plain values), everyone only when a page past them is read (`Caseload`); a row's reasons are said when
    it is read. In steps: the people read and audited (`_audited`); then a short list, or a role that sees
    no signal, everyone ranked at once (`_at_once`: a head read first would cost more statements than it
    saves); otherwise the head first (issue #21: only the people who may have a signal, a few of everyone,
    ranked by the same reads and rule as everyone), the others only for a page past them (`_Reads`)."""
    people = _audited(user, status, now or timezone.now())
    maybe = _may_have_a_signal(people.areas, people.days)
    if maybe is None or not _is_long(people.size):
        return Caseload(people.size, None, partial(_at_once, people), ranked=True)
    seen = policy.flags_visible(people.areas)  # lane fix35e: the flags the role sees rank for it (H6)
    flags = _open_flags(policy.patients_visible_to(user), people.today, seen) if seen is not None else {}
    reads = _Reads(people, maybe, flags)
    page = reads.page if people.size > TAIL_IN_SQL_ABOVE else None
    return Caseload(people.size, reads.head, reads.the_others_too, tail=reads.tail, page=page)


@dataclass(frozen=True)
class _Audited:
    """The people of one caseload, as its audit row names them (`_audited`), and what ranking them reads."""

    areas: frozenset[Area]  # the parts of a record the caller's role sees
    scope: QuerySet[Patient]  # the caller's patients, of the status asked
    days: dict[str, date]  # each time zone's today
    today: dict[int, date]  # each person's today, by id: the people the audit row names
    size: int  # how many people were read

    @property
    def clinical(self) -> bool:
        return Area.CLINICAL in self.areas


def _audited(user: User, status: str | None, now: datetime) -> _Audited:
    """The caller's people of `status` (`_status_filter`: a named field error before anything is read), read
    and audited in one row: everyone's id (the audit row names them) and time zone; the names are read only
    of the people ranked."""
    where = _status_filter(user, status)
    areas = policy.areas_of(user)
    people = policy.list_patient_values_audited(user, "program__time_zone", where=where)
    scope = policy.patients_visible_to(user)
    if where is not None:
        scope = scope.filter(where)
    days = {zone: day_in(zone, now) for zone in {p[1] for p in people}}
    return _Audited(areas, scope, days, {pk: days[zone] for pk, zone in people}, len(people))


def _at_once(people: _Audited) -> list[_Person]:
    """Everyone ranked in one read (`_ranked`)."""
    entries = _ranked(people.scope, None, people.areas, people.days, people.today, None, people.size)
    return [entry[3] for entry in entries]


class _Reads:
    """What a long caseload reads when a page needs it (the callables `Caseload` is given): the head
    (`_Head`, ranking the people who may have a signal, `maybe`, in batches: `some`, `all_but`), everyone in
    one order (`the_others_too`), the others in one light statement (`tail`) or a page of them from the
    database (`page`). The list is the people the audit row names, each once, whatever changes between the
    statements that read it (review 21: a flag raised or resolved meanwhile moved a person in or out of
    `maybe`)."""

    def __init__(self, people: _Audited, maybe: Q, flags: dict[int, list[OpenFlag]]) -> None:
        self.people = people
        self.maybe = maybe
        self.flags = flags
        self.audited = set(people.today)
        self.head = _Head(self._read_bounds, self.some, self.all_but)
        self._given: list[dict[int, int]] = []  # the take-home counts, read for the first page past the head

    def _read_bounds(self) -> list[_Bound]:
        p = self.people
        return _bounds(p.scope, self.maybe, p.areas, p.days, p.today, self.flags, p.size)

    def ranked(self, among: Q) -> list[_Entry]:
        p = self.people
        entries = _ranked(p.scope, among, p.areas, p.days, p.today, self.flags, p.size)
        return [e for e in entries if e[2] in self.audited]

    def some(self, ids: list[int]) -> list[_Entry]:
        return self.ranked(Q(pk__in=ids))

    def all_but(self, ids: list[int]) -> list[_Entry]:
        return self.ranked(self.maybe & ~Q(pk__in=ids) if ids else self.maybe)

    def the_others_too(self) -> list[_Person]:
        """The head's people and the others, in one order: everyone audited, once. The others are read
        lightly (`_others`: their place and row without counting missed days); those it cannot place
        exactly are ranked as the head is."""
        p = self.people
        first = self.head.everyone()
        seen = {e[2] for e in first}
        rest, unsure = _others(p.scope, p.areas, p.days, p.today, self.flags, p.size, seen)
        seen.update(e[2] for e in rest)
        unsure += sorted(self.audited - seen - set(unsure))  # who is not in the list any more
        more = [e for chunk in in_chunks(unsure) for e in self.some(chunk)]
        return [entry[3] for entry in _in_order([*first, *rest, *more])]

    def tail(self) -> tuple[int, list[_Entry]]:
        p = self.people
        return _tail(p.scope, p.areas, p.days, p.today, self.flags, p.size)

    def page(self, start: int, stop: int) -> tuple[int, list[_Entry]] | None:
        p = self.people
        if not self._given:
            self._given.append(_take_home_counts(p.scope, p.days, p.today, p.size) if p.clinical else {})
        counted = (len(self.audited), sum(self.audited))
        return _tail_page(p.scope, p.areas, p.days, counted, self._given[0], p.size, start, stop)
