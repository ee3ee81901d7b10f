"""The demo's directory: synthetic sample meetings and clinics around the demo programs (marked as samples
everywhere they show), and a real public Meeting Guide feed shipped with Keel (45 AA meetings around
Belleville, Ontario, 2017, from the Code for Recovery spec repository, MIT licence) and a real clinic list:
the opioid treatment programs in SAMHSA's 2017 national directory (public domain; positions are ZIP code
centroids; built by `tools/build_samhsa_otp.py`). Idempotent: imports are upserts by (source, id), so running
the demo again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from keel.core.directory.feeds import Parsed, parse_facility_csv, parse_meeting_guide
from keel.directory import services
from keel.directory.services import ImportReport

REAL_FEED = "meeting-guide-feed-quinte-2017.json"
REAL_SOURCE = "quinte-aa-2017"
REAL_CLINICS = "samhsa-otp-2017.csv"
REAL_CLINICS_SOURCE = "samhsa-otp-2017"  # the views show this source's provenance note on each of its clinics
SAMPLE_MEETINGS = "demo-sample-meetings"
SAMPLE_CLINICS = "demo-sample-clinics"


@dataclass(frozen=True)
class DemoPlace:
    program: str  # the demo program's slug
    town: str
    state: str
    postal_code: str
    latitude: float
    longitude: float
    time_zone: str


# Where the demo programs are (synthetic programs in real towns, so a search by ZIP code or city finds them).
DEMO_PLACES = (
    DemoPlace("riverside", "Poughkeepsie", "NY", "12601", 41.7004, -73.9210, "America/New_York"),
    DemoPlace("lakeside", "Oneonta", "NY", "13820", 42.4529, -75.0638, "America/New_York"),
)

# (name, fellowship, days, time, types, offset in degrees north/east, online link?)
_MEETINGS: tuple[tuple[str, str, tuple[int, ...], str, tuple[str, ...], tuple[float, float], bool], ...] = (
    ("New Day NA", "na", (1, 3, 5), "19:00", ("O", "D", "BE"), (0.010, 0.004), False),
    ("Morning Hope NA", "na", (0, 2, 4, 6), "08:00", ("C", "ST"), (-0.006, 0.012), False),
    ("Steps at Noon AA", "aa", (1, 2, 3, 4, 5), "12:00", ("O", "B", "X"), (0.003, -0.009), False),
    ("SMART Recovery Thursday", "smart", (4,), "18:30", ("O", "D"), (-0.012, -0.004), False),
    ("Families Together Nar-Anon", "nar-anon", (2,), "19:00", ("C", "D"), (0.015, 0.010), False),
    ("Al-Anon Saturday Circle", "al-anon", (6,), "10:00", ("O", "D"), (-0.002, 0.018), False),
    ("Grupo Esperanza NA", "na", (0, 3), "19:30", ("O", "S", "D"), (0.007, -0.015), False),
    ("Hybrid Wednesday NA", "na", (3,), "18:00", ("O", "SP"), (-0.009, 0.006), True),
)
# Online samples every day at these local hours, so that "starting soon" finds one at any time of day.
_ONLINE_HOURS = ("07:00", "10:00", "12:30", "15:00", "17:30", "19:00", "20:30", "22:00")

_CLINIC_COLUMNS = "id,name,street,city,state,zip,latitude,longitude,phone,website,services,payment,languages"
# (name, street, services, payments, languages, offset)
_CLINICS: tuple[tuple[str, str, str, str, str, tuple[float, float]], ...] = (
    (
        "Valley Opioid Treatment Program",
        "40 Mill Street",
        "otp;buprenorphine;naltrexone;counseling;peer_support",
        "medicaid;medicare;private;sliding_fee",
        "en;es",
        (0.008, 0.006),
    ),
    (
        "Main Street Health (buprenorphine)",
        "12 Main Street",
        "buprenorphine;naltrexone;outpatient;counseling",
        "medicaid;private",
        "en",
        (-0.004, -0.007),
    ),
    (
        "Harm Reduction Center",
        "3 River Road",
        "harm_reduction;peer_support",
        "free",
        "en;es",
        (0.011, -0.012),
    ),
    (
        "Hillside Recovery House",
        "200 Hill Road",
        "residential;withdrawal;counseling",
        "medicaid;private",
        "en",
        (-0.030, 0.025),
    ),
)


def _sample_meetings() -> list[dict[str, Any]]:
    feed: list[dict[str, Any]] = []
    for place in DEMO_PLACES:
        for i, (name, fellowship, days, start, types, (dlat, dlon), online) in enumerate(_MEETINGS):
            record: dict[str, Any] = {
                "name": f"Sample: {name}",
                "slug": f"{place.program}-{i}",
                "day": list(days),
                "time": start,
                "timezone": place.time_zone,
                "types": list(types),
                "location": f"Sample Community Room {i + 1}",
                "address": f"{10 + i * 7} Sample Street",
                "city": place.town,
                "state": place.state,
                "postal_code": place.postal_code,
                "country": "US",
                "latitude": round(place.latitude + dlat, 5),
                "longitude": round(place.longitude + dlon, 5),
                "notes": "A sample meeting made up for the Keel demo.",
            }
            if online:
                record["conference_url"] = f"https://meet.example.org/keel-demo/{place.program}-{i}"
                record["conference_url_notes"] = "Sample link for the demo; it goes nowhere."
            record["fellowship"] = fellowship
            feed.append(record)
    zone = DEMO_PLACES[0].time_zone
    for j, start in enumerate(_ONLINE_HOURS):
        feed.append(
            {
                "name": f"Sample: Online NA {start}",
                "slug": f"online-{j}",
                "day": [0, 1, 2, 3, 4, 5, 6],
                "time": start,
                "timezone": zone,
                "types": ["O", "D"],
                "conference_url": f"https://meet.example.org/keel-demo/online-{j}",
                "conference_url_notes": "Sample link for the demo; it goes nowhere.",
                "conference_phone": "+15555550100",
                "notes": "A sample online meeting made up for the Keel demo.",
                "fellowship": "na",
            }
        )
    return feed


def _parsed_sample_meetings() -> Parsed:
    by_fellowship: dict[str, list[dict[str, Any]]] = {}
    for record in _sample_meetings():
        by_fellowship.setdefault(record.pop("fellowship"), []).append(record)
    parsed = Parsed()
    for fellowship, records in by_fellowship.items():
        part = parse_meeting_guide(records, default_tz=None, fellowship=fellowship)
        parsed.records.extend(part.records)
        parsed.rejections.extend(part.rejections)
    return parsed


def _sample_clinics() -> str:
    rows = [_CLINIC_COLUMNS]
    for place in DEMO_PLACES:
        for i, (name, street, care, payment, languages, (dlat, dlon)) in enumerate(_CLINICS):
            rows.append(
                ",".join(
                    [
                        f"{place.program}-{i}",
                        f"Sample: {name}",
                        street,
                        place.town,
                        place.state,
                        place.postal_code,
                        f"{place.latitude + dlat:.5f}",
                        f"{place.longitude + dlon:.5f}",
                        f"555-01{i:02d}",
                        "",
                        care,
                        payment,
                        languages,
                    ]
                )
            )
    return "\n".join(rows) + "\n"


def real_feed() -> bytes:
    """The real public feed Keel ships (read from the package; nothing is fetched)."""
    return (resources.files("keel.directory") / "demo_data" / REAL_FEED).read_bytes()


def load() -> list[ImportReport]:
    """Import the samples and the real feed (the deployment's own sources)."""
    reports = [
        services.import_parsed(
            kind="meetings",
            parsed=_parsed_sample_meetings(),
            source=SAMPLE_MEETINGS,
            fmt="meeting-guide",
            is_sample=True,
        ),
        services.import_parsed(
            kind="facilities",
            parsed=parse_facility_csv(_sample_clinics()),
            source=SAMPLE_CLINICS,
            fmt="csv",
            is_sample=True,
        ),
    ]
    reports.extend(load_real())
    return reports


def real_clinics() -> str:
    """The real clinic list Keel ships (SAMHSA 2017 opioid treatment programs; read from the package)."""
    return (resources.files("keel.directory") / "demo_data" / REAL_CLINICS).read_text(encoding="utf-8")


def load_real() -> list[ImportReport]:
    """The real public meeting feed and clinic list Keel ships, imported as the deployment's own sources: what
    a fresh install's directory answers before the clinic adds its own (issue #20; `keel setup` runs it)."""
    parsed = services.parse_meetings(real_feed(), fmt="meeting-guide", default_tz=None, source=REAL_SOURCE)
    meetings = services.import_parsed(kind="meetings", parsed=parsed, source=REAL_SOURCE, fmt="meeting-guide")
    clinics = services.import_parsed(
        kind="facilities", parsed=parse_facility_csv(real_clinics()), source=REAL_CLINICS_SOURCE, fmt="csv"
    )
    return [meetings, clinics]


def load_real_feed() -> ImportReport:
    """`load_real` for a caller that wants the meeting report (`keel setup`); imports the clinics too."""
    return load_real()[0]
