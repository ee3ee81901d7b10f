"""Normalise meeting feeds and facility lists into plain records; reject bad records one by one.

A bad record never stops the others: each comes back as a Rejection with its index and the reason.
A document that is not a feed at all raises NotAFeed, and the caller changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from keel.core.directory.geo import valid_point

FELLOWSHIPS = ("na", "aa", "smart", "nar-anon", "al-anon", "recovery-dharma", "other")
FELLOWSHIP_NAMES = {
    "na": "Narcotics Anonymous",
    "aa": "Alcoholics Anonymous",
    "smart": "SMART Recovery",
    "nar-anon": "Nar-Anon",
    "al-anon": "Al-Anon",
    "recovery-dharma": "Recovery Dharma",
    "other": "other",
}
ATTENDANCE = ("in_person", "online", "hybrid", "inactive")
SERVICES = (
    "otp",
    "buprenorphine",
    "naltrexone",
    "withdrawal",
    "outpatient",
    "intensive_outpatient",
    "residential",
    "counseling",
    "peer_support",
    "harm_reduction",
)
PAYMENTS = ("medicaid", "medicare", "private", "sliding_fee", "self_pay", "free")


# A link from a feed is kept only with one of these schemes (never javascript:, data:, file: ...).
LINK_SCHEMES = ("https", "http", "tel", "mailto")
ZoneAt = Callable[[float, float], str | None]  # (latitude, longitude) -> IANA zone, or None at sea


class NotAFeed(ValueError):
    """The document is not a feed of the expected format."""


@dataclass(frozen=True)
class Rejection:
    index: int
    reason: str
    name: str = ""


@dataclass(frozen=True)
class MeetingRecord:
    source_id: str
    name: str
    fellowship: str
    days: tuple[int, ...]  # 0 = Sunday
    start: time
    end: time | None
    time_zone: str
    attendance: str
    types: tuple[str, ...]
    location_name: str = ""
    address: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    approximate: bool = False
    conference_url: str = ""
    conference_phone: str = ""
    conference_notes: str = ""
    languages: tuple[str, ...] = ()
    notes: str = ""
    source_updated_at: str = ""
    timezone_from_default: bool = False
    timezone_from_place: bool = False
    links_dropped: int = 0
    fellowship_stated: bool = True  # False: no fellowship given or found; decided for the whole feed
    index: int = -1  # position in the feed, for reports


@dataclass(frozen=True)
class FacilityRecord:
    source_id: str
    name: str
    address: str
    city: str
    region: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    phone: str = ""
    website: str = ""
    services: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    data_as_of: date | None = None
    links_dropped: int = 0
    index: int = -1


@dataclass
class Parsed:
    records: list[Any] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@cache
def meeting_types() -> dict[str, dict[str, str]]:
    """Meeting Guide type codes -> {language: label} (from the spec's type list)."""
    path = resources.files("keel.core.directory") / "meeting_types.json"
    labels: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return labels


# Type codes that name a language the meeting is held in (Meeting Guide list), to ISO 639-1.
LANGUAGE_TYPES = {
    "EN": "en",
    "S": "es",
    "FR": "fr",
    "DE": "de",
    "ITA": "it",
    "POR": "pt",
    "POL": "pl",
    "RUS": "ru",
    "KOR": "ko",
    "JA": "ja",
    "AR": "ar",
    "HE": "he",
    "HI": "hi",
    "FA": "fa",
    "UK": "uk",
    "TL": "tl",
    "ASL": "ase",
}


class _Bad(ValueError):
    pass


_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _time(raw: Any, field_name: str) -> time:
    match = _TIME.match(str(raw or "").strip())
    if not match:
        raise _Bad(f"bad {field_name} {raw!r}: use HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24 and minute == 0:
        hour, minute = 23, 59  # some feeds write midnight as 24:00
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise _Bad(f"bad {field_name} {raw!r}: hours 0-23, minutes 0-59")
    return time(hour, minute)


def _zone(
    raw: Any,
    default: str | None,
    point: tuple[float | None, float | None] = (None, None),
    zone_at: ZoneAt | None = None,
) -> tuple[str, str]:
    """(zone, where it came from): "feed", "place" (the meeting's coordinates) or "default"."""
    name = str(raw or "").strip()
    if not name:
        lat, lon = point
        if zone_at is not None and lat is not None and lon is not None:
            found = zone_at(lat, lon)
            if found:
                return found, "place"
        if not default:
            raise _Bad("no timezone: give the feed's zone with --timezone")
        return default, "default"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Bad(f"unknown timezone {name!r}") from None
    return name, "feed"


def _link(raw: Any, limit: int = 500) -> tuple[str, bool]:
    """(the link, or "" if it was dropped; whether one was dropped). Only LINK_SCHEMES are kept."""
    text = _text(raw, limit)
    if not text:
        return "", False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "", True
    try:
        parts = urlsplit(text)
    except ValueError:
        return "", True
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES or (scheme in ("http", "https") and not parts.netloc):
        return "", True
    if scheme in ("tel", "mailto") and not parts.path:
        return "", True
    return text, False


def _zone_notes(records: list[MeetingRecord], default_tz: str | None, field_name: str) -> list[str]:
    notes = []
    placed = Counter(r.time_zone for r in records if r.timezone_from_place)
    if placed:
        zones = ", ".join(f"{zone} {n}" for zone, n in placed.most_common())
        notes.append(
            f"{sum(placed.values())} meetings had no {field_name}; took each one's zone from its "
            f"coordinates ({zones})"
        )
    defaulted = sum(r.timezone_from_default for r in records)
    if defaulted:
        notes.append(f"{defaulted} meetings had no {field_name}; used {default_tz}")
    dropped = sum(r.links_dropped for r in records)
    if dropped:
        notes.append(f"{dropped} links dropped: only {', '.join(LINK_SCHEMES)} links are kept")
    return notes


# Words in a meeting's own fields (name, group, entity, links) that say which fellowship it is, checked in
# this order (Al-Anon before AA). In those fields upper-case "NA" only: "na" is a common word in Spanish.
_FELLOWSHIP_WORDS = (
    ("al-anon", re.compile(r"al-?anon|alateen", re.I)),
    ("nar-anon", re.compile(r"nar-?anon", re.I)),
    ("smart", re.compile(r"smart\s*recovery", re.I)),
    ("recovery-dharma", re.compile(r"recovery\s*dharma", re.I)),
    ("aa", re.compile(r"alcoholics\s+anonymous|\bAA\b|\baa\.org\b", re.I)),
    ("na", re.compile(r"(?i:narcotics\s+anonymous|\bna\.org\b)|\bNA\b")),
)
# A source's own name ("quinte-aa", "district 9 NA"): the short names in any case.
_SOURCE_WORDS = (
    ("aa", re.compile(r"(?<![a-z])aa(?![a-z])", re.I)),
    ("na", re.compile(r"(?<![a-z])na(?![a-z])", re.I)),
)
# Meeting types that only one fellowship uses: AA's own literature (Meeting Guide codes).
_FELLOWSHIP_TYPES = {"B": "aa", "ABSI": "aa", "12x12": "aa", "LS": "aa", "GR": "aa", "DR": "aa"}
_FELLOWSHIP_FIELDS = ("name", "group", "entity", "entity_url", "url", "entity_location")


def stated_fellowship(raw: dict[str, Any], source: str = "") -> str | None:
    """The fellowship a Meeting Guide record, or its source's name, says it is; else None."""
    for text in [str(raw.get(f) or "") for f in _FELLOWSHIP_FIELDS]:
        for code, pattern in _FELLOWSHIP_WORDS:
            if text and pattern.search(text):
                return code
    for code, pattern in (*_FELLOWSHIP_WORDS, *_SOURCE_WORDS):
        if source and pattern.search(source):
            return code
    for t in raw.get("types") or []:
        if isinstance(t, str) and t in _FELLOWSHIP_TYPES:
            return _FELLOWSHIP_TYPES[t]
    return None


def _coords(lat: Any, lon: Any) -> tuple[float | None, float | None]:
    if lat in (None, "") and lon in (None, ""):
        return None, None
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        raise _Bad(f"bad coordinates {lat!r}, {lon!r}") from None
    if not valid_point(la, lo):
        raise _Bad(f"bad coordinates {la}, {lo}: latitude -90..90, longitude -180..180, not 0,0")
    return la, lo


def _text(raw: Any, limit: int = 500) -> str:
    return ("" if raw is None else str(raw)).strip()[:limit]


def _attendance(has_place: bool, online: bool, closed: bool) -> str:
    if has_place and not closed:
        return "hybrid" if online else "in_person"
    return "online" if online else "inactive"


# --- Meeting Guide ----------------------------------------------------------------------------------


def parse_meeting_guide(
    document: Any,
    *,
    default_tz: str | None,
    fellowship: str | None = None,
    zone_at: ZoneAt | None = None,
    source: str = "",
) -> Parsed:
    """The Code for Recovery Meeting Guide feed: a JSON array of meetings.

    A meeting without a timezone takes its zone from its coordinates (`zone_at`), else `default_tz`; the
    notes say how many. Without `fellowship`, each meeting's fellowship is what it (or the source's name)
    says; meetings that say nothing take the one fellowship the rest of the feed names, else "other"."""
    if not isinstance(document, list):
        raise NotAFeed("a Meeting Guide feed is a JSON array of meetings")
    if document and not any(isinstance(r, dict) and ("name" in r or "slug" in r) for r in document[:50]):
        raise NotAFeed("this JSON array does not hold meetings (no 'name' or 'slug' fields)")
    out = Parsed()
    for index, raw in enumerate(document):
        try:
            record = _meeting_guide_record(raw, default_tz, fellowship, zone_at, source)
        except _Bad as exc:
            name = raw.get("name", "") if isinstance(raw, dict) else ""
            out.rejections.append(Rejection(index, str(exc), _text(name, 100)))
            continue
        out.records.append(replace(record, index=index))
    out.notes.extend(_zone_notes(out.records, default_tz, "timezone"))
    _settle_fellowship(out)
    return out


def _settle_fellowship(out: Parsed) -> None:
    silent = [r for r in out.records if not r.fellowship_stated]
    if not silent:
        return
    named = {r.fellowship for r in out.records if r.fellowship_stated}
    if len(named) == 1:
        code = named.pop()
        out.records = [replace(r, fellowship=code) if not r.fellowship_stated else r for r in out.records]
        out.notes.append(
            f"{len(silent)} meetings did not say their fellowship; the rest of the feed is "
            f"{FELLOWSHIP_NAMES.get(code, code)}"
        )
    else:
        out.notes.append(
            f"{len(silent)} meetings did not say their fellowship and are listed as other: "
            "give the feed's fellowship (--fellowship)"
        )


def _meeting_name_and_slug(raw: dict[str, Any]) -> tuple[str, Any]:
    """A Meeting Guide meeting's name (at most 200 characters) and slug (the source's id); _Bad if missing."""
    name = _text(raw.get("name"), 200)
    if not name:
        raise _Bad("missing name")
    slug = raw.get("slug")
    if slug in (None, ""):
        raise _Bad("missing slug")
    return name, slug


def _meeting_days(day: Any) -> list[int]:
    """A Meeting Guide `day`: 0 (Sunday) to 6 (Saturday), or a list of them; _Bad otherwise."""
    listed: list[Any] = day if isinstance(day, list) else [day]
    if not listed or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in listed):
        raise _Bad(f"bad day {day!r}: use 0 (Sunday) to 6 (Saturday) or a list of them")
    return [int(d) for d in listed]


def _meeting_guide_record(
    raw: Any, default_tz: str | None, fellowship: str | None, zone_at: ZoneAt | None, source: str
) -> MeetingRecord:
    if not isinstance(raw, dict):
        raise _Bad("not a meeting object")
    name, slug = _meeting_name_and_slug(raw)
    days = _meeting_days(raw.get("day"))
    start = _time(raw.get("time"), "time")
    end = _time(raw["end_time"], "end_time") if raw.get("end_time") else None
    lat, lon = _coords(raw.get("latitude"), raw.get("longitude"))
    zone, zone_from = _zone(raw.get("timezone"), default_tz, (lat, lon), zone_at)
    types = tuple(str(t) for t in (raw.get("types") or []) if str(t).strip())
    conference_url, dropped = _link(raw.get("conference_url"))
    conference_phone = _text(raw.get("conference_phone"), 100)
    approximate = str(raw.get("approximate", "")).lower() in {"yes", "true", "1"}
    has_place = lat is not None and not approximate
    stated = fellowship if fellowship in FELLOWSHIPS else stated_fellowship(raw, source)
    return MeetingRecord(
        source_id=str(slug),
        name=name,
        fellowship=stated or "other",
        fellowship_stated=stated is not None,
        days=tuple(sorted(set(days))),
        start=start,
        end=end,
        time_zone=zone,
        attendance=_attendance(has_place, bool(conference_url or conference_phone), "TC" in types),
        types=types,
        location_name=_text(raw.get("location"), 200),
        address=_text(raw.get("address"), 300),
        city=_text(raw.get("city"), 100),
        region=_text(raw.get("state"), 100),
        postal_code=_text(raw.get("postal_code"), 20),
        country=_text(raw.get("country"), 60),
        latitude=lat,
        longitude=lon,
        approximate=approximate,
        conference_url=conference_url,
        conference_phone=conference_phone,
        conference_notes=_text(raw.get("conference_url_notes")),
        languages=tuple(sorted({LANGUAGE_TYPES[t] for t in types if t in LANGUAGE_TYPES})),
        notes=_text(raw.get("notes"), 2000),
        source_updated_at=_text(raw.get("updated"), 40),
        timezone_from_default=zone_from == "default",
        timezone_from_place=zone_from == "place",
        links_dropped=int(dropped),
    )


# --- BMLT -----------------------------------------------------------------------------------------------

# BMLT world format keys -> Meeting Guide type codes (keys not listed are kept as "BMLT:<key>").
BMLT_FORMATS = {
    "O": "O",
    "C": "C",
    "D": "D",
    "SP": "SP",
    "ST": "ST",
    "LIT": "LIT",
    "ME": "MED",
    "W": "W",
    "M": "M",
    "Y": "Y",
    "GL": "LGBTQ",
    "BEG": "BE",
    "NC": "BE",
    "WCHR": "X",
    "WC": "X",
    "ES": "S",
    "EN": "EN",
    "CAN": "CAN",
    "SMOK": "SM",
    "CW": "CF",
    "TC": "TC",
    "ASL": "ASL",
    "FR": "FR",
    "DE": "DE",
}
BMLT_VENUE = {1: "in_person", 2: "online", 3: "hybrid"}


def parse_bmlt(document: Any, *, default_tz: str | None, zone_at: ZoneAt | None = None) -> Parsed:
    """A BMLT semantic-API GetSearchResults JSON response (a list of meetings, or {"meetings": [...]})."""
    if isinstance(document, dict) and isinstance(document.get("meetings"), list):
        document = document["meetings"]
    if not isinstance(document, list):
        raise NotAFeed("a BMLT GetSearchResults response is a JSON array of meetings")
    if document and not any(isinstance(r, dict) and "id_bigint" in r for r in document[:50]):
        raise NotAFeed("this JSON array is not BMLT meetings (no 'id_bigint' fields)")
    out = Parsed()
    for index, raw in enumerate(document):
        try:
            record = _bmlt_record(raw, default_tz, zone_at)
        except _Bad as exc:
            name = raw.get("meeting_name", "") if isinstance(raw, dict) else ""
            out.rejections.append(Rejection(index, str(exc), _text(name, 100)))
            continue
        out.records.append(replace(record, index=index))
    out.notes.extend(_zone_notes(out.records, default_tz, "time_zone"))
    return out


def _bmlt_record(raw: Any, default_tz: str | None, zone_at: ZoneAt | None) -> MeetingRecord:
    name, weekday = _bmlt_name_and_day(raw)
    start = _time(raw.get("start_time"), "start_time")
    end = _bmlt_end(raw, start)
    lat, lon = _coords(raw.get("latitude"), raw.get("longitude"))
    zone, zone_from = _zone(raw.get("time_zone"), default_tz, (lat, lon), zone_at)
    keys = [k.strip() for k in str(raw.get("formats") or "").split(",") if k.strip()]
    types = tuple(BMLT_FORMATS.get(k, f"BMLT:{k}") for k in keys)
    link, dropped = _link(raw.get("virtual_meeting_link"))
    phone = _text(raw.get("phone_meeting_number"), 100)
    return MeetingRecord(
        source_id=str(raw["id_bigint"]).strip(),
        name=name,
        fellowship="na",
        days=((weekday - 1),),
        start=start,
        end=end,
        time_zone=zone,
        attendance=_bmlt_attendance(raw.get("venue_type"), lat is not None, bool(link or phone), types),
        types=types,
        location_name=_text(raw.get("location_text"), 200),
        address=", ".join(p for p in (_text(raw.get("location_street")),) if p),
        city=_text(raw.get("location_municipality"), 100),
        region=_text(raw.get("location_province"), 100),
        postal_code=_text(raw.get("location_postal_code_1"), 20),
        country=_text(raw.get("location_nation"), 60),
        latitude=lat,
        longitude=lon,
        conference_url=link,
        conference_phone=phone,
        conference_notes=_text(raw.get("virtual_meeting_additional_info")),
        languages=tuple(sorted({LANGUAGE_TYPES[t] for t in types if t in LANGUAGE_TYPES})),
        notes=_text(
            " ".join(p for p in (_text(raw.get("comments")), _text(raw.get("location_info"))) if p), 2000
        ),
        timezone_from_default=zone_from == "default",
        timezone_from_place=zone_from == "place",
        links_dropped=int(dropped),
    )


def _weekday(value: object) -> int | None:
    """A BMLT weekday as the feeds send it: a whole number or its ASCII digits. Anything else is no weekday
    (a float such as 2.5 or infinity is not truncated into a day: the fuzz test found `inf` crashing int)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,2}\s*", value, re.ASCII):
        return int(value)
    return None


def _bmlt_name_and_day(raw: Any) -> tuple[str, int]:
    """A meeting object with a name, an id and a weekday of 1 (Sunday) to 7."""
    if not isinstance(raw, dict):
        raise _Bad("not a meeting object")
    name = _text(raw.get("meeting_name"), 200)
    if not name:
        raise _Bad("missing name")
    if not str(raw.get("id_bigint", "")).strip():
        raise _Bad("missing id_bigint")
    weekday = _weekday(raw.get("weekday_tinyint", ""))
    if weekday is None:
        raise _Bad(f"bad weekday_tinyint {raw.get('weekday_tinyint')!r}: use 1 (Sunday) to 7")
    if not 1 <= weekday <= 7:
        raise _Bad(f"bad weekday_tinyint {weekday}: use 1 (Sunday) to 7")
    return name, weekday


def _bmlt_end(raw: dict[str, Any], start: time) -> time | None:
    """The end: the start plus duration_time, past midnight wrapped; None without a duration."""
    end = None
    if raw.get("duration_time"):
        duration = _time(raw["duration_time"], "duration_time")
        minutes = start.hour * 60 + start.minute + duration.hour * 60 + duration.minute
        end = time((minutes // 60) % 24, minutes % 60)
    return end


def _bmlt_attendance(venue_type: Any, located: bool, reachable: bool, types: tuple[str, ...]) -> str:
    """How to attend, from BMLT's venue type: in person or hybrid needs a place (else online when there is a
    link or phone, or inactive); a temporary closure (TC) leaves only online. Without a known venue type,
    from the place, link and TC."""
    try:
        venue = int(venue_type or 0)
    except (TypeError, ValueError):
        venue = 0
    if venue in BMLT_VENUE:
        attendance = BMLT_VENUE[venue]
        if attendance in {"in_person", "hybrid"} and not located:
            attendance = "online" if reachable else "inactive"
        if "TC" in types:
            attendance = (
                "online"
                if attendance == "hybrid"
                else ("inactive" if attendance == "in_person" else attendance)
            )
    else:
        attendance = _attendance(located, reachable, "TC" in types)
    return attendance


# --- Facility CSV ---------------------------------------------------------------------------------------

FACILITY_COLUMNS = (
    "id",
    "name",
    "street",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "phone",
    "website",
    "services",
    "payment",
    "languages",
    "data_as_of",
)
FACILITY_REQUIRED = ("id", "name")


def _codes(raw: str, allowed: tuple[str, ...], column: str) -> tuple[str, ...]:
    codes = tuple(sorted({c.strip().lower() for c in raw.replace(",", ";").split(";") if c.strip()}))
    unknown = [c for c in codes if c not in allowed]
    if unknown:
        raise _Bad(f"unknown {column} {', '.join(unknown)}: use {', '.join(allowed)}")
    return codes


def parse_facility_csv(text: str) -> Parsed:
    """Keel's facility CSV: a header row with the FACILITY_COLUMNS names (README documents each), after any
    lines starting with "#" (notes on the file's source)."""
    try:
        return _parse_facility_csv(text)
    except csv.Error as exc:  # e.g. a line break inside an unquoted field
        raise NotAFeed(f"not a readable CSV: {exc}") from None


def _parse_facility_csv(text: str) -> Parsed:
    out = Parsed()
    for index, row in enumerate(_facility_rows(text)):
        # cells past the header (a list under the key None) and cells a short row lacks (None) are ignored
        row = {k.strip().lower(): v.strip() for k, v in row.items() if k is not None and isinstance(v, str)}
        try:
            out.records.append(_facility_record(row, index))
        except _Bad as exc:
            out.rejections.append(Rejection(index, str(exc), row.get("name", "")[:100]))
    links_dropped = sum(r.links_dropped for r in out.records)
    if links_dropped:
        out.notes.append(f"{links_dropped} links dropped: only {', '.join(LINK_SCHEMES)} links are kept")
    return out


def _facility_rows(text: str) -> csv.DictReader[str]:
    """The facility CSV's rows after its own notes (lines before the header that start with "#": its source
    and licence); NotAFeed when the header lacks a required column."""
    lines = text.splitlines(keepends=True)
    comments = 0
    while comments < len(lines) and lines[comments].startswith("#"):
        comments += 1
    reader = csv.DictReader(io.StringIO("".join(lines[comments:]), newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in FACILITY_REQUIRED if c not in header]
    if missing:
        raise NotAFeed(f"not a facility CSV: the header lacks {', '.join(missing)}")
    return reader


def _facility_record(row: dict[str, str], index: int) -> FacilityRecord:
    """One facility from its row (cells trimmed, names lower case); _Bad naming the first problem."""
    if not row.get("id"):
        raise _Bad("missing id")
    if not row.get("name"):
        raise _Bad("missing name")
    lat, lon = _coords(row.get("latitude"), row.get("longitude"))
    as_of = None
    website, dropped = _link(row.get("website", ""), 300)
    if row.get("data_as_of"):
        try:
            as_of = datetime.strptime(row["data_as_of"], "%Y-%m-%d").date()
        except ValueError:
            raise _Bad(f"bad data_as_of {row['data_as_of']!r}: use YYYY-MM-DD") from None
    return FacilityRecord(
        source_id=row["id"],
        name=row["name"][:200],
        address=row.get("street", "")[:300],
        city=row.get("city", "")[:100],
        region=row.get("state", "")[:100],
        postal_code=row.get("zip", "")[:20],
        latitude=lat,
        longitude=lon,
        phone=row.get("phone", "")[:40],
        website=website,
        services=_codes(row.get("services", ""), SERVICES, "services"),
        payments=_codes(row.get("payment", ""), PAYMENTS, "payment"),
        languages=tuple(
            sorted({c.strip().lower() for c in row.get("languages", "").split(";") if c.strip()})
        ),
        data_as_of=as_of,
        links_dropped=int(dropped),
        index=index,
    )
