"""The care team's morning (journey 6): the caseload in risk order and one patient's timeline. Reads only,
through the access policy, each one audited once; what a role may see decides which signals and events
appear (a peer specialist sees check-ins, never clinical flags or doses)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, overload

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.assessments import meaning
from keel.assessments.models import Assessment
from keel.assessments.queries import newest_first
from keel.audit.models import Action
from keel.core.rules.caseload import OpenFlag, Signals, rank, rank_key
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.patients.flagwords import flag_reasons, said_text
from keel.patients.models import (
    Enrollment,
    EnrollmentStatus,
    Patient,
    PatientFlag,
    day_in,
    local_today,
    zone_of,
)
from keel.recovery.models import CheckIn, MeetingAttendance, ThoughtRecord
from keel.treatment.models import (
    CareGoal,
    DoseRecord,
    Intake,
    MedicationOrder,
    NaloxoneKit,
    OrderStatus,
    QtcRecord,
    TakeHomePlan,
)
from keel.treatment.queries import missed_days

TIMELINE_DAYS = (30, 90, 365)


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


# --- The timeline ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    day: date
    at: datetime | None  # None for day-level events (a check-in, a run of doses)
    area: str  # identity | clinical | recovery
    kind: str
    title: str
    detail: str = ""

    @property
    def kind_words(self) -> str:
        """The event's kind in the reader's language (the code stays for the API and the CSS class)."""
        return str(EVENT_KINDS.get(self.kind, self.kind.replace("_", " ")))


EVENT_KINDS = {
    "assessment": gettext_lazy("assessment"),
    "order": gettext_lazy("medication order"),
    "dose": gettext_lazy("dose"),
    "take_home": gettext_lazy("take-home"),
    "naloxone": gettext_lazy("naloxone"),
    "qtc": gettext_lazy("QTc"),
    "intake": gettext_lazy("intake"),
    "care_goal": gettext_lazy("care plan"),
    "flag": gettext_lazy("flag"),
    "enrollment": gettext_lazy("episode of care"),
    "checkin": gettext_lazy("check-in"),
    "thought_record": gettext_lazy("thought record"),
    "meeting": gettext_lazy("meeting"),
}


@dataclass(frozen=True)
class Timeline:
    patient: Patient
    days: int
    since: date
    until: date
    events: list[Event] = field(default_factory=list)


def _runs(days: Iterable[date]) -> list[tuple[date, date, int]]:
    """Consecutive days as (first, last, count) runs, newest run first."""
    out: list[tuple[date, date, int]] = []
    for d in sorted(set(days)):
        if out and (d - out[-1][1]).days == 1:
            out[-1] = (out[-1][0], d, out[-1][2] + 1)
        else:
            out.append((d, d, 1))
    return out[::-1]


def timeline(user: User, patient_id: int | str, *, days: int = 90, now: datetime | None = None) -> Timeline:
    """What happened in the patient's care over the last `days` days, newest first, one audit row. Clinical
    events only for roles that see the clinical area; notes and thought records never (only that one was
    written). Runs of daily observed doses show as one event."""
    if days not in TIMELINE_DAYS:
        days = 90
    patient = policy.get_patient_for_action_or_404(
        user, patient_id, Action.READ, target_type="patient_timeline"
    )
    areas = policy.areas_visible(user, patient)
    until = local_today(patient, now)
    since = until - timedelta(days=days - 1)
    zone = zone_of(patient)
    events: list[Event] = []

    def at(when: datetime) -> tuple[date, datetime]:
        local = when.astimezone(zone)
        return local.date(), local

    for e in Enrollment.objects.filter(patient=patient):
        if since <= e.started_on <= until:
            events.append(
                Event(e.started_on, None, "identity", "enrollment", _("Started care at the program"))
            )
        if e.ended_on and since <= e.ended_on <= until:
            events.append(
                Event(e.ended_on, None, "identity", "enrollment", _("Care ended"), e.get_end_reason_display())
            )
    start_dt = timezone.make_aware(datetime.combine(since, datetime.min.time()), zone)
    if Area.CLINICAL in areas:
        # Newest first, so that two given at the same moment keep the one definition of "latest" (the sort
        # below is stable).
        for a in newest_first(Assessment.objects.filter(patient=patient, filled_at__gte=start_dt)):
            d, t = at(a.filled_at)
            score = _("score %(total)s") % {"total": a.total} if a.total is not None else ""
            flags = a.result.get("flags") if isinstance(a.result, dict) else ()
            band = meaning.band_name(a.instrument, a.band or None, flags)
            code = meaning.diagnosis_code(a.band) if a.instrument == "dsm5-oud" else ""
            events.append(
                Event(
                    d,
                    t,
                    "clinical",
                    "assessment",
                    meaning.name(a.instrument),
                    ", ".join(str(x) for x in (score, band, code) if x),
                )
            )
        for o in MedicationOrder.objects.filter(patient=patient, created_at__gte=start_dt):
            d, t = at(o.created_at)
            events.append(
                Event(
                    d,
                    t,
                    "clinical",
                    "order",
                    _("%(medication)s order") % {"medication": o.get_medication_display()},
                    f"{o.dose_mg.normalize():f} mg, {o.frequency}",
                )
            )
        doses = DoseRecord.objects.filter(patient=patient, local_date__gte=since, local_date__lte=until)
        given: dict[str, list[date]] = {}
        for dose in doses.order_by():
            if dose.status == "given" and dose.medication != "naltrexone_xr":
                given.setdefault(dose.get_medication_display(), []).append(dose.local_date)
            else:
                label = (
                    _("Dose held")
                    if dose.status == "held"
                    else _("%(medication)s injection") % {"medication": dose.get_medication_display()}
                )
                events.append(
                    Event(
                        dose.local_date, None, "clinical", "dose", label, f"{dose.amount_mg.normalize():f} mg"
                    )
                )
        for medication, dates in given.items():
            for first, last, n in _runs(dates):
                span = (
                    first.isoformat()
                    if first == last
                    else _("%(first)s to %(last)s") % {"first": first.isoformat(), "last": last.isoformat()}
                )
                events.append(
                    Event(
                        last,
                        None,
                        "clinical",
                        "dose",
                        ngettext(
                            "%(medication)s: %(n)s observed dose", "%(medication)s: %(n)s observed doses", n
                        )
                        % {"medication": medication, "n": n},
                        span,
                    )
                )
        for plan in TakeHomePlan.objects.filter(patient=patient, decided_at__gte=start_dt):
            d, t = at(plan.decided_at)
            events.append(
                Event(
                    d,
                    t,
                    "clinical",
                    "take_home",
                    _("Take-home decision"),
                    _("up to %(n)s days") % {"n": plan.max_supply_days},
                )
            )
        for kit in NaloxoneKit.objects.filter(patient=patient, dispensed_on__gte=since):
            events.append(
                Event(
                    kit.dispensed_on,
                    None,
                    "clinical",
                    "naloxone",
                    _("Naloxone kit"),
                    kit.get_product_display(),
                )
            )
        for q in QtcRecord.objects.filter(patient=patient, measured_on__gte=since):
            events.append(Event(q.measured_on, None, "clinical", "qtc", "QTc", f"{q.qtc_ms} ms"))
        for i in Intake.objects.filter(patient=patient, recorded_at__gte=start_dt):
            d, t = at(i.recorded_at)
            events.append(Event(d, t, "clinical", "intake", _("Intake recorded")))
        for g in CareGoal.objects.filter(patient=patient, created_at__gte=start_dt):
            d, t = at(g.created_at)
            events.append(Event(d, t, "clinical", "care_goal", _("Care-plan goal"), g.get_area_display()))
        for f in PatientFlag.objects.filter(patient=patient, raised_at__gte=start_dt):
            d, t = at(f.raised_at)
            title = _("Flag: %(kind)s") % {"kind": f.get_kind_display()}
            events.append(Event(d, t, "clinical", "flag", title, "; ".join(flag_reasons(f))))
        resolved = PatientFlag.objects.filter(patient=patient, resolved_at__gte=start_dt).select_related(
            "resolved_by"
        )
        for f in resolved:
            d, t = at(f.resolved_at)  # type: ignore[arg-type]
            who = f.resolved_by.get_full_name() or f.resolved_by.username if f.resolved_by else ""
            # The resolution note is what the care team did about the flag: clinical roles only see it.
            detail = _("%(note)s (by %(who)s)") % {"note": f.resolution_note, "who": who}
            title = _("Flag resolved: %(kind)s") % {"kind": f.get_kind_display()}
            events.append(Event(d, t, "clinical", "flag", title, detail))
    if Area.RECOVERY in areas:
        for c in CheckIn.objects.filter(patient=patient, local_date__gte=since, local_date__lte=until):
            parts = [_("craving %(n)s/10") % {"n": c.craving}, _("mood %(n)s/5") % {"n": c.mood}]
            if c.used:
                parts.append(_("reported use"))
            if c.meeting:
                parts.append(_("went to a meeting"))
            if c.counseling:
                parts.append(_("counseling"))
            events.append(Event(c.local_date, None, "recovery", "checkin", _("Check-in"), ", ".join(parts)))
        for r in ThoughtRecord.objects.filter(patient=patient, created_at__gte=start_dt):
            d, t = at(r.created_at)
            events.append(Event(d, t, "recovery", "thought_record", _("Thought record written")))
        for m in MeetingAttendance.objects.filter(patient=patient, local_date__gte=since):
            events.append(Event(m.local_date, None, "recovery", "meeting", _("Meeting"), m.name))
    events = [e for e in events if since <= e.day <= until]
    events.sort(
        key=lambda e: (e.day, e.at or datetime.combine(e.day, datetime.max.time(), zone)), reverse=True
    )
    return Timeline(patient, days, since, until, events)
