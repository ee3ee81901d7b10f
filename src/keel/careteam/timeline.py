"""One patient's timeline (journey 6): what happened in their care over the last 30, 90 or 365 days, newest
first, one audit row. Each kind of record has its own step; what a role may see decides which steps run (a
peer specialist sees check-ins, never clinical flags or doses). `keel.careteam.queries` re-exports it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.accounts.names import staff_name
from keel.assessments import meaning
from keel.assessments.models import Assessment
from keel.assessments.queries import newest_first, standing, with_corrections
from keel.audit.models import Action
from keel.patients.flagwords import flag_reasons
from keel.patients.models import Enrollment, Patient, PatientFlag, local_today, zone_of
from keel.recovery.models import CheckIn, MeetingAttendance, ThoughtRecord
from keel.treatment import words
from keel.treatment.models import (
    CareGoal,
    DoseRecord,
    Intake,
    MedicationOrder,
    NaloxoneKit,
    QtcRecord,
    TakeHomePlan,
)
from keel.treatment.queries.doses import effective_mg
from keel.web.dates import shown_date, shown_days_in

TIMELINE_DAYS = (30, 90, 365)


@dataclass(frozen=True)
class Event:
    day: date
    at: datetime | None  # None for day-level events (a check-in, a run of doses)
    area: str  # identity | clinical | recovery
    kind: str
    title: str
    detail: str = ""
    run: tuple[date, date] | None = None  # a run of doses: its first and last day (lane words32)

    @property
    def detail_words(self) -> str:
        """The detail as the page says it: a run's days in the reader's words ("Dec. 1, 2026 to Dec. 5,
        2026"); the API's `detail` keeps them ISO, as a machine reads them (lane words32). A day inside a
        detail (a flag's reason: "Use reported in the check-in of 2026-12-05") is said too (lane words34)."""
        return shown_days_in(self.detail) if self.run is None else _days_said(*self.run, said=shown_date)

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


@dataclass(frozen=True)
class _Span:
    """The days a timeline covers, as the patient's program reads them: `since` to `until` (local days) and
    `start`, the first instant of `since` (for rows stamped with a time)."""

    patient: Patient
    since: date
    until: date
    zone: ZoneInfo
    start: datetime

    def at(self, when: datetime) -> tuple[date, datetime]:
        """A stamped row's local day and time."""
        local = when.astimezone(self.zone)
        return local.date(), local


def timeline(user: User, patient_id: int | str, *, days: int = 90, now: datetime | None = None) -> Timeline:
    """What happened in the patient's care over the last `days` days, newest first, one audit row. Clinical
    events only for roles that see the clinical area; notes and thought records never (only that one was
    written, and not even that under emergency access: `policy.thought_records_shown`, review 21p). Episodes
    of care (started, ended and why) are clinical too: a peer specialist, refused the episodes everywhere
    else, sees none here (review 20b). Runs of daily observed doses show as one event."""
    if days not in TIMELINE_DAYS:
        days = 90
    patient = policy.get_patient_for_action_or_404(
        user, patient_id, Action.READ, target_type="patient_timeline", emergency_access=True
    )
    areas = policy.areas_visible(user, patient)
    span = _span(patient, days, now)
    events: list[Event] = []
    if Area.CLINICAL in areas:  # episodes of care are enrollment details, the clinical area (review 20b)
        events += _episode_events(span) + _clinical_events(span)
    if Area.RECOVERY in areas:  # not even that a thought record was written under a grant (review 21p)
        events += _recovery_events(span, thoughts=policy.thought_records_shown(user, patient))
    return Timeline(patient, days, span.since, span.until, _newest_first(events, span))


def _span(patient: Patient, days: int, now: datetime | None) -> _Span:
    """The last `days` days up to the patient's today, in their program's zone."""
    until = local_today(patient, now)
    since = until - timedelta(days=days - 1)
    zone = zone_of(patient)
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()), zone)
    return _Span(patient, since, until, zone, start)


def _newest_first(events: list[Event], span: _Span) -> list[Event]:
    """The events inside the span, newest first; a day-level event sorts after the day's stamped ones (the
    sort is stable: two at the same moment keep the order the steps gave them)."""
    kept = [e for e in events if span.since <= e.day <= span.until]
    kept.sort(
        key=lambda e: (e.day, e.at or datetime.combine(e.day, datetime.max.time(), span.zone)), reverse=True
    )
    return kept


def _runs(days: Iterable[date]) -> list[tuple[date, date, int]]:
    """Consecutive days as (first, last, count) runs, newest run first."""
    out: list[tuple[date, date, int]] = []
    for d in sorted(set(days)):
        if out and (d - out[-1][1]).days == 1:
            out[-1] = (out[-1][0], d, out[-1][2] + 1)
        else:
            out.append((d, d, 1))
    return out[::-1]


