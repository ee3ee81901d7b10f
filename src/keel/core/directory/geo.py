"""Distances on the Earth (haversine, mean radius 6371.0088 km) and the bounding box that prefilters them."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_KM = 6371.0088
KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float
    wraps: bool = False  # crosses the antimeridian: longitude is outside [max_lon, min_lon] instead


def valid_point(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0 and not (lat == 0.0 and lon == 0.0)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_km: float) -> Box:
    """Every point within radius_km of (lat, lon) lies inside this box (a superset; distance decides).

    Longitude half-width is the exact extent of a circle on a sphere, asin(sin(d) / cos(lat)); the usual
    d / cos(lat) shortcut is slightly too narrow at the circle's edge.
    """
    d = radius_km / EARTH_KM + 1e-9  # angular radius, plus a hair so edge points are never lost to rounding
    min_lat, max_lat = lat - math.degrees(d), lat + math.degrees(d)
    if min_lat <= -90 or max_lat >= 90:  # a pole is inside: all longitudes
        return Box(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    ratio = math.sin(d) / math.cos(math.radians(lat))
    if ratio >= 1:
        return Box(min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(math.asin(ratio)) + 1e-9
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180:
        return Box(min_lat, max_lat, min_lon + 360, max_lon, wraps=True)
    if max_lon > 180:
        return Box(min_lat, max_lat, min_lon, max_lon - 360, wraps=True)
    return Box(min_lat, max_lat, min_lon, max_lon)
