"""Directory core: distances, bounding boxes, meeting times in their own zones, feed parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.core.directory.feeds import NotAFeed, parse_bmlt, parse_facility_csv, parse_meeting_guide
from keel.core.directory.geo import KM_PER_MILE, bounding_box, distance_km
from keel.core.directory.schedule import next_start, part_of_day

DATA = Path(__file__).resolve().parents[1] / "data"


# --- Geo ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((40.7128, -74.0060), (34.0522, -118.2437), 3936),  # New York - Los Angeles
        ((51.5074, -0.1278), (48.8566, 2.3522), 344),  # London - Paris
        ((44.1628, -77.3832), (44.4760, -77.3114), 35),  # Belleville - Tweed, Ontario
        ((-33.8688, 151.2093), (-37.8136, 144.9631), 714),  # Sydney - Melbourne
    ],
)
def test_distances_between_known_city_pairs(a: tuple[float, float], b: tuple[float, float], km: int) -> None:
    assert abs(distance_km(*a, *b) - km) < km * 0.01 + 1


def test_a_mile_is_1_609344_km() -> None:
    assert KM_PER_MILE == 1.609344


@given(st.floats(-85, 85), st.floats(-180, 180), st.floats(0.5, 300), st.floats(0, 360), st.floats(0, 1))
def test_every_point_within_the_radius_is_inside_the_box(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    import math

    # a point at distance fraction*radius along `bearing`
    d = fraction * radius / 6371.0088
    b, p1, l1 = math.radians(bearing), math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    plat, plon = math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180
    box = bounding_box(lat, lon, radius)
    assert box.min_lat - 1e-9 <= plat <= box.max_lat + 1e-9
    if box.wraps:
        assert plon >= box.min_lon - 1e-9 or plon <= box.max_lon + 1e-9
    else:
        assert box.min_lon - 1e-9 <= plon <= box.max_lon + 1e-9


def test_a_box_across_the_antimeridian_wraps() -> None:
    box = bounding_box(0, 179.9, 50)
    assert box.wraps
    assert box.min_lon > 179
    assert box.max_lon < -179


# --- Schedule ----------------------------------------------------------------------------------------

NY = "America/New_York"


def _at(text: str, tz: str = NY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def test_next_start_later_today() -> None:  # 2026-11-25 is a Wednesday (spec day 3)
    assert next_start([3], time(19, 30), NY, _at("2026-11-25T18:00")) == _at("2026-11-25T19:30")


def test_next_start_crosses_midnight_into_next_week() -> None:
    assert next_start([3], time(19, 30), NY, _at("2026-11-25T20:00")) == _at("2026-12-02T19:30")


def test_next_start_is_in_the_meetings_zone_not_the_readers() -> None:
    # 23:30 Wednesday in Los Angeles is 02:30 Thursday in New York
    now = _at("2026-11-25T23:00", "America/Los_Angeles")
    start = next_start([3], time(23, 30), "America/Los_Angeles", now)
    assert start is not None
    assert start.astimezone(ZoneInfo(NY)) == _at("2026-11-26T02:30")


def test_next_start_across_the_spring_dst_change() -> None:
    # Sunday 2026-03-08 is spring-forward in New York: 19:00 is 23:00 UTC; the week before, 00:00 UTC.
    start = next_start([0], time(19, 0), NY, _at("2026-03-07T12:00"))
    assert start is not None
    assert start.astimezone(UTC) == datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
    before = next_start([0], time(19, 0), NY, _at("2026-02-28T12:00"))
    assert before is not None
    assert before.astimezone(UTC) == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_a_meeting_inside_the_spring_gap_moves_forward_not_backward() -> None:
    start = next_start([0], time(2, 30), NY, _at("2026-03-08T00:00"))
    assert start is not None
    assert start.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_next_start_across_the_fall_dst_change() -> None:
    start = next_start([0], time(19, 0), NY, _at("2026-10-31T12:00"))
    assert start is not None
    assert start.astimezone(UTC) == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("t", "part"),
    [
        (time(6), "morning"),
        (time(11, 59), "morning"),
        (time(12), "afternoon"),
        (time(16, 59), "afternoon"),
        (time(17), "evening"),
        (time(23), "evening"),
    ],
)
def test_part_of_day(t: time, part: str) -> None:
    assert part_of_day(t) == part


# --- Meeting Guide feeds -----------------------------------------------------------------------------


def test_the_real_quinte_feed_parses_with_a_default_timezone() -> None:
    feed = json.loads((DATA / "meeting-guide-feed-quinte-2017.json").read_text())
    parsed = parse_meeting_guide(feed, default_tz="America/Toronto", fellowship="aa")
    assert len(parsed.records) + len(parsed.rejections) == 45
    assert parsed.rejections == []
    assert parsed.notes == ["45 meetings had no timezone; used America/Toronto"]
    tweed = next(r for r in parsed.records if r.name == "Tweed Group")
    assert (tweed.source_id, tweed.days, tweed.start, tweed.attendance) == (
        "8",
        (2,),
        time(19, 30),
        "in_person",
    )
    assert tweed.postal_code == ""
    assert tweed.fellowship == "aa"


def test_the_spec_example_record_keeps_every_field() -> None:
    record = json.loads((DATA / "meeting-guide-example.json").read_text())
    record |= {
        "latitude": 34.1,
        "longitude": -118.2,
        "timezone": "America/Los_Angeles",
        "conference_url": "https://zoom.example/j/1",
        "conference_phone": "+1-555-0100",
        "day": [0, 3],
    }
    parsed = parse_meeting_guide([record], default_tz=None)
    r = parsed.records[0]
    assert (r.source_id, r.days, r.start, r.end) == ("sunday-serenity-14", (0, 3), time(18), time(19, 30))
    assert r.attendance == "hybrid"
    assert r.types == ("O", "T", "LGBTQ")
    assert r.location_name == "Alano Club"
    assert (r.address, r.city, r.region, r.postal_code, r.country) == (
        "123 Main Street",
        "Anytown",
        "CA",
        "98765",
        "US",
    )
    assert r.conference_phone == "+1-555-0100"
    assert r.source_updated_at == "2014-05-31 14:32:23"


GOOD = {
    "name": "Hope",
    "slug": "hope-1",
    "day": 1,
    "time": "19:00",
    "timezone": "America/New_York",
    "latitude": 42.45,
    "longitude": -75.06,
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": ""}, "missing name"),
        ({"slug": None}, "missing slug"),
        ({"day": 7}, "bad day 7"),
        ({"day": "Monday"}, "bad day 'Monday'"),
        ({"day": []}, "bad day []"),
        ({"time": "7pm"}, "bad time '7pm'"),
        ({"time": "25:00"}, "bad time '25:00'"),
        ({"end_time": "19:99"}, "bad end_time"),
        ({"latitude": 95}, "bad coordinates"),
        ({"latitude": "north"}, "bad coordinates"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ],
)
def test_each_bad_meeting_is_rejected_with_its_index_and_reason(
    change: dict[str, object], reason: str
) -> None:
    parsed = parse_meeting_guide([GOOD, GOOD | {"slug": "x"} | change, GOOD | {"slug": "y"}], default_tz=None)
    assert [r.source_id for r in parsed.records] == ["hope-1", "y"]
    assert len(parsed.rejections) == 1
    assert parsed.rejections[0].index == 1
    assert reason in parsed.rejections[0].reason


def test_no_timezone_and_no_default_is_a_rejection() -> None:
    parsed = parse_meeting_guide([{k: v for k, v in GOOD.items() if k != "timezone"}], default_tz=None)
    assert "--timezone" in parsed.rejections[0].reason


@pytest.mark.parametrize(
    ("extra", "attendance"),
    [
        ({}, "in_person"),
        ({"conference_url": "https://meet.example/1"}, "hybrid"),
        ({"latitude": None, "longitude": None, "conference_url": "https://meet.example/1"}, "online"),
        ({"approximate": "yes", "conference_phone": "+1 555 0100"}, "online"),
        ({"types": ["TC"]}, "inactive"),
        ({"types": ["TC"], "conference_url": "https://meet.example/1"}, "online"),
    ],
)
def test_attendance_is_derived_as_the_spec_defines_it(extra: dict[str, object], attendance: str) -> None:
    assert parse_meeting_guide([GOOD | extra], default_tz=None).records[0].attendance == attendance


def test_language_types_become_languages() -> None:
    record = parse_meeting_guide([GOOD | {"types": ["S", "O", "EN"]}], default_tz=None).records[0]
    assert record.languages == ("en", "es")


@pytest.mark.parametrize("document", [{"meetings": 3}, "text", [1, 2, 3], [{"foo": 1}]])
def test_a_document_that_is_not_a_feed_fails_as_a_whole(document: object) -> None:
    with pytest.raises(NotAFeed):
        parse_meeting_guide(document, default_tz="UTC")


# --- BMLT ---------------------------------------------------------------------------------------------

BMLT = {
    "id_bigint": "501",
    "meeting_name": "Just for Today",
    "weekday_tinyint": "1",
    "start_time": "19:00:00",
    "duration_time": "01:30:00",
    "time_zone": "America/Chicago",
    "latitude": "41.88",
    "longitude": "-87.63",
    "venue_type": "1",
    "formats": "O,D,ES,JT",
    "location_text": "Hope Church",
    "location_street": "1 Main St",
    "location_municipality": "Chicago",
    "location_province": "IL",
    "location_postal_code_1": "60601",
    "comments": "Side door",
    "virtual_meeting_link": "",
    "phone_meeting_number": "",
}


def test_a_bmlt_meeting_maps_weekday_duration_venue_and_formats() -> None:
    r = parse_bmlt({"meetings": [BMLT]}, default_tz=None).records[0]
    assert (r.source_id, r.fellowship, r.days, r.start, r.end) == ("501", "na", (0,), time(19), time(20, 30))
    assert r.attendance == "in_person"
    assert r.types == ("O", "D", "S", "BMLT:JT")
    assert r.languages == ("es",)
    assert (r.city, r.region, r.postal_code, r.notes) == ("Chicago", "IL", "60601", "Side door")


@pytest.mark.parametrize(
    ("change", "attendance"),
    [
        ({"venue_type": "2", "virtual_meeting_link": "https://z.example"}, "online"),
        ({"venue_type": "3", "virtual_meeting_link": "https://z.example"}, "hybrid"),
        ({"weekday_tinyint": "7", "start_time": "23:30:00", "duration_time": "01:00:00"}, "in_person"),
    ],
)
def test_bmlt_venue_types(change: dict[str, str], attendance: str) -> None:
    r = parse_bmlt([BMLT | change], default_tz=None).records[0]
    assert r.attendance == attendance
    if change.get("weekday_tinyint") == "7":
        assert r.days == (6,) and r.end == time(0, 30)  # Saturday, ending after midnight


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"weekday_tinyint": "8"}, "bad weekday_tinyint 8"),
        ({"start_time": "nope"}, "bad start_time"),
        ({"meeting_name": ""}, "missing name"),
        ({"id_bigint": ""}, "missing id_bigint"),
        ({"latitude": "200"}, "bad coordinates"),
    ],
)
def test_bad_bmlt_meetings_are_rejected(change: dict[str, str], reason: str) -> None:
    parsed = parse_bmlt([BMLT | change], default_tz=None)
    assert parsed.records == []
    assert reason in parsed.rejections[0].reason


# --- Facilities CSV --------------------------------------------------------------------------------------

CSV = """id,name,street,city,state,zip,latitude,longitude,phone,website,services,payment,languages,data_as_of
f1,Hope Clinic,1 Main St,Oneonta,NY,13820,42.45,-75.06,607-555-0100,https://hope.example,otp;buprenorphine,medicaid;sliding_fee,en;es,2026-10-01
f2,,2 Main St,Oneonta,NY,13820,42.45,-75.06,,,otp,medicaid,,
f3,Bad Service,3 Main St,Oneonta,NY,13820,42.45,-75.06,,,magic,medicaid,,
f4,Bad Date,4 Main St,Oneonta,NY,13820,42.45,-75.06,,,otp,,,Oct 2026
"""


def test_facility_csv_parses_and_rejects_row_by_row() -> None:
    parsed = parse_facility_csv(CSV)
    assert [r.source_id for r in parsed.records] == ["f1"]
    f1 = parsed.records[0]
    assert f1.services == ("buprenorphine", "otp")
    assert f1.payments == ("medicaid", "sliding_fee")
    assert f1.languages == ("en", "es")
    assert str(f1.data_as_of) == "2026-10-01"
    assert [(r.index, r.reason.split(":")[0]) for r in parsed.rejections] == [
        (1, "missing name"),
        (2, "unknown services magic"),
        (3, "bad data_as_of 'Oct 2026'"),
    ]


def test_a_csv_without_the_columns_is_not_a_facility_list() -> None:
    with pytest.raises(NotAFeed):
        parse_facility_csv("a,b\n1,2\n")


def test_a_facility_csv_with_stray_line_breaks_or_extra_cells_is_read_not_crashed() -> None:
    """Found by the importer fuzz test: a bare carriage return and cells past the header raised csv.Error
    and AttributeError."""
    parsed = parse_facility_csv("id,name\n1,Clinic,extra,cells\n2\n")
    assert [r.name for r in parsed.records] == ["Clinic"]
    assert [(r.index, r.reason) for r in parsed.rejections] == [(1, "missing name")]
    assert [r.name for r in parse_facility_csv("id,name\r\n1,A\rB\r\n").records] == ["A"]
