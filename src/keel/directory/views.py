"""Public pages to find meetings and treatment (no sign-in, nothing stored) and the admin's feed upload."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.core.digits import ascii_digits
from keel.core.directory.feeds import FELLOWSHIPS, PAYMENTS, SERVICES, NotAFeed
from keel.core.sources import cite
from keel.directory import params, queries, services
from keel.directory.api import directions_url, facility_directions, type_labels
from keel.directory.models import Attendance, Fellowship, Meeting
from keel.directory.queries import BadSearch, MeetingHit, sample_sources, search_facilities, search_meetings
from keel.directory.samples import REAL_CLINICS_SOURCE
from keel.directory.words import LANGUAGE_NAMES, TYPE_MEANINGS, language_name, search_error

if TYPE_CHECKING:  # the stubs' helper and the annotations' types, not needed at run time
    from django_stubs_ext import StrOrPromise

    from keel.accounts.models import Program
    from keel.directory.places import Place

KM_PER_MI = 1.609344
WEEKDAYS = [_("Sunday"), _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday")]
SERVICE_LABELS = {
    "otp": _("Methadone (opioid treatment program)"),
    "buprenorphine": _("Buprenorphine"),
    "naltrexone": _("Naltrexone"),
    "withdrawal": _("Withdrawal care"),
    "outpatient": _("Outpatient"),
    "intensive_outpatient": _("Intensive outpatient"),
    "residential": _("Residential"),
    "counseling": _("Counseling"),
    "peer_support": _("Peer support"),
    "harm_reduction": _("Harm reduction and naloxone"),
}
PAYMENT_LABELS = {
    "medicaid": _("Medicaid"),
    "medicare": _("Medicare"),
    "private": _("Private insurance"),
    "sliding_fee": _("Sliding fee"),
    "self_pay": _("Cash or self-pay"),
    "free": _("Free"),
}


def _lang() -> str:
    return (get_language() or "en")[:2]


def _reader_zone(place: Place | None) -> ZoneInfo:
    return ZoneInfo(getattr(place, "time_zone", None) or settings.TIME_ZONE)


def _tel(phone: str) -> str:
    """A phone number as a tel: link (digits, +, and the pause and extension marks only)."""
    digits = re.sub(r"[^0-9+,;*#]", "", phone or "")
    return f"tel:{digits}" if re.search(r"\d", digits) else ""


@dataclass(frozen=True)
class MeetingRow:
    """A meeting as the finder lists it: the meeting, its words, its next start in the reader's zone, its
    distance (miles or km, as asked; None: online or no place), its links, and whether it is a sample."""

    meeting: Meeting
    fellowship: StrOrPromise  # labels, translated when shown
    attendance: StrOrPromise
    days: str
    next_start: datetime | None
    distance: float | None
    types: list[dict[str, str]]  # code and label (`directory.api.type_labels`)
    directions: str
    join: str
    join_host: str
    join_phone: str
    sample: bool


def _meeting_row(hit: MeetingHit, zone: ZoneInfo, use_miles: bool, samples: set[str]) -> MeetingRow:
    m = hit.meeting
    distance = None
    if hit.distance_km is not None:
        distance = hit.distance_km / KM_PER_MI if use_miles else hit.distance_km
    link = m.conference_url
    return MeetingRow(
        meeting=m,
        fellowship=Fellowship(m.fellowship).label,
        attendance=Attendance(m.attendance).label,
        days=", ".join(str(WEEKDAYS[d]) for d in m.days),
        next_start=hit.next_start.astimezone(zone) if hit.next_start else None,
        distance=distance,
        types=type_labels(m.types, _lang()),
        directions=directions_url(m.latitude, m.longitude) if m.attendance != "online" else "",
        join=link,
        join_host=urlsplit(link).netloc if link.startswith("http") else link,
        join_phone=_tel(m.conference_phone),
        sample=m.source in samples,
    )


def _with(query: QueryDict, **changes: Any) -> str:
    """The same search with some parameters changed (a link to try next)."""
    params = query.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = str(value)
    params.pop("lat", None) if "place" in changes else None
    params.pop("lon", None) if "place" in changes else None
    return "?" + params.urlencode()


@dataclass(frozen=True)
class PlaceChoice:
    """A place the search could have meant, and the same search there."""

    label: str
    href: str


@dataclass(frozen=True)
class SearchError:
    """Why a search was refused, beside its field (place, radius or another), in plain words, with the places
    it could have meant."""

    field: str
    reason: str
    choices: list[PlaceChoice]


def _page_error(exc: BadSearch, query: QueryDict) -> SearchError:
    choices = [PlaceChoice(label=c, href=_with(query, place=c)) for c in exc.params.get("choices", ())]
    return SearchError(
        field="place" if exc.field in ("place", "lat", "lon") else exc.field,
        reason=search_error(exc, miles=not query.get("radius_km")),
        choices=choices,
    )


WIDER_MILES = (5, 10, 25, 50, 100)
FIND_SOURCES = ("samhsa-helpline", "findtreatment", "lifeline-988", "na-org", "smart-recovery")


def _wider(query: QueryDict, default: int) -> str:
    """A link to the same search over the next larger distance, or "" at the largest."""
    try:
        now = float(query.get("radius_mi") or default)
    except ValueError:
        now = default
    bigger = [m for m in WIDER_MILES if m > now]
    return _with(query, radius_mi=bigger[0], radius_km="") if bigger else ""


def _active_filters(query: QueryDict) -> list[str]:
    """The filters the visitor chose, in words, shown above the results."""
    out: list[str] = []
    day = str(query.get("day", ""))
    if ascii_digits(day) and int(day) < 7:
        out.append(str(WEEKDAYS[int(day)]))
    labels = {
        "within_hours": {"2": _("Starting in the next 2 hours"), "24": _("In the next 24 hours")},
        "part": {"morning": _("Morning"), "afternoon": _("Afternoon"), "evening": _("Evening")},
        "attendance": dict(Attendance.choices),
        "fellowship": {"families": _("For family and friends"), **dict(Fellowship.choices)},
        "language": {code: name for code, name in LANGUAGE_NAMES.items()},
        "service": SERVICE_LABELS,
        "payment": PAYMENT_LABELS,
    }
    for key, table in labels.items():
        value = query.get(key)
        if value and value in table:
            out.append(str(table[value]))
    return out


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(
        request, template, {"sources": cite(*FIND_SOURCES), "public": True, **context}, status=status
    )


@require_safe
def find_meetings(request: HttpRequest) -> HttpResponse:
    query = request.GET
    context: dict[str, Any] = {
        "q": query,
        "weekdays": list(enumerate(WEEKDAYS)),
        "fellowships": Fellowship.choices,
        "attendance_choices": [c for c in Attendance.choices if c[0] != Attendance.INACTIVE],
        "distances": WIDER_MILES,
        "active": _active_filters(query),
    }
    searched = any(query.get(k) for k in ("place", "zip", "lat", "attendance"))
    if searched:
        use_miles = not query.get("radius_km")
        try:
            search, place = params.meeting_search(query)
            nearby, online = search_meetings(search, now=timezone.now())
        except BadSearch as exc:
            context["error"] = _page_error(exc, query)
            return _page(request, "directory/find_meetings.html", context, status=422)
        zone = _reader_zone(place)
        samples = sample_sources() if nearby or online else set()  # one query a page, not one a row
        nearby_rows = [_meeting_row(h, zone, use_miles, samples) for h in nearby]
        online_rows = [_meeting_row(h, zone, use_miles, samples) for h in online]
        shown = {t["code"] for r in (*nearby_rows, *online_rows) for t in r.types}
        context |= {
            "searched": True,
            "place": place,
            "unit": _("mi") if use_miles else _("km"),
            "nearby": nearby_rows,
            "online": online_rows,
            "wider": _wider(query, 10),
            "online_href": _with(query, attendance="online", place="", radius_mi="", radius_km=""),
            "meanings": [
                (type_labels([t], _lang())[0]["label"], TYPE_MEANINGS[t]) for t in TYPE_MEANINGS if t in shown
            ],
        }
    return _page(request, "directory/find_meetings.html", context)


@require_safe
def find_facilities(request: HttpRequest) -> HttpResponse:
    query = request.GET
    context: dict[str, Any] = {
        "q": query,
        "services": [(s, SERVICE_LABELS[s]) for s in SERVICES],
        "payments": [(p, PAYMENT_LABELS[p]) for p in PAYMENTS],
        "spoken": list(LANGUAGE_NAMES.items()),
        "distances": WIDER_MILES,
        "active": _active_filters(query),
    }
    if query.get("place") or query.get("lat"):
        try:
            lat, lon, place = params.place_from(query)
            if lat is None or lon is None:
                raise BadSearch("place", "give a ZIP code or city", "empty")
            hits = search_facilities(
                latitude=lat,
                longitude=lon,
                radius_km=params.radius_km(query, 25),
                service=query.get("service") or None,
                payment=query.get("payment") or None,
                language=query.get("language") or None,
            )
        except BadSearch as exc:
            context["error"] = _page_error(exc, query)
            return _page(request, "directory/find_facilities.html", context, status=422)
        samples = sample_sources(kind="facilities")
        context |= {
            "searched": True,
            "place": place,
            "wider": _wider(query, 25),
            "facilities": [
                {
                    "facility": h.facility,
                    "distance": h.distance_km / KM_PER_MI,
                    "services": [SERVICE_LABELS.get(s, s) for s in h.facility.services],
                    "payments": [PAYMENT_LABELS.get(p, p) for p in h.facility.payments],
                    "languages": [language_name(c) for c in h.facility.languages],
                    "directions": facility_directions(h.facility),
                    "call": _tel(h.facility.phone),
                    "sample": h.facility.source in samples,
                    "samhsa_2017": h.facility.source == REAL_CLINICS_SOURCE,
                }
                for h in hits
            ],
        }
    return _page(request, "directory/find_facilities.html", context)


class ImportForm(forms.Form):
    program = forms.ChoiceField(label=_("For the program"))
    kind = forms.ChoiceField(
        label=_("What"), choices=[("meetings", _("Meetings")), ("facilities", _("Facilities"))]
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("meeting-guide", "Meeting Guide JSON"), ("bmlt", "BMLT JSON"), ("csv", _("Facility CSV"))],
    )
    file = forms.FileField(label=_("Feed file"))
    source = forms.CharField(
        label=_("Feed name"),
        max_length=100,
        required=False,
        help_text=_("Re-importing the same feed name updates it in place."),
    )
    timezone = forms.CharField(label=_("Time zone for meetings without one"), max_length=64, required=False)
    fellowship = forms.ChoiceField(
        label=_("Fellowship (Meeting Guide feeds)"),
        choices=[("", _("As the feed says")), *((f, Fellowship(f).label) for f in FELLOWSHIPS)],
        required=False,
    )

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programs = {str(p.pk): p for p in programs}
        self.fields["program"].choices = [(str(p.pk), p.name) for p in programs]  # type: ignore[attr-defined]

    def clean_timezone(self) -> str:
        zone = self.cleaned_data["timezone"] or settings.TIME_ZONE
        try:
            ZoneInfo(zone)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            raise forms.ValidationError(_("Unknown time zone.")) from None
        return str(zone)


@require_http_methods(["GET", "POST"])
@login_required
def import_feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Program admins upload a meeting feed or facility list and see the import report."""
    if not policy.may_import_feeds(request.user):
        raise PermissionDenied
    form = ImportForm(
        request.POST or None, request.FILES or None, programs=queries.importing_programs(request.user)
    )
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            content = upload.read(services.MAX_FEED_BYTES + 1)
            if len(content) > services.MAX_FEED_BYTES:
                raise NotAFeed("the file is too large")
            if data["kind"] == "meetings":
                parsed = services.parse_meetings(
                    content,
                    fmt=data["format"],
                    default_tz=data["timezone"],
                    fellowship=data["fellowship"] or None,
                    source=data["source"] or upload.name,
                )
            else:
                parsed = services.parse_facilities(content)
            context["report"] = services.import_parsed(
                kind=data["kind"],
                parsed=parsed,
                source=data["source"] or upload.name,
                fmt=data["format"],
                by=request.user,
                program=form.programs[data["program"]],
            )
        except NotAFeed as exc:
            context["failure"] = str(exc)
            status = 422
    elif request.method == "POST":
        status = 422
    return render(request, "directory/import.html", context, status=status)
