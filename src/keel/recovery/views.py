"""Pages of the recovery companion: the patient's evening (check-in, progress, tools, plan, reminders,
meetings) and the care team's read-only view. Views parse the form, call one service, render."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.audit.models import Action
from keel.core.digits import ascii_digits
from keel.core.directory.geo import KM_PER_MILE
from keel.core.recovery import checkin as core_checkin
from keel.core.recovery import tools
from keel.core.rules.inputs import InvalidInput
from keel.recovery import labels, pdf, services
from keel.recovery.schemas import CheckInIn, PlanIn, SkillTryIn, ThoughtRecordIn
from keel.recovery.services import RecoveryInvalid
from keel.web import field_words
from keel.web.charts import DailyChart, daily_chart

if TYPE_CHECKING:  # the directory is imported where a meeting search runs
    from keel.directory.models import Meeting
    from keel.directory.queries import MeetingHit


def _int_or_raw(value: str | None) -> int | str | None:
    if value is None or value == "":
        return None
    return int(value) if ascii_digits(value.strip()) else value


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def checkin_from_form(post: QueryDict) -> dict[str, object]:
    """The form's strings as the core's check-in input; the core names what is wrong."""
    raw: dict[str, object] = {
        "craving": _int_or_raw(post.get("craving")),
        "mood": _int_or_raw(post.get("mood")),
        "used": _yes_no(post.get("used")),
        "medication": post.get("medication") or None,
        "meeting": post.get("meeting") == "on",
        "counseling": post.get("counseling") == "on",
        "sleep": post.get("sleep", ""),
        "note": post.get("note", ""),
        "trigger_other": post.get("trigger_other", ""),
        "triggers": post.getlist("triggers"),
    }
    if raw["used"]:
        raw["used_what"], raw["used_how"] = post.getlist("used_what"), post.getlist("used_how")
    return raw


def _errors(exc: InvalidInput) -> dict[str, str]:
    return field_words.by_field(exc.errors)


@require_http_methods(["GET", "POST"])
@login_required
def checkin(request: AuthenticatedHttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        raw = checkin_from_form(request.POST)
        try:
            outcome = services.record_checkin(
                by=request.user, data=CheckInIn.posted(raw), key=request.POST.get("idempotency_key", "")
            )
        except RecoveryInvalid as exc:
            errors = _errors(exc)
            shown = {**raw, "used": request.POST.get("used", "")}
            key = request.POST.get("idempotency_key") or uuid.uuid4().hex
            return render(
                request,
                "recovery/checkin.html",
                {"values": shown, "errors": errors, "key": key, "labels": labels.checkin_labels()},
                status=422,
            )
        request.session["checkin_nudges"] = outcome.body.get("nudges", [])
        return HttpResponseRedirect(reverse("recovery:checkin_done"))
    _patient, today = services.todays_checkin(request.user)
    values: dict[str, object] = {}
    if today is not None:  # the form's yes/no for `used`
        values = {**services.checkin_out(today).model_dump(), "used": "yes" if today.used else "no"}
    return render(
        request,
        "recovery/checkin.html",
        {
            "values": values,
            "errors": errors,
            "key": uuid.uuid4().hex,
            "editing": today is not None,
            "labels": labels.checkin_labels(),
        },
    )


@require_safe
@login_required
def checkin_done(request: AuthenticatedHttpRequest) -> HttpResponse:
    _, today = services.todays_checkin(request.user)
    if today is None:
        return HttpResponseRedirect(reverse("recovery:checkin"))
    offers = core_checkin.offers({"used": today.used, "craving": today.craving})
    nudges = [labels.NUDGES[n] for n in request.session.pop("checkin_nudges", []) if n in labels.NUDGES]
    return render(request, "recovery/checkin_done.html", {"c": today, "offers": offers, "nudges": nudges})


@require_POST
@login_required
def ask_team(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.request_contact(by=request.user)
    messages.success(request, _("Thank you. Your care team will reach out to you."))
    return HttpResponseRedirect(reverse("recovery:checkin_done"))


def _charts(view: services.ProgressView) -> list[tuple[str, DailyChart]]:
    p = view.progress
    start = p.today - timedelta(days=view.days - 1)
    use_days = [c.local_date for c in view.series if c.used]
    craving = [(c.local_date, c.craving) for c in view.series]
    mood = [(c.local_date, c.mood) for c in view.series]

    def summary(title: str, values: list[tuple[date, int]]) -> str:
        if not values:
            return _("%(title)s: no check-ins in these %(days)s days.") % {"title": title, "days": view.days}
        nums = [v for _, v in values]
        return _(
            "%(title)s over %(days)s days: %(n)s check-ins, first %(first)s, last %(last)s, lowest %(low)s, "
            "highest %(high)s. Days with use reported: %(used)s."
        ) % {
            "title": title,
            "days": view.days,
            "n": len(nums),
            "first": nums[0],
            "last": nums[-1],
            "low": min(nums),
            "high": max(nums),
            "used": len(use_days),
        }

    craving_title, mood_title = _("Craving (0 to 10)"), _("Mood (1 to 5)")
    return [
        (
            craving_title,
            daily_chart(
                start,
                p.today,
                [(craving_title, "craving", craving, 10)],
                use_days,
                summary=summary(craving_title, craving),
            ),
        ),
        (
            mood_title,
            daily_chart(
                start, p.today, [(mood_title, "mood", mood, 5)], use_days, summary=summary(mood_title, mood)
            ),
        ),
    ]


def _days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "30")
    return int(raw) if raw in ("7", "30", "90") else 30


@require_safe
@login_required
def progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    view = services.get_progress(request.user, patient_id=None, days=_days(request))
    return render(
        request, "recovery/progress.html", {"view": view, "p": view.progress, "charts": _charts(view)}
    )


@require_http_methods(["GET", "POST"])
@login_required
def thought_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {f.name: request.POST.get(f.name, "") for f in tools.THOUGHT_RECORD}
        raw = {k: (_int_or_raw(v) if k.startswith("intensity") else v) for k, v in values.items()}
        try:
            services.save_thought_record(by=request.user, data=ThoughtRecordIn.posted(raw))
        except RecoveryInvalid as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Your thought record is saved. Well done for taking the time."))
            return HttpResponseRedirect(reverse("recovery:thoughts"))
    else:
        policy.get_patient_for_action_or_404(
            request.user, None, Action.READ, area=policy.Area.CLINICAL, audit_success=False
        )
    fields = [(f.name, *labels.THOUGHT_FIELDS[f.name], f.kind) for f in tools.THOUGHT_RECORD]
    return render(
        request,
        "recovery/thought_new.html",
        {"values": values, "errors": errors, "fields": fields},
        status=422 if errors else 200,
    )


@require_safe
@login_required
def thoughts(request: AuthenticatedHttpRequest) -> HttpResponse:
    _patient, rows = services.list_thought_records(request.user, patient_id=None)
    return render(request, "recovery/thoughts.html", {"records": [services.thought_out(t) for t in rows]})


@require_http_methods(["GET", "POST"])
@login_required
def skills(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.record_skill_try(
                by=request.user,
                data=SkillTryIn.posted({k: request.POST.get(k) for k in ("skill", "helped")}),
            )
            messages.success(request, _("Saved. Your list now puts what helps you first."))
        except RecoveryInvalid:
            messages.error(request, _("Choose a skill and whether it helped."))
        return HttpResponseRedirect(reverse("recovery:skills"))
    _patient, stats = services.skill_stats(request.user, patient_id=None)
    return render(request, "recovery/skills.html", {"skills": [(s, labels.SKILLS[s.code]) for s in stats]})


@require_safe
@login_required
def plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    view = services.get_plan(request.user, patient_id=None)
    return render(request, "recovery/plan.html", {"view": view, "sections": labels.plan_sections(view.plan)})


NO_PLAN_VERSION = 2**63  # past any plan's version (a database integer)


def plan_from_form(post: QueryDict) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """The plan's lists by name, and the people to call (rows left empty dropped), as the form sent them."""
    lists = {name: post.get(name, "").splitlines() for name in tools.PLAN_LISTS}
    names, phones = post.getlist("person_name"), post.getlist("person_phone")
    people = [{"name": n, "phone": p} for n, p in zip(names, phones, strict=False) if n.strip() or p.strip()]
    return lists, people


