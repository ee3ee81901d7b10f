"""Helpers for the directory attacks: meetings made directly, and the plain scan the search must equal."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from typing import Any

from keel.core.directory.geo import distance_km
from keel.core.directory.schedule import next_start, part_of_day

_ids = itertools.count(1)


def meeting(
    name: str,
    start: time,
    days: tuple[int, ...],
    zone: str = "America/New_York",
    attendance: str = "online",
    languages: tuple[str, ...] = ("en",),
    lat: float | None = None,
    lon: float | None = None,
    **extra: Any,
) -> Any:
    from keel.directory.models import Meeting

    n = next(_ids)
    return Meeting.objects.create(
        source="rev21",
        source_id=f"m{n}",
        name=name,
        fellowship="na",
        start_time=start,
        time_zone=zone,
        attendance=attendance,
        languages=list(languages),
        language_codes="".join(f"|{code}|" for code in languages),
        latitude=lat,
        longitude=lon,
        content_hash=f"h{n}",
        **{f"day_{d}": True for d in days},
        **extra,
    )


def plain_online(search: Any, now: datetime) -> list[tuple[str, datetime | None]]:
    """Every active online meeting read one by one, filtered and ordered as the search says it orders them."""
    from keel.directory.models import Meeting

    hours = search.within_hours
    if hours is None and search.day is None:
        hours = 24
    picked = []
    for m in Meeting.objects.filter(active=True, attendance="online"):
        if search.language and search.language not in m.languages:
            continue
        if search.part and part_of_day(m.start_time) != search.part:
            continue
        if search.fellowships and m.fellowship not in search.fellowships:
            continue
        days = (search.day,) if search.day is not None else tuple(m.days)
        if search.day is not None and search.day not in m.days:
            continue
        start = next_start(days, m.start_time, m.time_zone, now)
        if hours is not None and (start is None or start - now > timedelta(hours=hours)):
            continue
        picked.append((m.name, start))
    far = now + timedelta(days=365)
    picked.sort(key=lambda p: (p[1] or far, p[0]))
    return picked[: min(search.limit, 50)]


def plain_near(search: Any, now: datetime) -> list[str]:
    from keel.directory.models import Meeting

    picked = []
    for m in Meeting.objects.filter(active=True, attendance__in=["in_person", "hybrid"]):
        if m.latitude is None or m.longitude is None:
            continue
        d = distance_km(search.latitude, search.longitude, m.latitude, m.longitude)
        if d > search.radius_km:
            continue
        if search.language and search.language not in m.languages:
            continue
        picked.append((d, m.name))
    picked.sort()
    return [name for _, name in picked[: search.limit]]


def fast_online(search: Any, now: datetime) -> list[tuple[str, datetime | None]]:
    from keel.directory.queries import search_meetings

    _, online = search_meetings(search, now=now)
    return [(h.meeting.name, h.next_start) for h in online]
