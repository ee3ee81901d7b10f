"""The care team's morning (journey 6): the caseload in risk order and one patient's timeline. Reads only,
through the access policy, each one audited once; what a role may see decides which signals and events
appear (a peer specialist sees check-ins, never clinical flags or doses)."""

from __future__ import annotations

import contextlib
import functools
import heapq
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast, overload

from django.db.models import Exists, OuterRef, Q, Subquery
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
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, MedicationOrder, OrderStatus
from keel.treatment.queries import MISSED_READS, count_missed, with_missed_day_reads


def _said(reason: Any) -> str:
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

# Which patients the caseload lists (issue #18): in care now, discharged (no active episode), or everyone.
CASELOAD_STATUSES = ("current", "discharged", "all")


def default_status(user: User) -> str:
    """The caseload's status when none is asked: `current` for roles that see episodes of care (the clinical
    area); `all` for the others, who never see whether someone is in care."""
    return "current" if Area.CLINICAL in policy.areas_for_role(getattr(user, "role", "")) else "all"


def _status_filter(user: User, status: str | None) -> Q | None:
    status = status or default_status(user)
    if status not in CASELOAD_STATUSES:
        raise FieldsInvalid([FieldError("status", _("choose current, discharged or all"))])
    if status == "all":
        return None
    if Area.CLINICAL not in policy.areas_for_role(getattr(user, "role", "")):
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


class Caseload(Sequence[CaseloadRow]):
    """The caseload in order; a row (its reasons said in the reader's language) is made only when it is read,
    so a page makes fifty (issue #21). Sliced as a list is (the page's paginator).

    Top-k (issue #21): `top` is the head of the order, every person with a signal (`rank_key`'s tier above
    "none"), ranked exactly as the whole list ranks them: whoever has no signal sorts after all of them. A
    read inside the head (the first pages) ranks nobody else; a read past it ranks everyone once
    (`everyone`, the same rule over the same audited people)."""

    def __init__(self, count: int, top: list[_Person], everyone: Callable[[], list[_Person]]) -> None:
        self._count = count
        self._top = top
        self._everyone = everyone
        self._people: list[_Person] | None = top if len(top) == count else None

    def _upto(self, stop: int) -> list[_Person]:
        """People enough for the first `stop` places of the order."""
        if self._people is None and stop > len(self._top):
            self._people = self._everyone()
        return self._people if self._people is not None else self._top

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
            people = self._upto(max(places, default=-1) + 1)
            return [_row(people[i]) for i in places]
        place = operator.index(index)
        place = place + self._count if place < 0 else place
        if not 0 <= place < self._count:
            raise IndexError("caseload index out of range")
        return _row(self._upto(place + 1)[place])


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
    field error. The people who may have a signal are ranked now (`rank_key`, plain values), everyone only
    when a page past them is read (`Caseload`); a row's reasons are said when it is read."""
    where = _status_filter(user, status)
    areas = policy.areas_for_role(getattr(user, "role", ""))
    people = policy.list_patient_values_audited(
        user,
        "preferred_name",
        "given_name",
        "family_name",
        "record_number",
        "program__time_zone",
        where=where,
    )
    scope = policy.patients_visible_to(user)
    if where is not None:
        scope = scope.filter(where)
    now = now or timezone.now()
    days = {zone: day_in(zone, now) for zone in {p[5] for p in people}}
    today = {p[0]: days[p[5]] for p in people}
    # The head first (issue #21): only the people who may have a signal (a few of everyone), ranked by the
    # same reads and rule as everyone; the others only for a page past them. A short list, or a role
    # that sees no signal: everyone at once (a head read first would cost more statements than it saves).
    maybe = _may_have_a_signal(areas, days)
    if maybe is None or len(people) <= HEAD_ABOVE:
        everyone = [entry[3] for entry in _ranked(people, scope, None, areas, days, today)]
        return Caseload(len(people), everyone, lambda: everyone)
    head = _ranked(people, scope, maybe, areas, days, today)

    def the_others_too() -> list[_Person]:
        """The head's people and the others (ranked the same way), in one order."""
        rest = _ranked(people, scope, ~maybe, areas, days, today)
        return [entry[3] for entry in heapq.merge(head, rest, key=lambda entry: entry[:3])]

    top = [entry[3] for entry in head if cast(int, entry[0][0]) < NO_SIGNAL]
    return Caseload(len(people), top, the_others_too)


