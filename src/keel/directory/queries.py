"""Search the directory: an indexed bounding box in SQL first, then exact distance and time in Python.

Candidates come back as light tuples (the columns distance, time and the filters need); only the meetings that
make the page are loaded as model instances, in one query (`_load`).

Public data; no access policy applies (nothing here is patient data) and searches are not stored. The one
read that asks the policy is `importing_programs`, the programs a staff member may import feeds for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet

from keel.access import policy
from keel.accounts.models import Program, User
from keel.core.directory.geo import KM_PER_MILE, bounding_box, distance_km
from keel.core.directory.schedule import AFTERNOON_ENDS, MORNING_ENDS, next_start, part_of_day
from keel.directory.models import Attendance, Facility, FeedSource, Meeting

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


class _Window(NamedTuple):
    """Online meetings of one zone whose local weekday is `weekday` and whose wall-clock start is in
    [lower, upper]: a chunk of the "starting soon" search, which SQL can order by start time."""

    zone: str
    lower: time
    upper: time
    weekday: int
    # Whether the window's earliest rows by (start time, name) are the earliest meetings to come: true when
    # its zone's clocks do not change during it, so a wall-clock start at or after `lower` is at or after
    # now. Near a change the window has an hour of slack each side and is read whole (review 21: with the
    # slack, meetings already under way filled a window's LIMIT and hid the next one).
    exact: bool = True


def _windows(now: datetime, hours: float) -> list[_Window]:
    """The (zone, local day) windows of online meetings starting in [now, now + hours] in their own zone."""
    windows: list[_Window] = []
    for zone in online_zones():
        tz = ZoneInfo(zone)
        before, after = (
            (now - timedelta(hours=1)).astimezone(tz),
            (now + timedelta(hours=hours + 1)).astimezone(tz),
        )
        exact = before.utcoffset() == after.utcoffset()
        if exact:  # from the first whole minute at or after now (a meeting at 10:00 has begun at 10:00:30)
            local = now.astimezone(tz)
            if local.second or local.microsecond:
                local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
            end = (now + timedelta(hours=hours)).astimezone(tz)
        else:  # an hour of slack each side: wall-clock arithmetic across the change may be off by an hour
            local = now.astimezone(tz) - timedelta(hours=1)
            end = now.astimezone(tz) + timedelta(hours=hours + 1)
        day = local.date()
        while day <= end.date():
            lower = local.time().replace(second=0, microsecond=0) if day == local.date() else time.min
            upper = end.time() if day == end.date() else time.max
            windows.append(_Window(zone, lower, upper, (day.weekday() + 1) % 7, exact))
            day += timedelta(days=1)
    return windows


def _starting_within(now: datetime, hours: float) -> list[tuple[Q, bool]]:
    """The windows of `_windows` as ORM conditions, one per (zone, local day) (exact check follows), each
    with whether its earliest rows are the earliest to come (`_Window.exact`)."""
    return [
        (
            Q(
                time_zone=w.zone,
                start_time__gte=w.lower,
                start_time__lte=w.upper,
                **{f"day_{w.weekday}": True},
            ),
            w.exact,
        )
        for w in _windows(now, hours)
    ]


def name_order(vendor: str) -> str:
    """The SQL collation clause that orders names as Python does (code point by code point): PostgreSQL's
    "C"; SQLite's default (BINARY) already does."""
    return ' COLLATE "C"' if vendor == "postgresql" else ""


# Begins with SELECT, not WITH: Keel's SQLite backend queues every statement that does not (it may write)
# behind the writers' lock, and a search must never wait for an import.
_ZONES_SQL = """SELECT found.zone FROM (
    WITH RECURSIVE zones(zone) AS (
        SELECT (SELECT m.{zone} FROM {table} AS m WHERE m.{attendance} = %s AND m.{active}
                ORDER BY m.{zone} LIMIT 1)
        UNION ALL
        SELECT (SELECT m.{zone} FROM {table} AS m
                WHERE m.{attendance} = %s AND m.{active} AND m.{zone} > zones.zone
                ORDER BY m.{zone} LIMIT 1)
        FROM zones WHERE zones.zone IS NOT NULL
    )
    SELECT zone FROM zones
) AS found WHERE found.zone IS NOT NULL
"""