# --- Every role that sees the patient ----------------------------------------------------------------------


def _episode_events(span: _Span) -> list[Event]:
    """Each episode of care that started or ended in the span."""
    events: list[Event] = []
    for e in Enrollment.objects.filter(patient=span.patient):
        if span.since <= e.started_on <= span.until:
            events.append(
                Event(e.started_on, None, "identity", "enrollment", _("Started care at the program"))
            )
        if e.ended_on and span.since <= e.ended_on <= span.until:
            events.append(
                Event(e.ended_on, None, "identity", "enrollment", _("Care ended"), e.get_end_reason_display())
            )
    return events


# --- The clinical area -------------------------------------------------------------------------------------


def _clinical_events(span: _Span) -> list[Event]:
    """Assessments, orders, doses, take-homes, naloxone, QTc, intakes, care goals and flags, in that order."""
    return [
        *_assessment_events(span),
        *_order_events(span),
        *_dose_events(span),
        *_take_home_events(span),
        *_naloxone_events(span),
        *_qtc_events(span),
        *_intake_events(span),
        *_care_goal_events(span),
        *_flag_events(span),
    ]


def _assessment_events(span: _Span) -> list[Event]:
    """Each assessment with its score, band and (for DSM-5 OUD) diagnosis code. Newest first, so that two
    given at the same moment keep the one definition of "latest" (the final sort is stable)."""
    events: list[Event] = []
    # those that stand, as corrected (review 33c hole 4: one entered in error is no result)
    rows = standing(Assessment.objects.filter(patient=span.patient, filled_at__gte=span.start))
    for a in with_corrections(newest_first(rows)):
        d, t = span.at(a.filled_at)
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
                ", ".join(str(x) for x in (score, band, code, *_how_entered(a)) if x),
            )
        )
    return events


def _how_entered(a: Assessment) -> list[str]:
    """What the record says of how a result came to be, as its page and the flowsheet say it (review 39c
    hole 2): corrected, with the score as entered (`Assessment.corrected`, `entered_total`), and a late entry
    (`Assessment.entered_late`). A correction never silently rewrites history (AHIMA amendment guidance)."""
    said = []
    if a.corrected and a.entered_total is not None and a.entered_total != a.total:
        said.append(_("corrected (scored %(entered)s as entered)") % {"entered": a.entered_total})
    elif a.corrected:
        said.append(_("corrected"))
    if a.entered_late:
        said.append(_("late entry"))
    return said


def _order_events(span: _Span) -> list[Event]:
    """Each medication order written in the span, with its dose and frequency."""
    events: list[Event] = []
    for o in MedicationOrder.objects.filter(patient=span.patient, created_at__gte=span.start):
        d, t = span.at(o.created_at)
        events.append(
            Event(
                d,
                t,
                "clinical",
                "order",
                _("%(medication)s order") % {"medication": o.get_medication_display()},
                f"{o.dose_mg.normalize():f} mg, {words.frequency(o.frequency)}",
            )
        )
    return events


def _dose_events(span: _Span) -> list[Event]:
    """A held dose or an injection is an event of its own; observed doses given on consecutive days are one
    event per run and medication. Each dose as it stands after its amendments (`effective_mg`, the window's
    and FHIR's one definition; lane fix33d, review 33c hole 1): a voided dose is no event, a dose corrected
    to 0 mg is no observed dose, a held dose corrected to a given amount is given, an injection shows its
    corrected amount."""
    doses = DoseRecord.objects.filter(
        patient=span.patient, local_date__gte=span.since, local_date__lte=span.until
    ).prefetch_related("amendments")
    events: list[Event] = []
    given: dict[str, list[date]] = {}
    for dose in doses.order_by():
        amendments = list(dose.amendments.all())
        if amendments and amendments[-1].voided:
            continue  # entered in error: not part of the care given
        mg = effective_mg(dose, amendments)
        if mg > 0 and dose.medication != "naltrexone_xr":
            given.setdefault(dose.get_medication_display(), []).append(dose.local_date)
        elif mg > 0 or dose.status == "held":
            label = (
                _("Dose held")
                if mg <= 0
                else _("%(medication)s injection") % {"medication": dose.get_medication_display()}
            )
            shown = mg if mg > 0 else dose.amount_mg
            events.append(
                Event(dose.local_date, None, "clinical", "dose", label, f"{shown.normalize():f} mg")
            )
    for medication, dates in given.items():
        events.extend(_dose_run_event(medication, first, last, n) for first, last, n in _runs(dates))
    return events


