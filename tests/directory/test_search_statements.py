"""The meeting search's light rows and its one statement for the online chunks give what the plain ORM gives.

The reference below is the search as it was written before (full model instances from one ORM query per
chunk, every filter and sort in Python on them); the fast path must agree with it on a generated population,
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate

from keel.core.directory.geo import bounding_box, distance_km
from keel.directory import queries, services
from keel.directory.models import Attendance, Meeting
from keel.directory.queries import MeetingSearch, search_meetings

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
CENTRES = [(42.4625, -75.0491), (41.88, -87.63), (39.74, -104.99), (34.05, -118.24)]
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
TYPES = ["O", "C", "D", "SP", "ST", "W", "M", "S", "BE", "LGBTQ", "X"]


def _first(qs: Any, n: int) -> Any:
    """A window's first `n` meetings in the search's order: start time, then name as Python compares it."""
    name = Collate("name", "C") if connection.vendor == "postgresql" else F("name")
    return qs.order_by("start_time", name)[:n]


def _population(n: int = 400, seed: int = 3) -> None:
    rng = random.Random(seed)
    feed = []
    for i in range(n):
        place = rng.randrange(4)
        lat, lon = CENTRES[place]
        record: dict[str, Any] = {
            "name": f"Meeting {i % 97}",  # repeated names: the sort's tie-break on name is exercised
            "slug": f"m{i}",
            "day": rng.sample(range(7), rng.choice([1, 1, 2])),
            "time": f"{rng.randrange(0, 24):02d}:{rng.choice(['00', '15', '30', '45'])}",
            "timezone": ZONES[place],
            "types": rng.sample(TYPES, 3),
            "address": "1 Main St",
            "city": "Town",
        }
        if rng.random() < 0.4:
            record["conference_url"] = f"https://meet.example/{i}"
        else:
            record["latitude"] = round(lat + rng.uniform(-0.2, 0.2), 5)
            record["longitude"] = round(lon + rng.uniform(-0.2, 0.2), 5)
        feed.append(record)
    parsed = services.parse_meetings(
        json.dumps(feed).encode(), fmt="meeting-guide", default_tz="America/New_York", fellowship="na"
    )
    services.import_parsed(kind="meetings", parsed=parsed, source="test", fmt="meeting-guide")


def _orm_search(search: MeetingSearch, now: datetime) -> tuple[list[Any], list[Any]]:
    """The search before the fast path: model instances, one ORM query per chunk."""
    from django.db.models import Q

    nearby = []
    if search.latitude is not None and search.longitude is not None and search.attendance != "online":
        box = bounding_box(search.latitude, search.longitude, search.radius_km)
        either = {Attendance.IN_PERSON, Attendance.HYBRID}
        places = either if search.attendance is None else {search.attendance}
        qs = queries._base(search, now).filter(
            Q(latitude__gte=box.min_lat, latitude__lte=box.max_lat)
            & Q(longitude__gte=box.min_lon, longitude__lte=box.max_lon),
            attendance__in=places,
        )
        for m in qs.order_by():
            d = distance_km(search.latitude, search.longitude, m.latitude, m.longitude)  # type: ignore[arg-type]
            if d <= search.radius_km:
                ok, start = queries._passes(m, search, now)
                if ok:
                    nearby.append((m.pk, d, start, m.name))
        nearby.sort(key=lambda h: (h[1], h[3]))
    online = []
    if search.attendance in (None, "online"):
        soon = search if search.within_hours or search.day is not None else queries._with_hours(search, 24)
        qs = queries._base(soon, now).filter(attendance=Attendance.ONLINE)
        want = min(search.limit, queries.ONLINE_LIMIT)
        if soon.within_hours is not None:
            chunks = [
                list(_first(qs.filter(c), want) if exact else qs.filter(c))
                for c, exact in queries._starting_within(now, soon.within_hours)
            ]
        else:
            chunks = [list(qs)]
        seen: set[int] = set()
        for chunk in chunks:
            for m in chunk:
                if m.pk not in seen:
                    seen.add(m.pk)
                    ok, start = queries._passes(m, soon, now)
                    if ok:
                        online.append((m.pk, None, start, m.name))
        online.sort(key=lambda h: (h[2] or now + timedelta(days=365), h[3]))
    return nearby[: search.limit], online[:want] if online else []


def _fast(search: MeetingSearch, now: datetime) -> tuple[list[Any], list[Any]]:
    nearby, online = search_meetings(search, now=now)
    return (
        [(h.meeting.pk, h.distance_km, h.next_start, h.meeting.name) for h in nearby],
        [(h.meeting.pk, None, h.next_start, h.meeting.name) for h in online],
    )


SEARCHES = [
    {},
    {"within_hours": 24.0, "attendance": "in_person"},
    {"radius_km": 40.0, "part": "evening", "language": "es"},
    {"radius_km": 40.0, "type_code": "O", "limit": 10},
    {"day": 3},
    {"day": 0, "part": "morning", "attendance": "online"},
    {"within_hours": 72.0, "limit": 7},
    {"attendance": "hybrid", "radius_km": 30.0},
]


@pytest.mark.parametrize("extra", SEARCHES, ids=[str(s) or "plain" for s in SEARCHES])
def test_the_fast_search_gives_what_the_orm_search_gives(extra: dict[str, Any]) -> None:
    _population()
    for lat, lon in CENTRES:
        search = MeetingSearch(latitude=lat, longitude=lon, **({"radius_km": 25.0} | extra))
        for now in (NOW, NOW + timedelta(hours=9), NOW + timedelta(days=3, hours=17)):
            assert _fast(search, now) == _orm_search(search, now)


def test_the_population_gives_every_search_something_to_find() -> None:
    _population()
    search = MeetingSearch(latitude=CENTRES[0][0], longitude=CENTRES[0][1], radius_km=40.0)
    nearby, online = _fast(search, NOW)
    assert len(nearby) > 10
    assert len(online) > 10


@pytest.mark.parametrize(
    "extra",
    [{"language": "es"}, {"type_code": "O", "part": "evening"}, {}],
    ids=["language", "type and part", "plain"],
)
@pytest.mark.parametrize("per_window", [1, 5, 50])
def test_one_statement_for_the_windows_returns_the_rows_each_orm_chunk_returns(
    extra: dict[str, Any], per_window: int
) -> None:
    _population()
    for now in (NOW, NOW + timedelta(hours=9), NOW + timedelta(days=3, hours=17)):
        search = MeetingSearch(within_hours=30.0, **extra)
        qs = queries._base(search, now).filter(attendance=Attendance.ONLINE)
        chunks = [
            _first(qs.filter(c), per_window) if exact else qs.filter(c)
            for c, exact in queries._starting_within(now, 30.0)
        ]
        one_by_one = [c for chunk in chunks for c in queries._candidates(chunk, search)]
        windows = queries._windows(now, 30.0)
        assert len(windows) == len(chunks) > 4
        fast = queries._candidates_of_windows(qs, search, windows, per_window)
        assert sorted(fast) == sorted(one_by_one)
        assert one_by_one


def test_the_window_rows_carry_the_orm_types() -> None:
    _population()
    search = MeetingSearch(within_hours=24.0, type_code="O")
    qs = queries._base(search, NOW).filter(attendance=Attendance.ONLINE)
    row = queries._candidates_of_windows(qs, search, queries._windows(NOW, 24.0), 5)[0]
    meeting = Meeting.objects.get(pk=row.pk)
    assert (row.start_time, list(row.days), row.types) == (meeting.start_time, meeting.days, meeting.types)


def test_the_zone_skip_scan_gives_the_orm_distinct_zones() -> None:
    _population()
    # inactive and in-person meetings do not count; a zone whose only online meeting is inactive is left out
    Meeting.objects.filter(time_zone="America/Denver", attendance=Attendance.ONLINE).update(active=False)
    Meeting.objects.filter(pk=Meeting.objects.filter(attendance=Attendance.IN_PERSON).first().pk).update(  # type: ignore[union-attr]
        time_zone="Europe/Paris"
    )
    orm = (
        Meeting.objects.filter(active=True, attendance=Attendance.ONLINE)
        .order_by()
        .values_list("time_zone", flat=True)
        .distinct()
    )
    assert (
        queries.online_zones()
        == sorted(orm)
        == ["America/Chicago", "America/Los_Angeles", "America/New_York"]
    )
    Meeting.objects.all().delete()
    assert queries.online_zones() == []


def test_the_hand_written_statements_are_reads_that_never_wait_for_the_writers_lock() -> None:
    from keel.db.sqlite3.base import _writes

    # Keel's SQLite backend queues any statement not starting with SELECT (a WITH may write) behind imports
    assert not _writes(queries._ZONES_SQL)
    _population()
    search = MeetingSearch(within_hours=24.0)
    qs = queries._base(search, NOW).filter(attendance=Attendance.ONLINE)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        queries._candidates_of_windows(qs, search, queries._windows(NOW, 24.0), 5)
        search_meetings(MeetingSearch(latitude=CENTRES[0][0], longitude=CENTRES[0][1]), now=NOW)
    assert ctx.captured_queries
    assert not [q for q in ctx.captured_queries if _writes(q["sql"])]
