"""Directory: idempotent imports, updates and deactivation, reports, and search by place, time and filters."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from keel.directory.models import Facility, ImportRun, Meeting

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data"
QUINTE = DATA / "meeting-guide-feed-quinte-2017.json"
NY = ZoneInfo("America/New_York")
# Oneonta, NY (ZIP 13820 centroid 42.4625, -75.0491) and places around it
ONEONTA = (42.4625, -75.0491)


def meeting(slug: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Meeting {slug}",
        "slug": slug,
        "day": 3,
        "time": "19:00",
        "timezone": "America/New_York",
        "latitude": ONEONTA[0],
        "longitude": ONEONTA[1],
        "address": "1 Main St",
        "city": "Oneonta",
        "types": ["O"],
    } | extra


def write(tmp_path: Path, records: Any, name: str = "feed.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(records))
    return str(path)


def run_import(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("import", *args, "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_the_real_quinte_feed_imports_and_a_second_run_changes_nothing() -> None:
    first = run_import("meetings", str(QUINTE), "--timezone", "America/Toronto", "--fellowship", "aa")
    assert (first["created"], first["rejected"]) == (45, 0)
    assert first["notes"] == [
        "45 meetings had no timezone; took each one's zone from its coordinates (America/Toronto 45)"
    ]
    second = run_import("meetings", str(QUINTE), "--timezone", "America/Toronto", "--fellowship", "aa")
    assert (second["created"], second["updated"], second["unchanged"], second["deactivated"]) == (0, 0, 45, 0)
    assert Meeting.objects.filter(active=True).count() == 45
    assert ImportRun.objects.count() == 2


def test_a_changed_meeting_is_updated_and_a_missing_one_deactivated(tmp_path: Path) -> None:
    run_import("meetings", write(tmp_path, [meeting("a"), meeting("b"), meeting("c")]), "--source", "feed")
    report = run_import(
        "meetings", write(tmp_path, [meeting("a"), meeting("b", time="20:00")]), "--source", "feed"
    )
    assert (report["created"], report["updated"], report["unchanged"], report["deactivated"]) == (0, 1, 1, 1)
    assert Meeting.objects.get(source_id="b").start_time.hour == 20
    gone = Meeting.objects.get(source_id="c")
    assert gone.active is False  # kept, not deleted
    back = run_import(
        "meetings",
        write(tmp_path, [meeting("a"), meeting("b", time="20:00"), meeting("c")]),
        "--source",
        "feed",
    )
    assert back["updated"] == 1
    assert Meeting.objects.get(source_id="c").active


def test_bad_records_are_reported_and_never_stop_the_others(tmp_path: Path) -> None:
    records = [meeting("a"), meeting("b", day=9), {"slug": "c"}, meeting("d", time="late"), meeting("a")]
    report = run_import("meetings", write(tmp_path, records))
    assert report["created"] == 1
    assert report["rejected"] == 4
    assert [(r["index"], r["reason"].split(":")[0]) for r in report["rejections"]] == [
        (1, "bad day 9"),
        (2, "missing name"),
        (3, "bad time 'late'"),
        (4, "duplicate id 'a'"),
    ]


@pytest.mark.parametrize("content", ["not json at all", '{"meetings": 1}', "[1, 2]"])
def test_a_file_that_is_not_a_feed_fails_clearly_and_changes_nothing(tmp_path: Path, content: str) -> None:
    run_import("meetings", write(tmp_path, [meeting("a")]), "--source", "feed")
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError) as error:
        call_command("import", "meetings", str(path), "--source", "feed", stdout=io.StringIO())
    assert error.value.returncode == 2
    assert "Nothing was changed" in str(error.value)
    assert Meeting.objects.filter(active=True).count() == 1
    assert ImportRun.objects.count() == 1


def test_a_missing_file_and_a_bad_timezone_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "meetings", str(tmp_path / "nope.json"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="unknown time zone"):
        call_command("import", "meetings", str(QUINTE), "--timezone", "Nowhere/Land", stdout=io.StringIO())


def test_a_bmlt_feed_imports(tmp_path: Path) -> None:
    bmlt = [
        {
            "id_bigint": "9",
            "meeting_name": "Hope NA",
            "weekday_tinyint": "4",
            "start_time": "19:00:00",
            "duration_time": "01:00:00",
            "time_zone": "America/New_York",
            "latitude": "42.46",
            "longitude": "-75.05",
            "venue_type": "1",
            "formats": "O,BT",
        }
    ]
    report = run_import("meetings", write(tmp_path, {"meetings": bmlt}), "--format", "bmlt")
    m = Meeting.objects.get()
    assert report["created"] == 1
    assert m.fellowship == "na"
    assert m.days == [3]
    assert m.types == ["O", "BMLT:BT"]


def test_facilities_import_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "id,name,street,city,state,zip,latitude,longitude,phone,website,services,payment,languages,data_as_of\n"
        "f1,Hope Clinic,1 Main St,Oneonta,NY,13820,42.46,-75.05,,,otp;buprenorphine,medicaid,en;es,2026-10-01"
        "\n"
        "f2,Far Clinic,1 Main St,Albany,NY,12207,42.65,-73.75,,,naltrexone,private,en,\n"
    )
    report = run_import("facilities", str(path))
    assert report["created"] == 2
    assert Facility.objects.count() == 2
    data = Client().get("/api/v1/facilities?place=13820&radius_mi=25&service=otp").json()
    assert [f["name"] for f in data] == ["Hope Clinic"]
    assert data[0]["payments"] == ["medicaid"]


# --- Search ---------------------------------------------------------------------------------------------


@pytest.fixture
def meetings(tmp_path: Path) -> None:
    records = [
        meeting("near", latitude=42.4700, longitude=-75.0600),  # ~1 km
        meeting("town", latitude=42.5500, longitude=-75.0500, day=[1, 3], time="08:00"),  # ~10 km, morning
        meeting("far", latitude=42.6526, longitude=-73.7562),  # Albany, ~108 km
        meeting("family", latitude=42.4650, longitude=-75.0450, types=["O", "S"]),
        meeting("zoom", latitude=None, longitude=None, conference_url="https://zoom.example/1", time="21:00"),
        meeting("closed", types=["TC"]),
    ]
    run_import("meetings", write(tmp_path, records), "--source", "test", "--fellowship", "aa")
    Meeting.objects.filter(source_id="family").update(fellowship="nar-anon")


WED_6PM = datetime(2026, 11, 25, 18, 0, tzinfo=NY)  # a Wednesday (spec day 3)


def _ids(data: list[dict[str, Any]]) -> list[str]:
    return [m["source_id"] for m in data]


@time_machine.travel(WED_6PM, tick=False)
def test_nearby_meetings_come_by_distance_then_online_by_start(meetings: None) -> None:
    data = Client().get(f"/api/v1/meetings?lat={ONEONTA[0]}&lon={ONEONTA[1]}&radius_km=20").json()
    assert _ids(data) == ["family", "near", "town", "zoom"]  # 'far' out of range, 'closed' inactive
    assert data[0]["distance_km"] < data[1]["distance_km"] < data[2]["distance_km"]
    assert data[-1]["distance_km"] is None
    assert data[-1]["directions_url"] == ""
    assert data[0]["directions_url"].startswith("https://www.openstreetmap.org/directions?to=")


@time_machine.travel(WED_6PM, tick=False)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("radius_mi=100", ["family", "near", "town", "far", "zoom"]),
        ("within_hours=2", ["family", "near", "far"]),  # 19:00 starts; town is 08:00, zoom 21:00
        ("within_hours=4", ["family", "near", "far", "zoom"]),
        ("day=1", ["town"]),
        ("part=morning", ["town"]),
        ("attendance=online", ["zoom"]),
        ("attendance=in_person", ["family", "near", "town", "far"]),
        ("fellowship=families", ["family"]),
        ("language=es", ["family"]),
        ("type=S", ["family"]),
    ],
)
def test_every_filter(meetings: None, query: str, expected: list[str]) -> None:
    radius = "" if "radius" in query else "&radius_mi=100"
    data = Client().get(f"/api/v1/meetings?lat={ONEONTA[0]}&lon={ONEONTA[1]}{radius}&{query}").json()
    assert _ids(data) == expected


@time_machine.travel(WED_6PM, tick=False)
def test_a_zip_code_finds_its_centroid(meetings: None) -> None:
    assert _ids(Client().get("/api/v1/meetings?place=13820&radius_km=5").json())[:2] == ["family", "near"]
    assert "town" in _ids(Client().get("/api/v1/meetings?place=Oneonta, NY&radius_km=20").json())


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=95&lon=0", "lat"),
        ("lat=1", "lat"),
        ("lat=1&lon=2&radius_km=0", "radius_km"),
        ("lat=1&lon=2&radius_km=9999", "radius_km"),
        ("lat=x&lon=2", "lat"),
        ("place=00000", "place"),
        ("place=Xqzzyville", "place"),
        ("lat=1&lon=2&day=8", "day"),
        ("lat=1&lon=2&fellowship=cats", "fellowship"),
        ("lat=1&lon=2&within_hours=-1", "within_hours"),
        ("lat=1&lon=2&attendance=maybe", "attendance"),
    ],
)
def test_bad_search_input_is_a_422_naming_the_field(query: str, field: str) -> None:
    response = Client().get(f"/api/v1/meetings?{query}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@time_machine.travel(WED_6PM, tick=False)
def test_meetings_near_on_the_cli_matches_the_api(meetings: None) -> None:
    out = io.StringIO()
    call_command(
        "meetings",
        "near",
        "--lat",
        str(ONEONTA[0]),
        "--lon",
        str(ONEONTA[1]),
        "--radius-km",
        "20",
        "--json",
        stdout=out,
    )
    api = Client().get(f"/api/v1/meetings?lat={ONEONTA[0]}&lon={ONEONTA[1]}&radius_km=20").json()
    assert json.loads(out.getvalue()) == api
    with pytest.raises(CommandError) as error:
        call_command("meetings", "near", "--lat", "1", stdout=io.StringIO())
    assert error.value.returncode == 2


@time_machine.travel(WED_6PM, tick=False)
def test_online_meetings_in_other_zones_are_found_by_their_own_clock(tmp_path: Path) -> None:
    records = [
        meeting(
            "la",
            latitude=None,
            longitude=None,
            conference_url="https://z.example/la",
            time="19:00",
            timezone="America/Los_Angeles",
        ),  # 22:00 in New York: inside 4 hours
        meeting(
            "chi",
            latitude=None,
            longitude=None,
            conference_url="https://z.example/chi",
            time="23:30",
            timezone="America/Chicago",
        ),  # 00:30 Thursday in New York: outside 4 hours, inside 24
        meeting(
            "tomorrow",
            latitude=None,
            longitude=None,
            conference_url="https://z.example/t",
            time="08:00",
            day=4,
        ),  # Thursday 08:00 New York
    ]
    run_import("meetings", write(tmp_path, records))
    soon = Client().get("/api/v1/meetings?attendance=online&within_hours=4").json()
    assert _ids(soon) == ["la"]
    day = Client().get("/api/v1/meetings?attendance=online").json()  # default: the next 24 hours
    assert _ids(day) == ["la", "chi", "tomorrow"]
    assert day[0]["next_start"] == "2026-11-25T19:00:00-08:00"


@time_machine.travel(WED_6PM, tick=False)
def test_online_search_asks_sql_per_zone_and_day_not_per_meeting(
    tmp_path: Path, django_assert_max_num_queries: Any
) -> None:
    records = [
        meeting(
            f"o{i}",
            latitude=None,
            longitude=None,
            conference_url=f"https://z.example/{i}",
            time=f"{18 + i % 5}:00",
            day=[3, 4],
        )
        for i in range(40)
    ]
    run_import("meetings", write(tmp_path, records))
    # 1 zone query + (1 zone x 2 local days) chunk queries, however many meetings there are
    with django_assert_max_num_queries(3):
        data = Client().get("/api/v1/meetings?attendance=online").json()
    assert len(data) == 40
    assert data[0]["next_start"].startswith("2026-11-25T18:00")