@require_http_methods(["GET", "POST"])
@login_required
def plan_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    marks: dict[str, str] = {}
    if request.method == "POST":
        lists, people = plan_from_form(request.POST)
        raw = {**lists, "people": people}
        version = _int_or_raw(request.POST.get("version"))
        try:
            # A version that is not a whole number was not read from any plan: stale, as always.
            read = version if isinstance(version, int) else NO_PLAN_VERSION
            services.save_plan(by=request.user, data=PlanIn.posted({"version": read, "plan": raw}))
        except RecoveryInvalid as exc:
            named = {**labels.plan_field_labels(), **labels.person_labels(people)}
            errors = field_words.labelled(exc.errors, named)  # review 29b H3; which person: lane look30
            marks = field_words.by_field(exc.errors)
        except services.StaleEdit:
            messages.error(request, _("Your plan was changed somewhere else. Here is the newest version."))
            return HttpResponseRedirect(reverse("recovery:plan_edit"))
        else:
            messages.success(request, _("Your plan is saved."))
            return HttpResponseRedirect(reverse("recovery:plan"))
        form = {name: "\n".join(lists[name]) for name in tools.PLAN_LISTS}
        version_shown = request.POST.get("version", "0")
    else:
        view = services.get_plan(request.user, patient_id=None)
        form = {name: "\n".join(getattr(view.plan, name)) for name in tools.PLAN_LISTS}
        # as rows to mark (`_marked_people` spreads each): a saved person is a schema, not a dict (type32d)
        people, version_shown = [p.model_dump() for p in view.plan.people], str(view.version)
    people = list(people) + [{"name": "", "phone": ""}] * max(0, 3 - len(people) + 1)
    return render(
        request,
        "recovery/plan_edit.html",
        {
            "people": _marked_people(people, marks),
            "people_error": marks.get("people", ""),
            "version": version_shown,
            "errors": errors,
            "sections": [
                (code, title, hint, form[code], _mark_of(marks, code))
                for code, title, hint in labels.plan_questions()
            ],
        },
        status=422 if errors else 200,
    )


