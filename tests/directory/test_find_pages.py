"""The find pages as a visitor meets them: the public frame, a way on from an empty search, join links, words
explained, filters that stay visible, clinics by language and payment, errors in the visitor's words."""

from __future__ import annotations

import html
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db
WED_6PM = datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo("America/New_York"))
FIND = [
    "/en/find/meetings/",
    "/en/find/treatment/",
    "/en/find/meetings/?place=13820",
    "/en/find/treatment/?place=13820",
]


def _text(client: Client, path: str) -> str:
    return html.unescape(client.get(path).content.decode())


@pytest.fixture
def listings(tmp_path: Path) -> None:
    base = {"day": 3, "time": "19:00", "timezone": "America/New_York", "city": "Oneonta"}
    feed = [
        base
        | {
            "name": "Closed Doors NA",
            "slug": "c",
            "latitude": 42.46,
            "longitude": -75.05,
            "types": ["C", "D"],
        },
        base
        | {
            "name": "Night Owls Online",
            "slug": "o",
            "conference_url": "https://zoom.example/j/42",
            "conference_url_notes": "Passcode: hope",
            "conference_phone": "+1 (555) 010-4242",
            "time": "20:00",
        },
    ]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    call_command("import", "meetings", str(path), "--fellowship", "na", stdout=io.StringIO())
    clinics = tmp_path / "clinics.csv"
    clinics.write_text(
        "id,name,street,city,state,latitude,longitude,phone,services,payment,languages\n"
        "1,Valley Clinic,1 Main St,Oneonta,NY,42.45,-75.06,607-555-0100,otp;counseling,"
        "medicaid;sliding_fee,en;es\n"
        "2,Hill Clinic,2 Hill St,Oneonta,NY,42.47,-75.04,607-555-0101,buprenorphine,private,en\n"
    )
    call_command("import", "facilities", str(clinics), stdout=io.StringIO())


@pytest.mark.parametrize("path", FIND)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_find_pages_carry_the_crisis_bar_quick_exit_and_help_menu(path: str, lang: str) -> None:
    page = Client().get(path.replace("/en/", f"/{lang}/", 1)).content.decode()
    assert 'class="crisisbar"' in page
    assert 'href="tel:988"' in page
    assert 'href="tel:911"' in page
    assert 'class="quick-exit"' in page
    assert 'class="doors-small"' in page
    assert "/help/check-my-use/" in page


def test_an_empty_meeting_search_offers_a_way_on() -> None:
    page = _text(Client(), "/en/find/meetings/?place=Poughkeepsie&radius_mi=5")
    assert "No meetings in person match." in page
    assert "Search a wider area" in page
    assert "radius_mi=10" in page
    assert "Meetings online, from anywhere" in page
    assert "attendance=online" in page
    assert 'href="tel:18006624357"' in page
    assert "https://findtreatment.gov" in page


def _main(page: str) -> str:
    """The page's own content: what is inside <main>, never the crisis bar above it."""
    start, end = page.index("<main"), page.index("</main>")
    return page[start:end]


def test_the_crisis_bar_is_not_inside_the_pages_own_content() -> None:
    main = _main(_text(Client(), "/en/find/meetings/?place=Poughkeepsie&radius_mi=5"))
    assert 'class="crisisbar"' not in main


@pytest.mark.parametrize(
    "path", ["/en/find/meetings/?place=Poughkeepsie&radius_mi=5", "/en/find/treatment/?place=Poughkeepsie"]
)
def test_an_empty_search_names_988_in_its_own_way_on(path: str) -> None:
    """The way on itself names the 988 line: the crisis bar on every page does not count (issue #20)."""
    main = _main(_text(Client(), path))
    assert 'href="tel:988"' in main


def test_an_empty_treatment_search_offers_a_way_on() -> None:
    page = _text(Client(), "/en/find/treatment/?place=Poughkeepsie&radius_mi=25")
    assert "No clinics match." in page
    assert "radius_mi=50" in page
    assert 'href="tel:18006624357"' in page


@time_machine.travel(WED_6PM, tick=False)
def test_an_online_meeting_shows_its_join_link(listings: None) -> None:
    page = Client().get("/en/find/meetings/?place=13820").content.decode()
    assert '<a href="https://zoom.example/j/42" rel="noopener noreferrer">zoom.example</a>' in page
    assert "Passcode: hope" in page
    assert 'href="tel:+15550104242"' in page  # the phone as a dialable link


@time_machine.travel(WED_6PM, tick=False)
def test_closed_and_other_meeting_types_are_explained_in_words(listings: None) -> None:
    page = _text(Client(), "/en/find/meetings/?place=13820")
    assert "Closed: only for people who want to stop drinking or using drugs." in page
    assert "Discussion: people take turns sharing on a topic." in page


