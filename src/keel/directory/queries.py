"""Search the directory: an indexed bounding box in SQL first, then exact distance and time in Python.

Public data; no access policy applies (nothing here is patient data) and searches are not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from keel.core.directory.geo import KM_PER_MILE, bounding_box, distance_km
from keel.core.directory.schedule import next_start, part_of_day
from keel.directory.models import Attendance, Facility, Meeting

MAX_RADIUS_KM = 500.0
ONLINE_LIMIT = 50
ONLINE_DEFAULT_HOURS = (
    24  # online meetings have no place: list those starting soonest, within a day by default
)


class BadSearch(ValueError):
    """A search parameter is out of range; `field` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


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
        qs = _base(search, now).filter(
            Q(latitude__gte=box.min_lat, latitude__lte=box.max_lat) & lon_q, attendance__in=places
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
        for m in qs.iterator(chunk_size=2000):
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
    qs = Facility.objects.filter(Q(active=True, latitude__gte=box.min_lat, latitude__lte=box.max_lat) & lon_q)
    hits = []
    for f in qs:
        if service and service not in f.services:
            continue
        if payment and payment not in f.payments:
            continue
        d = distance_km(latitude, longitude, f.latitude, f.longitude)  # type: ignore[arg-type]
        if d <= radius_km:
            hits.append(FacilityHit(f, d))
    hits.sort(key=lambda h: (h.distance_km, h.facility.name))
    return hits[:limit]