def _dose_run_event(medication: str, first: date, last: date, n: int) -> Event:
    """One run of `n` observed doses from `first` to `last`, dated on its last day."""
    days = _days_said(first, last, said=date.isoformat)
    title = ngettext("%(medication)s: %(n)s observed dose", "%(medication)s: %(n)s observed doses", n) % {
        "medication": medication,
        "n": n,
    }
    return Event(last, None, "clinical", "dose", title, days, run=(first, last))


def _days_said(first: date, last: date, *, said: Callable[[date], str]) -> str:
    """A run's days, one day alone or "first to last", each day said by `said`."""
    return (
        said(first)
        if first == last
        else _("%(first)s to %(last)s") % {"first": said(first), "last": said(last)}
    )


def _take_home_events(span: _Span) -> list[Event]:
    """Each take-home decision, with its maximum supply."""
    events: list[Event] = []
    for plan in TakeHomePlan.objects.filter(patient=span.patient, decided_at__gte=span.start):
        d, t = span.at(plan.decided_at)
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
    return events


def _naloxone_events(span: _Span) -> list[Event]:
    """Each naloxone kit given, with its product."""
    return [
        Event(kit.dispensed_on, None, "clinical", "naloxone", _("Naloxone kit"), kit.get_product_display())
        for kit in NaloxoneKit.objects.filter(patient=span.patient, dispensed_on__gte=span.since)
    ]


def _qtc_events(span: _Span) -> list[Event]:
    """Each QTc measured."""
    return [
        Event(q.measured_on, None, "clinical", "qtc", "QTc", f"{q.qtc_ms} ms")
        for q in QtcRecord.objects.filter(patient=span.patient, measured_on__gte=span.since)
    ]


def _intake_events(span: _Span) -> list[Event]:
    """That an intake was recorded (its answers are on the start page)."""
    return [
        Event(*span.at(i.recorded_at), "clinical", "intake", _("Intake recorded"))
        for i in Intake.objects.filter(patient=span.patient, recorded_at__gte=span.start)
    ]


def _care_goal_events(span: _Span) -> list[Event]:
    """Each care-plan goal added, with its area."""
    return [
        Event(*span.at(g.created_at), "clinical", "care_goal", _("Care-plan goal"), g.get_area_display())
        for g in CareGoal.objects.filter(patient=span.patient, created_at__gte=span.start)
    ]


def _flag_events(span: _Span) -> list[Event]:
    """Each flag raised, with its reasons, then each flag resolved, with the note and who resolved it (the
    note is what the care team did about the flag: clinical roles only see it)."""
    events: list[Event] = []
    for f in PatientFlag.objects.filter(patient=span.patient, raised_at__gte=span.start):
        d, t = span.at(f.raised_at)
        title = _("Flag: %(kind)s") % {"kind": f.get_kind_display()}
        events.append(Event(d, t, "clinical", "flag", title, "; ".join(flag_reasons(f))))
    resolved = PatientFlag.objects.filter(patient=span.patient, resolved_at__gte=span.start).select_related(
        "resolved_by"
    )
    for f in resolved:
        assert f.resolved_at is not None  # resolved_at__gte: a resolved flag
        d, t = span.at(f.resolved_at)
        who = staff_name(f.resolved_by)
        detail = _("%(note)s (by %(who)s)") % {"note": f.resolution_note, "who": who}
        title = _("Flag resolved: %(kind)s") % {"kind": f.get_kind_display()}
        events.append(Event(d, t, "clinical", "flag", title, detail))
    return events


# --- The recovery area -------------------------------------------------------------------------------------


def _recovery_events(span: _Span, *, thoughts: bool) -> list[Event]:
    """Check-ins (in words), that a thought record was written (never what it says; with `thoughts` only),
    and meetings."""
    events = [
        _checkin_event(c)
        for c in CheckIn.objects.filter(
            patient=span.patient, local_date__gte=span.since, local_date__lte=span.until
        )
    ]
    if thoughts:
        events += [
            Event(*span.at(r.created_at), "recovery", "thought_record", _("Thought record written"))
            for r in ThoughtRecord.objects.filter(patient=span.patient, created_at__gte=span.start)
        ]
    events += [
        Event(m.local_date, None, "recovery", "meeting", _("Meeting"), m.name)
        for m in MeetingAttendance.objects.filter(patient=span.patient, local_date__gte=span.since)
    ]
    return events


def _checkin_event(c: CheckIn) -> Event:
    """A check-in as the care team reads it: craving, mood and what the person said they did."""
    parts = [_("craving %(n)s/10") % {"n": c.craving}, _("mood %(n)s/5") % {"n": c.mood}]
    if c.used:
        parts.append(_("reported use"))
    if c.meeting:
        parts.append(_("went to a meeting"))
    if c.counseling:
        parts.append(_("counseling"))
    return Event(c.local_date, None, "recovery", "checkin", _("Check-in"), ", ".join(parts))
