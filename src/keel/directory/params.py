"""Read search parameters once for the API, the pages and the CLI: a place, a radius and filters."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from keel.core.directory.geo import KM_PER_MILE
from keel.directory.models import FAMILY_FELLOWSHIPS, Fellowship
from keel.directory.places import Place, UnknownPlace, find_place
from keel.directory.queries import MAX_RADIUS_KM, BadSearch, MeetingSearch, miles


def _float(params: Mapping[str, Any], name: str) -> float | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise BadSearch(name, "must be a number") from None
    if not math.isfinite(number):  # "nan", "inf": a traceback in _int, a silent nothing elsewhere
        raise BadSearch(name, "must be a number")
    return number


def _int(params: Mapping[str, object], name: str) -> int | None:
    value = _float(params, name)
    if value is None:
        return None
    if value != int(value):
        raise BadSearch(name, "must be a whole number")
    return int(value)


def place_from(params: Mapping[str, object]) -> tuple[float | None, float | None, Place | None]:
    """lat/lon if given, else a ZIP code or a city in `place` (or `zip`)."""
    lat, lon = _float(params, "lat"), _float(params, "lon")
    text = str(params.get("place") or params.get("zip") or "").strip()
    if lat is None and lon is None and text:
        try:
            place = find_place(text)
        except UnknownPlace as exc:
            raise BadSearch("place", str(exc), exc.code, {"text": exc.text, "choices": exc.choices}) from None
        return place.latitude, place.longitude, place
    return lat, lon, None


def radius_km(params: Mapping[str, object], default_miles: float = 10) -> float:
    km, mi = _float(params, "radius_km"), _float(params, "radius_mi")
    if km is not None and mi is not None:
        raise BadSearch("radius_km", "give radius_km or radius_mi, not both")
    if km is not None:
        return km
    value = miles(mi if mi is not None else default_miles)
    if not 0 < value <= MAX_RADIUS_KM:  # named as sent: the visitor chose miles
        raise BadSearch("radius_mi", f"must be more than 0 and at most {MAX_RADIUS_KM / KM_PER_MILE:.0f} mi")
    return value


def fellowships(value: Any) -> tuple[str, ...]:
    """One fellowship code, or "families" for the groups for family and friends (Nar-Anon, Al-Anon)."""
    code = str(value or "")
    if not code:
        return ()
    if code == "families":
        return tuple(f.value for f in FAMILY_FELLOWSHIPS)
    if code not in Fellowship.values:
        raise BadSearch("fellowship", f"use one of {', '.join([*Fellowship.values, 'families'])}")
    return (code,)


def meeting_search(params: Mapping[str, object]) -> tuple[MeetingSearch, Place | None]:
    """The search and the place it found (None when lat/lon were given)."""
    lat, lon, place = place_from(params)
    search = MeetingSearch(
        latitude=lat,
        longitude=lon,
        radius_km=radius_km(params),
        within_hours=_float(params, "within_hours"),
        day=_int(params, "day"),
        part=str(params.get("part") or "") or None,
        attendance=str(params.get("attendance") or "") or None,
        fellowships=fellowships(params.get("fellowship")),
        language=str(params.get("language") or "") or None,
        type_code=str(params.get("type") or "") or None,
        limit=_given(_int(params, "limit"), 50),  # 0 is a bad limit (422), not "the default"
    )
    search.check()
    return search, place


def _given(value: int | None, default: int) -> int:
    """`value` when the search gave one (0 included: `check` refuses it by name), else `default`."""
    return default if value is None else value