def online_zones() -> list[str]:
    """The time zones of the active online meetings, in order: the ORM's
    `filter(active=True, attendance="online").values_list("time_zone").distinct()`, but as a skip scan of the
    (attendance, time_zone, start_time) index, one step per zone, instead of reading every online meeting
    (27 ms of a 58 ms search on PostgreSQL at 100,000 meetings). Equal to the ORM's
    (`tests/directory/test_search_statements.py`)."""
    connection = connections[Meeting.objects.db]
    quote = connection.ops.quote_name
    sql = _ZONES_SQL.format(
        table=quote(Meeting._meta.db_table),
        zone=quote("time_zone"),
        attendance=quote("attendance"),
        active=quote("active"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Attendance.ONLINE.value, Attendance.ONLINE.value])
        return [zone for (zone,) in cursor.fetchall()]


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


_DAY_FIELDS = tuple(f"day_{d}" for d in range(7))
_LIGHT_FIELDS = ("pk", "name", "latitude", "longitude", "start_time", "time_zone", *_DAY_FIELDS)


class _Candidate(NamedTuple):
    """The columns a search filters and sorts on; full rows are loaded only for the hits that are shown."""

    pk: int
    name: str
    latitude: float | None
    longitude: float | None
    start_time: time
    time_zone: str
    days: tuple[int, ...]  # as Meeting.days, once per row (was a property, computed on every use)
    languages: list[str]
    types: list[str]


def _light(qs: QuerySet[Meeting], search: MeetingSearch) -> tuple[QuerySet[Any], list[str]]:
    """`qs` as light rows; languages and types (JSON to decode) only when the search filters on them."""
    extra = [f for f, wanted in (("languages", search.language), ("types", search.type_code)) if wanted]
    return qs.values_list(*_LIGHT_FIELDS, *extra), extra


def _as_candidates(rows: Iterable[Sequence[Any]], extra: list[str]) -> list[_Candidate]:
    """Candidates of light rows; a weekday flag may be a bool or SQLite's 0/1 (only its truth is read)."""
    languages_at = 13 + extra.index("languages") if "languages" in extra else None
    types_at = 13 + extra.index("types") if "types" in extra else None
    return [
        _Candidate(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            tuple(d for d in range(7) if row[6 + d]),
            [] if languages_at is None else row[languages_at],
            [] if types_at is None else row[types_at],
        )
        for row in rows
    ]


def _candidates(qs: QuerySet[Meeting], search: MeetingSearch) -> list[_Candidate]:
    rows, extra = _light(qs, search)
    return _as_candidates(rows, extra)


def _window_chunk(
    sql: str, connection: BaseDatabaseWrapper, table: str, w: _Window, index: int, per_window: int
) -> str:
    """One window's part of the UNION ALL: the ORM-compiled `sql` narrowed to the window's zone, start times
    and weekday (its values parameters), its first `per_window` rows in the final order when `exact`."""
    quote = connection.ops.quote_name
    zone, start = f"{table}.{quote('time_zone')}", f"{table}.{quote('start_time')}"
    name = f"{table}.{quote('name')}"
    day = f"{table}.{quote(f'day_{w.weekday}')}"
    chunk = sql
    if connection.vendor == "sqlite":
        # SQLite's planner prefers (attendance, time_zone, start_time), three equal columns, over the
        # weekday's partial index, and cannot match a bound 'online' to the index's WHERE: named here,
        # with the literal that proves the index applies (a missing index is an error, not a slow scan).
        index_name = quote(f"meeting_online_day{w.weekday}")
        chunk = sql.replace(f"FROM {table}", f"FROM {table} INDEXED BY {index_name}", 1)
        chunk += f" AND {table}.{quote('attendance')} = '{Attendance.ONLINE.value}'"
    # ORM-compiled SQL (its WHERE always holds `active`) and quoted names; every value is a parameter
    # The window's first rows in the final order (start, then name, as Python compares them); a window
    # across a clock change is read whole.
    limit = (
        f"ORDER BY {start}, {name}{name_order(connection.vendor)} LIMIT {int(per_window)}" if w.exact else ""
    )
    return (
        f"SELECT * FROM ({chunk} AND {zone} = %s AND {start} >= %s AND {start} <= %s AND {day} "  # noqa: S608  # nosec B608
        f"{limit}) AS chunk_{index}"
    )


