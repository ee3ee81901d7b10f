"""The care team's morning (journey 6): the caseload in risk order and one patient's timeline. Reads only,
through the access policy, each one audited once; what a role may see decides which signals and events
appear (a peer specialist sees check-ins, never clinical flags or doses)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, overload

from django.db.models import Exists, Max, OuterRef, Q
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
from keel.core.rules.caseload import OpenFlag, Signals, rank, rank_key
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.patients.flagwords import said_text
from keel.patients.models import (
    Enrollment,
    EnrollmentStatus,
    Patient,
    PatientFlag,
    day_in,
)
from keel.recovery.models import CheckIn
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.queries import missed_days


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
    """The caseload in order, every person ranked; a row (its reasons said in the reader's language) is made
    only when it is read, so a page makes fifty (issue #21). Sliced as a list is (the page's paginator)."""

    def __init__(self, people: list[_Person]) -> None:
        self._people = people

    def __len__(self) -> int:
        return len(self._people)

    @overload
    def __getitem__(self, index: int) -> CaseloadRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[CaseloadRow]: ...

    def __getitem__(self, index: int | slice) -> CaseloadRow | list[CaseloadRow]:
        if isinstance(index, slice):
            return [_row(p) for p in self._people[index]]
        return _row(self._people[index])


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
    field error. Everyone is ranked (`rank_key`, plain values); a row's reasons are said when it is read."""
    where = _status_filter(user, status)
    areas = policy.areas_for_role(getattr(user, "role", ""))
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    # Set-based (issue #21): each signal the ranking needs is one read for everyone, as plain values (no
    # per-person prefetch, no dose objects, no Patient objects).
    people = policy.list_patient_values_audited(
        user,
        "preferred_name",
        "given_name",
        "family_name",
        "record_number",
        "program__time_zone",
        where=where,
    )
    # The same people as a subquery for the signal reads: thousands of ids in a list cost more to send and
    # parse than the reads themselves.
    scope = policy.patients_visible_to(user)
    if where is not None:
        scope = scope.filter(where)
    ids = scope.values("pk")
    now = now or timezone.now()
    days = {zone: day_in(zone, now) for zone in {p[5] for p in people}}
    today = {p[0]: days[p[5]] for p in people}
    missed: dict[int, int] = {}
    in_care: set[int] = set()
    flags: dict[int, list[OpenFlag]] = {}
    if clinical:
        kinds = dict(PatientFlag._meta.get_field("kind").flatchoices)
        labels: dict[str, str] = {}
        in_care = set(
            Enrollment.objects.filter(patient_id__in=ids, status=EnrollmentStatus.ACTIVE).values_list(
                "patient_id", flat=True
            )
        )
        for pk, kind, priority, raised_at in PatientFlag.objects.filter(  # the model's order, as before
            patient_id__in=ids, resolved_at__isnull=True
        ).values_list("patient_id", "kind", "priority", "raised_at"):
            if kind not in labels:
                labels[kind] = str(kinds.get(kind, kind))  # get_kind_display
            flags.setdefault(pk, []).append(OpenFlag(kind, labels[kind], priority, raised_at))
        on_methadone = set(
            MedicationOrder.objects.filter(
                patient_id__in=ids, medication="methadone", status=OrderStatus.ACTIVE
            ).values_list("patient_id", flat=True)
        )
        # The ranking needs only the count, not each dose (`dose_contexts`, the dose path's read).
        missed = missed_days(
            [(p[0], today[p[0]]) for p in people if p[0] in on_methadone], "methadone", among=scope
        )
    last_checkin: dict[int, date] = {}
    if recovery:
        last_checkin = dict(
            CheckIn.objects.filter(patient_id__in=ids)
            .values("patient_id")
            .order_by()
            .annotate(last=Max("local_date"))
            .values_list("patient_id", "last")
        )
    numbers = policy.field_visible(areas, "record_number")
    ranked: list[tuple[tuple[object, ...], str, int, _Person]] = []
    for pk, preferred, given, family, record_number, _zone in people:
        silent = (today[pk] - last_checkin[pk]).days if pk in last_checkin else None
        signals = Signals(tuple(flags.get(pk, ())), missed.get(pk), silent)
        name = Patient.name_from(preferred, given, family)
        person = _Person(
            pk, name, record_number if numbers else None, (pk in in_care) if clinical else None, signals
        )
        ranked.append((rank_key(signals), name.casefold(), pk, person))
    ranked.sort(key=lambda entry: entry[:3])
    return Caseload([entry[3] for entry in ranked])
