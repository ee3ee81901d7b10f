"""Search the directory: an indexed bounding box in SQL first, then exact distance and time in Python.

Public data; no access policy applies (nothing here is patient data) and searches are not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from keel.core.directory.geo import KM_PER_MILE, bounding_box, distance_km
from keel.core.directory.schedule import AFTERNOON_ENDS, MORNING_ENDS, next_start, part_of_day
from keel.directory.models import Attendance, Facility, Meeting

MAX_RADIUS_KM = 500.0
ONLINE_LIMIT = 50
ONLINE_DEFAULT_HOURS = (
    24  # online meetings have no place: list those starting soonest, within a day by default
)


class BadSearch(ValueError):
    """A search parameter is out of range; `field` names it, `reason` says why (English, for the API and the
    CLI), `code` and `params` let the pages say it in the visitor's words (`keel.directory.words`)."""

    def __init__(self, field: str, reason: str, code: str = "", params: dict[str, Any] | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class MeetingSearch:
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float = 16.09344  # 10 miles
    within_hours: float | None = None
    day: int | None = None  # 0 = Sunday
    part: str | None = None  # morning, afternoon, evening
    attendance: str | None = None  # in_person, online, hybrid
    fellowships: tuple[str, ...] = ()  # any of these; empty = all
    language: str | None = None
    type_code: str | None = None
    limit: int = 50

    def check(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise BadSearch("lat", "give both lat and lon")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise BadSearch("lat", "must be between -90 and 90")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise BadSearch("lon", "must be between -180 and 180")
        if not 0 < self.radius_km <= MAX_RADIUS_KM:
            raise BadSearch("radius_km", f"must be more than 0 and at most {MAX_RADIUS_KM:g} km")
        if self.within_hours is not None and not 0 < self.within_hours <= 168:
            raise BadSearch("within_hours", "must be more than 0 and at most 168")
        if self.day is not None and not 0 <= self.day <= 6:
            raise BadSearch("day", "use 0 (Sunday) to 6 (Saturday)")
        if self.part not in (None, "morning", "afternoon", "evening"):
            raise BadSearch("part", "use morning, afternoon or evening")
        if self.attendance not in (None, *Attendance.values):
            raise BadSearch("attendance", "use in_person, online or hybrid")
        if not 1 <= self.limit <= 200:
            raise BadSearch("limit", "must be between 1 and 200")


def miles(value: float) -> float:
    return value * KM_PER_MILE


@dataclass(frozen=True)
class MeetingHit:
    meeting: Meeting
    distance_km: float | None
    next_start: datetime | None


def _starting_within(now: datetime, hours: float) -> list[Q]:
    """Online meetings whose local weekday and wall-clock start fall in [now, now + hours] in their own zone:
    one condition per (zone, local day), each of which SQL can order by start time (exact check follows)."""
    zones = (
        Meeting.objects.filter(active=True, attendance=Attendance.ONLINE)
        .order_by()  # no Meta ordering: it would make DISTINCT return every row
        .values_list("time_zone", flat=True)
        .distinct()
    )
    conditions: list[Q] = []
    for zone in zones:
        # An hour of slack each side: wall-clock arithmetic near a DST change may be off by one hour.
        local = now.astimezone(ZoneInfo(zone)) - timedelta(hours=1)
        end = now.astimezone(ZoneInfo(zone)) + timedelta(hours=hours + 1)
        day = local.date()
        while day <= end.date():
            lower = local.time().replace(second=0, microsecond=0) if day == local.date() else time.min
            upper = end.time() if day == end.date() else time.max
            weekday = (day.weekday() + 1) % 7
            conditions.append(
                Q(time_zone=zone, start_time__gte=lower, start_time__lte=upper, **{f"day_{weekday}": True})
            )
            day += timedelta(days=1)
    return conditions


def _with_hours(search: MeetingSearch, hours: float) -> MeetingSearch:
    from dataclasses import replace

    return replace(search, within_hours=hours)


def _days_filter(search: MeetingSearch, now: datetime) -> Q:
    if search.day is not None:
        return Q(**{f"day_{search.day}": True})
    if search.within_hours is not None:
        # Every zone's local weekday lies within a day of UTC's: the SQL prefilter keeps those days only.
        first = now - timedelta(days=1)
        last = now + timedelta(hours=search.within_hours) + timedelta(days=1)
        days: set[int] = set()
        d = first
        while d <= last:
            days.add((d.weekday() + 1) % 7)
            d += timedelta(days=1)
        if len(days) < 7:
            q = Q()
            for day in days:
                q |= Q(**{f"day_{day}": True})
            return q
    return Q()


def _base(search: MeetingSearch, now: datetime) -> QuerySet[Meeting]:
    qs = Meeting.objects.filter(active=True).exclude(attendance=Attendance.INACTIVE)
    if search.fellowships:
        qs = qs.filter(fellowship__in=search.fellowships)
    if search.language:
        qs = qs.filter(language_codes__contains=f"|{search.language}|")
    if search.type_code:
        qs = qs.filter(type_codes__contains=f"|{search.type_code}|")
    if search.part == "morning":
        qs = qs.filter(start_time__lt=MORNING_ENDS)
    elif search.part == "afternoon":
        qs = qs.filter(start_time__gte=MORNING_ENDS, start_time__lt=AFTERNOON_ENDS)
    elif search.part == "evening":
        qs = qs.filter(start_time__gte=AFTERNOON_ENDS)
    return qs.filter(_days_filter(search, now))


def _passes(m: Meeting, search: MeetingSearch, now: datetime) -> tuple[bool, datetime | None]:
    """Whether the meeting passes the Python-side filters, and its next start."""
    if search.language and search.language not in m.languages:
        return False, None
    if search.type_code and search.type_code not in m.types:
        return False, None
    if search.part and part_of_day(m.start_time) != search.part:
        return False, None
    days = [search.day] if search.day is not None else m.days
    start = next_start(days, m.start_time, m.time_zone, now)
    if search.within_hours is not None and (
        start is None or start - now > timedelta(hours=search.within_hours)
    ):
        return False, None
    return True, start


def search_meetings(search: MeetingSearch, *, now: datetime) -> tuple[list[MeetingHit], list[MeetingHit]]:
    """(nearby meetings by distance, online meetings by next start). Raises BadSearch."""
    search.check()
    nearby: list[MeetingHit] = []
    if (
        search.latitude is not None
        and search.longitude is not None
        and search.attendance != Attendance.ONLINE
    ):
        box = bounding_box(search.latitude, search.longitude, search.radius_km)
        lon_q = (
            (Q(longitude__gte=box.min_lon) | Q(longitude__lte=box.max_lon))
            if box.wraps
            else Q(longitude__gte=box.min_lon, longitude__lte=box.max_lon)
        )
        places = (
            {Attendance.IN_PERSON, Attendance.HYBRID} if search.attendance is None else {search.attendance}
        )
        qs = (
            _base(search, now)
            .filter(Q(latitude__gte=box.min_lat, latitude__lte=box.max_lat) & lon_q, attendance__in=places)
            .order_by()  # sorted by distance below; no SQL sort needed
        )
        for m in qs:
            d = distance_km(search.latitude, search.longitude, m.latitude, m.longitude)  # type: ignore[arg-type]
            if d > search.radius_km:
                continue
            ok, start = _passes(m, search, now)
            if ok:
                nearby.append(MeetingHit(m, d, start))
        nearby.sort(key=lambda h: (h.distance_km or 0, h.meeting.name))
    online: list[MeetingHit] = []
    if search.attendance in (None, Attendance.ONLINE):
        soon = (
            search
            if search.within_hours or search.day is not None
            else _with_hours(search, ONLINE_DEFAULT_HOURS)
        )
        qs = _base(soon, now).filter(attendance=Attendance.ONLINE)
        want = min(search.limit, ONLINE_LIMIT)
        # Within a (zone, local day) chunk, start_time order is time order: the earliest few of each suffice
        # (every other filter already ran in SQL).
        per_chunk = want
        if soon.within_hours is not None:
            chunks = [
                qs.filter(c).order_by("start_time")[:per_chunk]
                for c in _starting_within(now, soon.within_hours)
            ]
        else:  # a whole weekday was asked for: every online meeting that day
            chunks = [qs]
        seen: set[int] = set()
        for chunk in chunks:
            for m in chunk:
                if m.pk in seen:  # a meeting on two of the window's days is in two chunks
                    continue
                seen.add(m.pk)
                ok, start = _passes(m, soon, now)
                if ok:
                    online.append(MeetingHit(m, None, start))
        far_future = now + timedelta(days=365)
        online.sort(key=lambda h: (h.next_start or far_future, h.meeting.name))
    return nearby[: search.limit], online[: min(search.limit, ONLINE_LIMIT)]


@dataclass(frozen=True)
class FacilityHit:
    facility: Facility
    distance_km: float


def search_facilities(
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
    service: str | None = None,
    payment: str | None = None,
    language: str | None = None,
    limit: int = 50,
) -> list[FacilityHit]:
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise BadSearch("lat", "latitude -90..90 and longitude -180..180")
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise BadSearch("radius_km", f"must be more than 0 and at most {MAX_RADIUS_KM:g} km")
    box = bounding_box(latitude, longitude, radius_km)
    lon_q = (
        (Q(longitude__gte=box.min_lon) | Q(longitude__lte=box.max_lon))
        if box.wraps
        else Q(longitude__gte=box.min_lon, longitude__lte=box.max_lon)
    )
    qs = Facility.objects.filter(
        Q(active=True, latitude__gte=box.min_lat, latitude__lte=box.max_lat) & lon_q
    ).order_by()
    hits = []
    for f in qs:
        if service and service not in f.services:
            continue
        if payment and payment not in f.payments:
            continue
        if language and language not in f.languages:
            continue
        d = distance_km(latitude, longitude, f.latitude, f.longitude)  # type: ignore[arg-type]
        if d <= radius_km:
            hits.append(FacilityHit(f, d))
    hits.sort(key=lambda h: (h.distance_km, h.facility.name))
    return hits[:limit]
