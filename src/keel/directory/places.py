"""Turn a US ZIP code or "City, ST" into coordinates, from the ZIP centroids embedded in `zipcodes`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import zipcodes


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str
    time_zone: str | None = None


class UnknownPlace(ValueError):
    pass


_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_CITY = re.compile(r"^\s*(?P<city>[^,]+?)\s*,\s*(?P<state>[A-Za-z]{2})\s*$")


@lru_cache(maxsize=4096)
def find_place(text: str) -> Place:
    """A ZIP code (12345 or 12345-6789) or "City, ST". Raises UnknownPlace with a plain reason."""
    text = (text or "").strip()
    if _ZIP.match(text):
        try:
            matches = zipcodes.matching(text[:5])  # type: ignore[no-untyped-call]
        except (TypeError, ValueError):
            matches = []
        if not matches or not matches[0].get("lat"):
            raise UnknownPlace(f"we do not know the ZIP code {text[:5]}")
        z = matches[0]
        return Place(
            float(z["lat"]), float(z["long"]), f"{z['city']}, {z['state']} {z['zip_code']}", z.get("timezone")
        )
    match = _CITY.match(text)
    if match:
        candidates = zipcodes.filter_by(  # type: ignore[no-untyped-call]
            city=match["city"].title(), state=match["state"].upper()
        )
        found = [z for z in candidates if z.get("lat")]
        if not found:
            raise UnknownPlace(f"we do not know {match['city'].title()}, {match['state'].upper()}")
        lat = sum(float(z["lat"]) for z in found) / len(found)
        lon = sum(float(z["long"]) for z in found) / len(found)
        return Place(lat, lon, f"{found[0]['city']}, {found[0]['state']}", found[0].get("timezone"))
    raise UnknownPlace("enter a 5-digit ZIP code or a city and state, like Oneonta, NY")