def _may_have_a_signal(areas: frozenset[Area], days: dict[str, date]) -> Q | None:
    """Who may have a signal the ranking counts (`keel.core.rules.caseload`: a tier before "none"), a few
    more perhaps, never fewer (tests/careteam/test_caseload_top.py pins it): an open flag; an active
    methadone order and no observed dose with an amount in the MISSED_DAYS days before today (a given dose
    above 0 never amended: `count_missed` counts its day); a check-in, and none in the SILENT_DAYS days
    before today nor after. Each time zone's today; None: the role sees no signal."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    person = OuterRef("pk")
    signalled: list[Q] = []
    for zone, today in days.items():
        signals: list[Q] = []
        if clinical:
            flagged = PatientFlag.objects.filter(patient=person, resolved_at__isnull=True)
            ordered = MedicationOrder.objects.filter(
                patient=person, medication=OBSERVED, status=OrderStatus.ACTIVE
            )
            dosed = DoseRecord.objects.filter(
                ~Exists(DoseAmendment.objects.filter(dose=OuterRef("pk"))),
                patient=person,
                medication=OBSERVED,
                status=DoseStatus.GIVEN,
                amount_mg__gt=0,
                local_date__gte=today - timedelta(days=MISSED_DAYS),
                local_date__lt=today,
            )
            signals += [Q(Exists(flagged)), Q(Exists(ordered)) & ~Q(Exists(dosed))]
        if recovery:
            checked = CheckIn.objects.filter(patient=person)
            lately = checked.filter(local_date__gt=today - timedelta(days=SILENT_DAYS))
            signals.append(Q(Exists(checked)) & ~Q(Exists(lately)))
        if signals:
            signalled.append(Q(program__time_zone=zone) & functools.reduce(operator.or_, signals))
    return functools.reduce(operator.or_, signalled) if signalled else None


def _ranked(
    people: list[tuple[Any, ...]],
    scope: Any,
    among: Q | None,
    areas: frozenset[Area],
    days: dict[str, date],
    today: dict[int, date],
) -> list[tuple[tuple[object, ...], str, int, _Person]]:
    """`people` (`list_patient_values_audited`'s tuples, `scope` as a queryset) in the caseload's order, each
    as (`rank_key`, the name casefolded, the id, the person); only those `among` selects (None: everyone).
    `days`: each program time zone's today; `today`: each person's. Set-based (issue #21): one statement
    reads every signal for all of them, as plain values (no per-person prefetch, no dose objects, no
    Patient objects), the missed days' reads too (`with_missed_day_reads`: each person's episode, its
    first observed dose and the newest day with an amount, counted by `count_missed`); then the open flags,
    and the take-home plans of those with a day missed. The people go in as subqueries (thousands of ids
    in a list cost more to send and parse than the reads themselves)."""
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    who = scope if among is None else scope.filter(among)
    outer = OuterRef("pk")
    signals: dict[str, Any] = {}
    names: tuple[str, ...] = ()
    if clinical:
        signals["on_methadone"] = Exists(
            MedicationOrder.objects.filter(patient=outer, medication=OBSERVED, status=OrderStatus.ACTIVE)
        )
        who = with_missed_day_reads(who, OBSERVED, days)
        names = MISSED_READS
    if recovery:
        signals["last_checkin"] = Subquery(
            CheckIn.objects.filter(patient=outer).order_by("-local_date").values("local_date")[:1]
        )
    # A subquery per person: at thousands of people estimated costly enough to be compiled, and compiling
    # costs more than the read (a short list is never compiled: no statements to turn it off).
    with without_jit() if len(people) > HEAD_ABOVE else contextlib.nullcontext():
        read = {
            row[0]: row[1:] for row in who.annotate(**signals).order_by().values_list("pk", *signals, *names)
        }
    wanted = [p for p in people if p[0] in read]
    values = {pk: dict(zip((*signals, *names), row, strict=True)) for pk, row in read.items()}
    missed: dict[int, int] = {}
    flags: dict[int, list[OpenFlag]] = {}
    if clinical and wanted:
        kinds = dict(PatientFlag._meta.get_field("kind").flatchoices)
        labels: dict[str, str] = {}
        for pk, kind, priority, raised_at in PatientFlag.objects.filter(  # the model's order, as before
            patient_id__in=scope.values("pk"),
            resolved_at__isnull=True,  # everyone flagged is in `who`
        ).values_list("patient_id", "kind", "priority", "raised_at"):
            if pk not in read:
                continue
            if kind not in labels:
                labels[kind] = str(kinds.get(kind, kind))  # get_kind_display
            flags.setdefault(pk, []).append(OpenFlag(kind, labels[kind], priority, raised_at))
        # The ranking needs only the count, not each dose (`dose_contexts`, the dose path's read).
        missed = count_missed(
            {pk: row[len(signals) :] for pk, row in read.items() if values[pk]["on_methadone"]}, today
        )
    numbers = policy.field_visible(areas, "record_number")
    ranked: list[tuple[tuple[object, ...], str, int, _Person]] = []
    for pk, preferred, given, family, record_number, _zone in wanted:
        last = values[pk].get("last_checkin")
        silent = (today[pk] - last).days if last is not None else None
        signals_of = Signals(tuple(flags.get(pk, ())), missed.get(pk), silent)
        name = Patient.name_from(preferred, given, family)
        # In care: an active enrollment, the episode the missed days' reads join (one at most).
        in_care = values[pk]["missed_episode"] is not None if clinical else None
        person = _Person(pk, name, record_number if numbers else None, in_care, signals_of)
        ranked.append((rank_key(signals_of), name.casefold(), pk, person))
    ranked.sort(key=lambda entry: entry[:3])
    return ranked
