"""The care team's morning (journey 6): the caseload in risk order and one patient's timeline. Reads only,
through the access policy, each one audited once; what a role may see decides which signals and events
appear (a peer specialist sees check-ins, never clinical flags or doses)."""

from __future__ import annotations

import bisect
import contextlib
import functools
import heapq
import operator
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast, overload

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User

# The timeline lives in keel.careteam.timeline; the app's reads stay importable from here.
from keel.careteam.timeline import EVENT_KINDS as EVENT_KINDS
from keel.careteam.timeline import TIMELINE_DAYS as TIMELINE_DAYS
from keel.careteam.timeline import Event as Event
from keel.careteam.timeline import Timeline as Timeline
from keel.careteam.timeline import timeline as timeline
from keel.core import episodes
from keel.core.decision import Reason
from keel.core.rules.caseload import MISSED_DAYS, NO_SIGNAL, SILENT_DAYS, OpenFlag, Signals, rank, rank_key
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.db.planner import without_jit
from keel.patients.flagwords import said_text
from keel.patients.models import (
    Enrollment,
    EnrollmentStatus,
    Patient,
    PatientFlag,
    day_in,
)
from keel.recovery.models import CheckIn
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    DoseStatus,
    MedicationOrder,
    TakeHomePlan,
    in_force_q,
)
from keel.treatment.queries import MISSED_READS, count_missed, in_chunks, with_missed_day_reads
from keel.treatment.queries.doses import MISS_LOOKBACK, _as_date, newest_dosed_day


def _said(reason: Reason) -> str:
    return said_text({"template": reason.template, "params": dict(reason.params)}, reason.text)


@dataclass(frozen=True)
class CaseloadRow:
    id: int
    display_name: str
    record_number: str | None
    in_care: bool | None
    tier: str
    reasons: tuple[dict[str, Any], ...]
    missed_dose_days: int | None
    days_since_checkin: int | None
    words: tuple[str, ...] = ()  # the reasons in the reader's language (the page)


# The medication dosed at the window every day, whose missed days the caseload counts.
OBSERVED = "methadone"

# Above this many people the caseload ranks the people who may have a signal first (`Caseload`, issue #21);
# a display and cost choice, not a clinical one (the order is the same either way).
HEAD_ABOVE = 250
# Above this many people a page past the signalled people is cut by the database (`_tail_page`, a statement
# a page); at or below, the others are ordered once from one light read and every page cut from it (`_tail`:
# cheaper for a short list, bench/README.md); a cost choice, the order is the same either way.
TAIL_IN_SQL_ABOVE = 5000
# A listed person's name parts and record number, read with the signals (`_read_rows`).
SHOWN = ("preferred_name", "given_name", "family_name", "record_number")

# Which patients the caseload lists (issue #18): in care now, discharged (no active episode), or everyone.
CASELOAD_STATUSES = ("current", "discharged", "all")


def default_status(user: User) -> str:
    """The caseload's status when none is asked: `current` for roles that see episodes of care (the clinical
    area); `all` for the others, who never see whether someone is in care."""
    return "current" if Area.CLINICAL in policy.areas_of(user) else "all"


def _status_filter(user: User, status: str | None) -> Q | None:
    status = status or default_status(user)
    if status not in CASELOAD_STATUSES:
        raise FieldsInvalid([FieldError("status", _("choose current, discharged or all"))])
    if status == "all":
        return None
    if Area.CLINICAL not in policy.areas_of(user):
        raise FieldsInvalid([FieldError("status", _("your role does not see who is in care; choose all"))])
    in_care = Exists(Enrollment.objects.filter(patient=OuterRef("pk"), status=EnrollmentStatus.ACTIVE))
    if status == "current":
        return Q(in_care)
    ever = Exists(Enrollment.objects.filter(patient=OuterRef("pk")))
    return Q(ever) & ~Q(in_care)


@dataclass(frozen=True)
class _Person:
    """One person in the ranking pass, as plain values: what the order needs and what a row shows."""

    id: int
    display_name: str
    record_number: str | None
    in_care: bool | None
    signals: Signals