def _candidates_of_windows(
    qs: QuerySet[Meeting], search: MeetingSearch, windows: list[_Window], per_window: int
) -> list[_Candidate]:
    """The light rows of `qs.filter(<window>).order_by("start_time", name)[:per_window]` for every window
    (the whole window when it is not `exact`), in one statement: `SELECT * FROM (<qs> AND <window> ORDER BY
    start_time, name LIMIT n) UNION ALL ...`. `qs` is
    compiled by the ORM once (not once per window: that compiling was a fifth of a search's CPU), each window
    appends its zone, start times and weekday as parameters, and the rows are converted by the ORM's
    converters. Equal to the ORM's chunks one by one (`tests/directory/test_search_statements.py`)."""
    if not windows:
        return []
    rows, extra = _light(qs.order_by(), search)
    compiler = rows.query.get_compiler(using=rows.db)
    sql, base_params = compiler.as_sql()
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    table = quote(Meeting._meta.db_table)
    field = Meeting._meta.get_field("start_time")
    parts: list[str] = []
    params: list[Any] = []
    for index, w in enumerate(windows):
        parts.append(_window_chunk(sql, connection, table, w, index, per_window))
        params.extend(base_params)
        params.extend(
            [
                w.zone,
                field.get_db_prep_value(w.lower, connection),
                field.get_db_prep_value(w.upper, connection),
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        fetched: Iterable[Sequence[Any]] = cursor.fetchall()
    converters = compiler.get_converters([col for col, _, _ in compiler.select[: compiler.col_count]])
    # The weekday flags are read for their truth only: SQLite's 0/1 need no conversion to bool (7 converter
    # calls per row, a tenth of a search's CPU on SQLite)
    day_columns = range(6, 13)
    converters = {i: c for i, c in converters.items() if i not in day_columns}
    if converters:
        fetched = compiler.apply_converters(fetched, converters)
    return _as_candidates(fetched, extra)


def _load(
    *picked: list[tuple[_Candidate, float | None, datetime | None]],
) -> list[list[MeetingHit]]:
    """The chosen candidates of each list as hits, in their order, with full meetings loaded in one query."""
    pks = {c.pk for hits in picked for c, _, _ in hits}
    meetings = Meeting.objects.in_bulk(list(pks)) if pks else {}
    return [
        [MeetingHit(meetings[c.pk], d, start) for c, d, start in hits if c.pk in meetings] for hits in picked
    ]


_Starts = dict[tuple[tuple[int, ...], time, str], datetime | None]


def _passes(
    m: Meeting | _Candidate, search: MeetingSearch, now: datetime, starts: _Starts | None = None
) -> tuple[bool, datetime | None]:
    """Whether the meeting passes the Python-side filters, and its next start. `starts` memoizes next starts
    for one search (one `now`): many candidates share a zone, weekdays and start time."""
    if search.language and search.language not in m.languages:
        return False, None
    if search.type_code and search.type_code not in m.types:
        return False, None
    if search.part and part_of_day(m.start_time) != search.part:
        return False, None
    days = (search.day,) if search.day is not None else tuple(m.days)  # a tuple already for a candidate
    if starts is None:
        start = next_start(days, m.start_time, m.time_zone, now)
    else:
        key = (days, m.start_time, m.time_zone)
        if key in starts:
            start = starts[key]
        else:
            start = starts[key] = next_start(days, m.start_time, m.time_zone, now)
    if search.within_hours is not None and (
        start is None or start - now > timedelta(hours=search.within_hours)
    ):
        return False, None
    return True, start


_Hit = tuple[_Candidate, float | None, datetime | None]  # a meeting, its distance (km), its next start


def search_meetings(search: MeetingSearch, *, now: datetime) -> tuple[list[MeetingHit], list[MeetingHit]]:
    """(nearby meetings by distance, online meetings by next start). Raises BadSearch."""
    search.check()
    starts: _Starts = {}
    near: list[_Hit] = []
    if (
        search.latitude is not None
        and search.longitude is not None
        and search.attendance != Attendance.ONLINE
    ):
        near = _nearby(search, search.latitude, search.longitude, now, starts)
    soonest: list[_Hit] = []
    if search.attendance in (None, Attendance.ONLINE):
        soonest = _online_soonest(search, now, starts)
    nearby, online = _load(near[: search.limit], soonest[: min(search.limit, ONLINE_LIMIT)])
    return nearby, online


def _nearby(
    search: MeetingSearch, latitude: float, longitude: float, now: datetime, starts: _Starts
) -> list[_Hit]:
    """In-person and hybrid meetings within the radius that pass the search, nearest first (a box in SQL,
    the distance here)."""
    box = bounding_box(latitude, longitude, search.radius_km)
    lon_q = (
        (Q(longitude__gte=box.min_lon) | Q(longitude__lte=box.max_lon))
        if box.wraps
        else Q(longitude__gte=box.min_lon, longitude__lte=box.max_lon)
    )
    places = {Attendance.IN_PERSON, Attendance.HYBRID} if search.attendance is None else {search.attendance}
    qs = (
        _base(search, now)
        .filter(Q(latitude__gte=box.min_lat, latitude__lte=box.max_lat) & lon_q, attendance__in=places)
        .order_by()  # sorted by distance below; no SQL sort needed
    )
    near: list[_Hit] = []
    for c in _candidates(qs, search):
        if c.latitude is None or c.longitude is None:  # never: the box's filter reads only placed rows
            continue
        d = distance_km(latitude, longitude, c.latitude, c.longitude)
        if d > search.radius_km:
            continue
        ok, start = _passes(c, search, now, starts)
        if ok:
            near.append((c, d, start))
    near.sort(key=lambda h: (h[1] or 0, h[0].name))
    return near


def _online_soonest(search: MeetingSearch, now: datetime, starts: _Starts) -> list[_Hit]:
    """Online meetings that pass the search (within the default hours when no time was asked), soonest
    first."""
    soon = (
        search if search.within_hours or search.day is not None else _with_hours(search, ONLINE_DEFAULT_HOURS)
    )
    qs = _base(soon, now).filter(attendance=Attendance.ONLINE)
    want = min(search.limit, ONLINE_LIMIT)
    # Within a (zone, local day) chunk, start_time order is time order: the earliest few of each suffice
    # (every other filter already ran in SQL).
    if soon.within_hours is not None:
        found = _candidates_of_windows(qs, soon, _windows(now, soon.within_hours), want)
    else:  # a whole weekday was asked for: every online meeting that day
        found = _candidates(qs, soon)
    soonest: list[_Hit] = []
    seen: set[int] = set()
    for c in found:
        if c.pk in seen:  # a meeting on two of the window's days is in two chunks
            continue
        seen.add(c.pk)
        ok, start = _passes(c, soon, now, starts)
        if ok:
            soonest.append((c, None, start))
    far_future = now + timedelta(days=365)
    soonest.sort(key=lambda h: (h[2] or far_future, h[0].name))
    return soonest


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
        if f.latitude is None or f.longitude is None:  # never: the box's filter reads only placed rows
            continue
        d = distance_km(latitude, longitude, f.latitude, f.longitude)
        if d <= radius_km:
            hits.append(FacilityHit(f, d))
    hits.sort(key=lambda h: (h.distance_km, h.facility.name))
    return hits[:limit]


def sample_sources(kind: str | None = None) -> set[str]:
    """The names of the sample feeds (synthetic records for the demo, shown as samples), of one `kind` when
    named: one statement a page, not one a row."""
    feeds = FeedSource.objects.filter(is_sample=True)
    if kind is not None:
        feeds = feeds.filter(kind=kind)
    return set(feeds.values_list("name", flat=True))


def importing_programs(user: User | AnonymousUser) -> list[Program]:
    """The programs a user may import feeds for: a program admin's own programs."""
    if not policy.may_import_feeds(user):  # anonymous: no program
        return []
    return list(Program.objects.filter(memberships__user=user).order_by("name"))