def _mark_of(marks: dict[str, str], field: str) -> str:
    """A field's problem to show beside it: its own, or an item's of it ("triggers[2]" marks the
    triggers box; lane look31: the page said "check the parts marked below" and marked none)."""
    return marks.get(field) or next((why for key, why in marks.items() if key.startswith(f"{field}[")), "")


def _marked_people(people: list[dict[str, str]], marks: dict[str, str]) -> list[dict[str, str]]:
    """The people rows as shown, each with the problem of its name and of its phone (`people` in the order
    the form sent them to `save_plan`, so an error's index is the row's)."""
    return [
        {
            **person,
            "name_error": _mark_of(marks, f"people[{i}].name") or marks.get(f"people[{i}]", ""),
            "phone_error": _mark_of(marks, f"people[{i}].phone"),
        }
        for i, person in enumerate(people)
    ]


@require_safe
@login_required
def plan_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    view = services.get_plan(request.user, patient_id=None)
    body = pdf.plan_pdf(request, view)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="my-recovery-plan.pdf"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def reminders(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.add_reminder(
                by=request.user, kind=request.POST.get("kind", ""), at=request.POST.get("at", "")
            )
            messages.success(request, _("Reminder added."))
        except RecoveryInvalid as exc:
            messages.error(
                request,
                "; ".join(f"{labels.field_name(e.field)}: {field_words.on_page(e)}" for e in exc.errors),
            )
        return HttpResponseRedirect(reverse("recovery:reminders"))
    _patient, rows, due = services.list_reminders(request.user)
    return render(
        request, "recovery/reminders.html", {"reminders": rows, "due": due, "kinds": labels.reminder_kinds()}
    )


@require_POST
@login_required
def reminder_done(request: AuthenticatedHttpRequest, reminder_id: int) -> HttpResponse:
    services.mark_reminder_done(by=request.user, reminder_id=reminder_id)
    return _after_reminder(request)


@require_POST
@login_required
def reminder_delete(request: AuthenticatedHttpRequest, reminder_id: int) -> HttpResponse:
    services.delete_reminder(by=request.user, reminder_id=reminder_id)
    return _after_reminder(request)


def _after_reminder(request: AuthenticatedHttpRequest) -> HttpResponse:
    return HttpResponseRedirect(
        reverse("web:my_record") if request.POST.get("back") == "home" else reverse("recovery:reminders")
    )


@dataclass(frozen=True)
class MeetingRow:
    meeting: Meeting
    next_start: datetime | None
    miles: float | None

    @classmethod
    def of(cls, hit: MeetingHit) -> MeetingRow:
        km = hit.distance_km
        return cls(hit.meeting, hit.next_start, None if km is None else km / KM_PER_MILE)


@require_http_methods(["GET", "POST"])
@login_required
def meetings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Meetings starting soon near the person. The place is kept in the session only (never in the URL)."""
    from keel.directory import places
    from keel.directory.queries import MeetingSearch, search_meetings

    error = ""
    if request.method == "POST":
        text = request.POST.get("place", "").strip()
        try:
            places.find_place(text)
            request.session["recovery_place"] = text
            return HttpResponseRedirect(reverse("recovery:meetings"))
        except places.UnknownPlace as exc:
            error = str(exc)
    patient = policy.get_patient_for_action_or_404(
        request.user, None, Action.READ, area=policy.Area.RECOVERY, target_type="meetings_nearby"
    )
    place_text = request.session.get("recovery_place", "")
    nearby: list[MeetingHit] = []
    online: list[MeetingHit] = []
    if place_text:
        try:
            place = places.find_place(place_text)
            nearby, online = search_meetings(
                MeetingSearch(latitude=place.latitude, longitude=place.longitude, within_hours=3, limit=10),
                now=timezone.now(),
            )
        except places.UnknownPlace:
            place_text = ""
    attended = services.recent_attendance(request.user, patient_id=None, days=7)
    return render(
        request,
        "recovery/meetings.html",
        {
            "place": place_text,
            "nearby": [MeetingRow.of(h) for h in nearby],
            "online": [MeetingRow.of(h) for h in online[:5]],
            "error": error,
            "attended": attended,
            "patient": patient,
        },
        status=422 if error else 200,
    )


@require_POST
@login_required
def attend(request: AuthenticatedHttpRequest) -> HttpResponse:
    meeting_id = _int_or_raw(request.POST.get("meeting"))
    try:
        services.log_attendance(
            by=request.user,
            meeting_id=meeting_id if isinstance(meeting_id, int) else None,
            name=request.POST.get("name", ""),
        )
        messages.success(request, _("Meeting logged. Good for you for going."))
    except RecoveryInvalid:
        messages.error(request, _("Give the meeting's name."))
    return HttpResponseRedirect(reverse("recovery:meetings"))


# --- The care team's view ---------------------------------------------------------------------------------


@require_safe
@login_required
def patient_recovery(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Check-ins, progress, trends, plan and skills of one patient; thought records for clinical staff."""
    o = services.overview(request.user, patient_id=patient_id, days=_days(request))
    return render(
        request,
        "recovery/patient_recovery.html",
        {
            "patient": o.patient,
            "view": o.progress,
            "p": o.progress.progress,
            "charts": _charts(o.progress),
            "checkins": [services.checkin_out(c) for c in o.checkins],
            "plan_sections": labels.plan_sections(o.plan.plan),
            "plan_view": o.plan,
            "skills": [(s, labels.SKILLS[s.code]) for s in o.skills if s.tries],
            "thoughts": None if o.thoughts is None else [services.thought_out(t) for t in o.thoughts],
            "labels": labels.checkin_labels(),
        },
    )