@time_machine.travel(WED_6PM, tick=False)
def test_active_filters_stay_visible_after_a_search(listings: None) -> None:
    page = _text(Client(), "/en/find/meetings/?place=13820&day=3&part=evening&fellowship=na")
    assert '<details class="filters" open>' in page
    assert "Showing only:" in page
    assert "Wednesday" in page
    assert "Evening" in page
    assert '<option value="3" selected>' in page


def test_clinics_are_filtered_and_shown_by_language_and_payment(listings: None) -> None:
    client = Client()
    spanish = _text(client, "/en/find/treatment/?place=13820&language=es")
    assert "Valley Clinic" in spanish
    assert "Hill Clinic" not in spanish
    assert "Languages:" in spanish
    assert "English · Spanish" in spanish
    sliding = _text(client, "/en/find/treatment/?place=13820&payment=sliding_fee")
    assert "Valley Clinic" in sliding
    assert "Hill Clinic" not in sliding
    assert "Sliding fee" in sliding


def test_the_treatment_page_has_a_distance_control(listings: None) -> None:
    page = _text(Client(), "/en/find/treatment/?place=13820&radius_mi=5")
    assert '<select id="radius_mi" name="radius_mi">' in page
    assert '<option value="5" selected>' in page
    assert "Valley Clinic" in page


@pytest.mark.parametrize(
    ("path", "lang", "words"),
    [
        ("/en/find/meetings/?place=13820&radius_mi=1000", "en", "Choose a distance up to 310 miles."),
        ("/en/find/meetings/?place=13820&radius_mi=1000", "es", "Elija una distancia de hasta 310 millas."),
        ("/en/find/treatment/?place=13820&radius_mi=0", "en", "Choose a distance up to 310 miles."),
        ("/en/find/meetings/?place=Xqzzyville", "es", "No encontramos “Xqzzyville”."),
        ("/en/find/meetings/?place=00000", "es", "No conocemos el código postal 00000."),
    ],
)
def test_find_page_errors_are_in_the_visitors_language_and_units(path: str, lang: str, words: str) -> None:
    response = Client().get(path.replace("/en/", f"/{lang}/", 1))
    page = html.unescape(response.content.decode())
    assert response.status_code == 422
    assert words in page
    assert " km" not in page.split('id="search-error"')[1][:300]  # never kilometers on a miles control


def test_a_place_of_several_states_offers_each_one_as_a_link() -> None:
    page = _text(Client(), "/en/find/meetings/?place=Springfield&day=2")
    assert "There is more than one Springfield." in page
    assert (
        'href="?place=Springfield%2C+MO&amp;day=2"'.replace("&amp;", "&") in page
        or "Springfield%2C+MO" in page
    )


def test_what_was_typed_stays_in_the_box_after_an_error() -> None:
    page = Client().get("/en/find/meetings/?place=Xqzzyville&radius_mi=25").content.decode()
    assert 'value="Xqzzyville"' in page
    assert '<option value="25" selected>' in page


def test_use_my_location_is_hidden_until_javascript_shows_it() -> None:
    page = Client().get("/en/find/meetings/").content.decode()
    assert '<button type="button" id="use-location" hidden' in page
    css = Client().get("/static/keel/keel.css")
    body = b"".join(css.streaming_content) if css.streaming else css.content  # type: ignore[attr-defined]
    assert b"[hidden] { display:none !important; }" in body  # a button's display never overrides it


@time_machine.travel(WED_6PM, tick=False)
def test_the_meetings_page_asks_the_same_statements_for_many_meetings_as_for_two(
    listings: None, tmp_path: Path
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get("/en/find/meetings/?place=13820").status_code == 200
        return len(ctx.captured_queries)

    two = statements()
    base = {"day": 3, "time": "19:30", "timezone": "America/New_York", "city": "Oneonta"}
    feed = [
        base | {"name": f"Group {i}", "slug": f"g{i}", "latitude": 42.46, "longitude": -75.05}
        for i in range(20)
    ]
    feed += [
        base | {"name": f"Online {i}", "slug": f"n{i}", "conference_url": f"https://z.example/{i}"}
        for i in range(20)
    ]
    path = tmp_path / "more.json"
    path.write_text(json.dumps(feed))
    call_command("import", "meetings", str(path), "--fellowship", "na", stdout=io.StringIO())
    page = _text(Client(), "/en/find/meetings/?place=13820")
    assert "Group 19" in page
    assert "Online 19" in page
    assert statements() == two  # whether each meeting is a sample is asked once a page, not once a row