# One ranked person: (`rank_key`, the name casefolded, the id, the person); the order is the first three.
_Entry = tuple[tuple[object, ...], str, int, _Person]
# One person's bound (`_bounds`): (a bound on `rank_key`, the name casefolded, the id).
_Bound = tuple[tuple[object, ...], str, int]

# The head is ranked in batches of at least this many people (each batch a statement), growing.
HEAD_BATCH = 64


def _entry_order(entry: _Entry) -> _Bound:
    return entry[0], entry[1], entry[2]


def _in_order(entries: list[_Entry]) -> list[_Entry]:
    """`sorted(entries, key=_entry_order)`, faster over many people (issue #21): the rank keys, a few kinds
    among thousands of people, numbered in their order first, so a comparison is of a number, a name and
    an id rather than of two keys."""
    place = {key: n for n, key in enumerate(sorted({entry[0] for entry in entries}))}
    return sorted(entries, key=lambda entry: (place[entry[0]], entry[1], entry[2]))


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
        reasons=tuple({"text": x.text, "sources": list(x.sources)} for x in r.reasons),
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
    it is read."""
    where = _status_filter(user, status)
    areas = policy.areas_of(user)
    # Everyone's id (the audit row names them) and time zone; the names only of the people ranked.
    people = policy.list_patient_values_audited(user, "program__time_zone", where=where)
    scope = policy.patients_visible_to(user)
    if where is not None:
        scope = scope.filter(where)
    now = now or timezone.now()
    days = {zone: day_in(zone, now) for zone in {p[1] for p in people}}
    today = {pk: days[zone] for pk, zone in people}
    # The head first (issue #21): only the people who may have a signal (a few of everyone), ranked by the
    # same reads and rule as everyone; the others only for a page past them. A short list, or a role
    # that sees no signal: everyone at once (a head read first would cost more statements than it saves).
    maybe = _may_have_a_signal(areas, days)
    if maybe is None or len(people) <= HEAD_ABOVE:

        def at_once() -> list[_Person]:
            return [entry[3] for entry in _ranked(scope, None, areas, days, today, None, len(people))]

        return Caseload(len(people), None, at_once, ranked=True)
    flags = _open_flags(policy.patients_visible_to(user), today) if Area.CLINICAL in areas else {}

    # The list is the people the audit row names, each once, whatever changes between the statements
    # that read it (review 21: a flag raised or resolved meanwhile moved a person in or out of `maybe`).
    audited = {pk for pk, _zone in people}

    def ranked(among: Q) -> list[_Entry]:
        return [e for e in _ranked(scope, among, areas, days, today, flags, len(people)) if e[2] in audited]

    def some(ids: list[int]) -> list[_Entry]:
        return ranked(Q(pk__in=ids))

    def all_but(ids: list[int]) -> list[_Entry]:
        return ranked(maybe & ~Q(pk__in=ids) if ids else maybe)

    head = _Head(lambda: _bounds(scope, maybe, areas, days, today, flags, len(people)), some, all_but)

    def the_others_too() -> list[_Person]:
        """The head's people and the others, in one order: everyone audited, once. The others are read
        lightly (`_others`: their place and row without counting missed days); those it cannot place
        exactly are ranked as the head is."""
        first = head.everyone()
        seen = {e[2] for e in first}
        rest, unsure = _others(scope, areas, days, today, flags, len(people), seen)
        seen.update(e[2] for e in rest)
        unsure += sorted(audited - seen - set(unsure))  # who is not in the list any more
        more = [e for chunk in in_chunks(unsure) for e in some(chunk)]
        return [entry[3] for entry in _in_order([*first, *rest, *more])]

    def tail() -> tuple[int, list[_Entry]]:
        return _tail(scope, areas, days, today, flags, len(people))

    counted = (len(audited), sum(audited))
    given: list[dict[int, int]] = []  # the take-home counts, read for the first page past the head

    def page(start: int, stop: int) -> tuple[int, list[_Entry]] | None:
        if not given:
            clinical = Area.CLINICAL in areas
            given.append(_take_home_counts(scope, days, today, len(people)) if clinical else {})
        return _tail_page(scope, areas, days, counted, given[0], len(people), start, stop)

    return Caseload(
        len(people), head, the_others_too, tail=tail, page=page if len(people) > TAIL_IN_SQL_ABOVE else None
    )


def _dosed_lately(since: date, before: date) -> Any:
    """The ids of the people with an observed dose with an amount on a day in [since, before) (a given dose
    above 0 never amended: `count_missed` counts its day), as a subquery: one read of the given days' index
    for everyone, not a read per person (issue #21)."""
    return DoseRecord.objects.filter(
        ~Exists(DoseAmendment.objects.filter(dose=OuterRef("pk"))),
        medication=OBSERVED,
        status=DoseStatus.GIVEN,
        amount_mg__gt=0,
        local_date__gte=since,
        local_date__lt=before,
    ).values("patient_id")


def _may_have_a_signal(areas: frozenset[Area], days: dict[str, date]) -> Q | None:
    """Who may have a signal the ranking counts (`keel.core.rules.caseload`: a tier before "none"), a few
    more perhaps, never fewer (tests/careteam/test_caseload_top.py pins it): an open flag; a
    methadone order in force (`_on_methadone`) and no observed dose with an amount in the MISSED_DAYS days
    before today (a given dose above 0 never amended: `count_missed` counts its day); a check-in, and none
    in the SILENT_DAYS days before today nor after. Each time zone's today; None: the role sees no signal."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    person = OuterRef("pk")
    signalled: list[Q] = []
    for zone, today in days.items():
        signals: list[Q] = []
        if clinical:
            flagged = PatientFlag.objects.filter(patient=person, resolved_at__isnull=True)
            ordered = MedicationOrder.objects.filter(in_force_q(today), patient=person, medication=OBSERVED)
            dosed = _dosed_lately(today - timedelta(days=MISSED_DAYS), today)
            signals += [Q(Exists(flagged)), Q(Exists(ordered)) & ~Q(pk__in=dosed)]
        if recovery:
            checked = CheckIn.objects.filter(patient=person)
            lately = checked.filter(local_date__gt=today - timedelta(days=SILENT_DAYS))
            signals.append(Q(Exists(checked)) & ~Q(Exists(lately)))
        if signals:
            signalled.append(Q(program__time_zone=zone) & functools.reduce(operator.or_, signals))
    return functools.reduce(operator.or_, signalled) if signalled else None


def _open_flags(scope: QuerySet[Patient], among: Container[int]) -> dict[int, list[OpenFlag]]:
    """The open flags of the people of `scope` (a queryset) who are `among` these ids, each person's in the
    model's order. `scope` may hold more people (the status is not asked of everyone again, issue #21)."""
    kinds = dict(PatientFlag._meta.get_field("kind").flatchoices)
    labels: dict[str, str] = {}
    flags: dict[int, list[OpenFlag]] = {}
    for pk, kind, priority, raised_at in PatientFlag.objects.filter(  # the model's order, as before
        patient_id__in=scope.values("pk"), resolved_at__isnull=True
    ).values_list("patient_id", "kind", "priority", "raised_at"):
        if pk not in among:
            continue
        if kind not in labels:
            labels[kind] = str(kinds.get(kind, kind))  # get_kind_display
        flags.setdefault(pk, []).append(OpenFlag(kind, labels[kind], priority, raised_at))
    return flags


def _on_methadone(days: dict[str, date]) -> Case:
    """An order of observed methadone in force on the person's today (their program zone's day, `days`):
    whose missed days count (`count_missed`). In force is `keel.treatment.models.in_force_q`, Keel's one
    definition: an order written to start later (`deferred`) is not in force before its start day, and the
    order it supersedes stays in force until then."""
    person = OuterRef("pk")
    return Case(
        *[
            When(
                Q(program__time_zone=zone)
                & Q(
                    Exists(
                        MedicationOrder.objects.filter(in_force_q(day), patient=person, medication=OBSERVED)
                    )
                ),
                then=True,
            )
            for zone, day in sorted(days.items())
        ],
        default=False,
        output_field=BooleanField(),
    )


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
    as (bound, the name casefolded, the id): the bound is `rank_key` of their open flags, their silence (both
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
    with without_jit() if size > HEAD_ABOVE else contextlib.nullcontext():
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
        bounds.append((rank_key(signals), Patient.name_from(preferred, given, family).casefold(), pk))
    return bounds


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
        if clinical and (pk in flags or (on_methadone and not row[at["dosed_yesterday"]])):
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
        entries.append((kind[1], name.casefold(), pk, shown_as))
    return _in_order(entries), unsure


def _dosed_on(day: date) -> Q:
    """The people with an observed dose of an amount above 0 on `day` after its latest amendment
    (`newest_dosed_day`'s rule: a given dose above 0 never amended, or one whose latest amendment corrects
    it to an amount, held or not), as a filter on the people: one hashed read of the day's given doses (the
    `dose_given_day` index) and one of the day's amended doses (read from the amendments, a few), not a
    read per person (issue #21)."""
    latest = DoseAmendment.objects.filter(dose=OuterRef("pk")).order_by("-amended_at", "-id")
    of_the_day = DoseAmendment.objects.filter(dose__medication=OBSERVED, dose__local_date=day)
    amended = (
        DoseRecord.objects.filter(pk__in=of_the_day.values("dose_id"))
        .annotate(
            latest_voided=Subquery(latest.values("voided")[:1]),
            latest_corrected=Subquery(latest.values("corrected_mg")[:1]),
        )
        .filter(latest_voided=False, latest_corrected__gt=0)
        .values("patient_id")
    )
    return Q(pk__in=_dosed_lately(day, day + timedelta(days=1))) | Q(pk__in=amended)


def _on_the_day_before(days: dict[str, date], back: int) -> Case:
    """Whether each person was dosed (`_dosed_on`) `back` days before their today (their zone's)."""
    return Case(
        *[
            When(Q(program__time_zone=zone) & _dosed_on(day - timedelta(days=back)), then=True)
            for zone, day in sorted(days.items())
        ],
        default=False,
        output_field=BooleanField(),
    )


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


def _places(reads: Iterable[str]) -> dict[str, int]:
    """Each read's place in a row of `_read_rows`."""
    return {name: 1 + len(SHOWN) + n for n, name in enumerate(reads)}


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
        if clinical and pk in flags:
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
        entries.append((key, name.casefold(), pk, shown_as))
    return signalled, _in_order(entries)


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
    reads per person (`_tail_reads`, the database's own), the missed days capped at MISSED_DAYS from them in
    SQL as `_tail_missed` counts them (`given`: `_take_home_counts`' counts, which a take-home day may have
    shortened), the silence, whether a signal (an open flag, MISSED_DAYS missed, SILENT_DAYS silent); then
    everyone ordered with the signalled people first and the others in the caseload's order (`rank_key`
    past the signals: more missed days, then a longer silence, then the name casefolded in code-point
    order, `Patient.sort_name`, then the id) and the page cut by LIMIT/OFFSET, the counts beside it as
    window sums. `test_caseload_tail_page.py` holds every page to `_tail`'s (SQLite and PostgreSQL)."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    if len(given) > _MOST_GIVEN:
        return None
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
    # the names and record numbers are read for the page's rows only (a narrow sort over everyone)
    columns = ["pk", "sort_name", "tail_today", "tail_yesterday"]
    if clinical:
        who = who.annotate(
            tail_flagged=Exists(PatientFlag.objects.filter(patient=OuterRef("pk"), resolved_at__isnull=True))
        )
        columns += ["on_methadone", "dosed_2", "missed_episode", "first", "tail_flagged"]
    if recovery:
        columns.append("last_checkin")
    inner, inner_params = who.order_by().values_list(*columns).query.sql_with_params()
    params: list[Any] = list(inner_params)
    missed = episode = "CAST(NULL AS INTEGER)"
    flagged = "0 = 1"
    if clinical:
        taken = ""
        for count in sorted(set(given.values())):
            ids = [pk for pk, n in given.items() if n == count]
            taken += f" WHEN t.pk IN ({', '.join(['%s'] * len(ids))}) THEN {int(count)}"
            params += ids
        # `_tail_missed`: none yet, or not counted (dosed yesterday, no episode): 0; dosed the day before
        # or first dosed yesterday: 1; else MISSED_DAYS or more
        missed = (
            f"CASE WHEN NOT t.on_methadone THEN NULL{taken} WHEN t.first IS NULL THEN 0 "
            "WHEN t.first >= t.tail_today THEN 0 WHEN t.dosed_2 OR t.first >= t.tail_yesterday THEN 1 "
            f"ELSE {int(MISSED_DAYS)} END"
        )
        episode, flagged = "t.missed_episode", "t.tail_flagged"
    silent = "CAST(NULL AS INTEGER)"
    if recovery:
        silent = (
            "(t.tail_today - t.last_checkin)"
            if connection.vendor == "postgresql"
            else "CAST(julianday(t.tail_today) - julianday(t.last_checkin) AS INTEGER)"
        )
    code_points = '"C"' if connection.vendor == "postgresql" else "BINARY"
    order = (
        "{0}.signalled DESC, COALESCE({0}.missed, 0) DESC, COALESCE({0}.silent, 0) DESC, "
        f"{{0}}.sort_name COLLATE {code_points}, {{0}}.id"
    )
    params += [MISSED_DAYS, SILENT_DAYS, stop - start, start]
    patients = Patient._meta.db_table
    sql = (
        f"WITH t AS MATERIALIZED ({inner}), "  # noqa: S608 # nosec B608 - the ORM's SQL; values are parameters
        f"u AS (SELECT t.pk AS id, t.sort_name, {episode} AS episode, {missed} AS missed, "
        f"{silent} AS silent, {flagged} AS flagged FROM t), "
        "v AS (SELECT u.*, CASE WHEN u.flagged OR u.missed >= %s OR u.silent >= %s THEN 1 ELSE 0 END "
        "AS signalled FROM u), "
        "w AS (SELECT v.id, v.sort_name, v.episode, v.missed, v.silent, v.signalled, COUNT(*) OVER () AS n, "
        f"SUM(v.id) OVER () AS ids, SUM(v.signalled) OVER () AS s FROM v ORDER BY {order.format('v')} "
        "LIMIT %s OFFSET %s) "
        "SELECT w.id, p.preferred_name, p.given_name, p.family_name, p.record_number, w.episode, w.missed, "
        f"w.silent, w.n, w.ids, w.s FROM w JOIN {patients} p ON p.id = w.id ORDER BY {order.format('w')}"
    )
    with without_jit() if size > HEAD_ABOVE else contextlib.nullcontext(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows or (rows[0][8], int(rows[0][9])) != audited:
        return None
    signalled = int(rows[0][10])
    numbers = policy.field_visible(areas, "record_number")
    entries: list[_Entry] = []
    # the rows before the signalled people's end are theirs, in no particular order (the head orders them)
    for pk, preferred, given_name, family, number, enrolled, count, quiet, *_sums in rows[
        max(0, signalled - start) :
    ]:
        signals = Signals((), count, quiet)
        name = Patient.name_from(preferred, given_name, family)
        in_care = enrolled is not None if clinical else None
        shown_as = _Person(pk, name, number if numbers else None, in_care, signals)
        entries.append((rank_key(signals), name.casefold(), pk, shown_as))
    return signalled, entries


def _last_checkin(person: OuterRef) -> Subquery:
    """The day of the person's last check-in (None: none yet), a subquery of the caseload's one read."""
    return Subquery(CheckIn.objects.filter(patient=person).order_by("-local_date").values("local_date")[:1])


def _read_rows(who: QuerySet[Patient], reads: Iterable[str], size: int) -> list[tuple[Any, ...]]:
    """The caseload's one read: each person's id, `SHOWN` and the `reads` annotated on `who`, as plain values.
    A subquery per person: at thousands of people estimated costly enough to be compiled, and compiling
    costs more than the read (a short list is never compiled: no statements to turn it off)."""
    with without_jit() if size > HEAD_ABOVE else contextlib.nullcontext():
        return list(who.order_by().values_list("pk", *SHOWN, *reads))


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
    (`rank_key`, the name casefolded, the id, the person); only those `among` selects (None: everyone).
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
    if clinical and read:
        if flags is None:
            flags = _open_flags(scope, read)  # everyone flagged is in `who`
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
        ranked.append((rank_key(signals_of), name.casefold(), pk, person))
    ranked.sort(key=_entry_order)
    return ranked
