"""Journey 10: a parent on a phone, in Spanish, finds meetings for families near a ZIP code."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keel.core.directory.feeds import parse_meeting_guide
from keel.directory import services
from tests.browser.test_foundation_journeys import PHONE


def _load() -> None:
    base = {"time": "19:00", "timezone": "America/New_York", "city": "Oneonta", "types": ["O"]}
    feed = [
        base
        | {
            "name": "Esperanza en Familia",
            "slug": "f1",
            "day": [0, 1, 2, 3, 4, 5, 6],
            "latitude": 42.465,
            "longitude": -75.045,
            "address": "12 Church St",
            "types": ["S"],
        },
        base
        | {
            "name": "Clean Time NA",
            "slug": "n1",
            "day": 3,
            "latitude": 42.47,
            "longitude": -75.06,
            "address": "4 Elm St",
        },
        base
        | {"name": "Far Away Family Group", "slug": "f2", "day": 3, "latitude": 40.71, "longitude": -74.0},
    ]
    parsed = parse_meeting_guide(feed, default_tz=None, fellowship="nar-anon")
    services.import_parsed(kind="meetings", parsed=parsed, source="test", fmt="meeting-guide")
    from keel.directory.models import Meeting

    Meeting.objects.filter(source_id="n1").update(fellowship="na")


def test_a_parent_finds_family_meetings_near_a_zip_in_spanish(
    live_server: Any, browser: Any, shot: Any
) -> None:
    _load()
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US", timezone_id="America/New_York"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Español").first.click()
    page.get_by_role("link", name="Recuperarse").click()  # the "recover" door of the public home
    page.get_by_role("link", name="Reuniones cerca de mí (NA y más)").click()
    page.get_by_label("Código postal o ciudad").fill("13820")
    page.get_by_label("Grupo").select_option("families")
    page.get_by_label("Qué tan lejos").select_option("25")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("heading", name="Cerca de Oneonta, NY 13820").wait_for()
    cards = page.locator("article.meeting")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card.get_by_role("heading", name="Esperanza en Familia")).to_be_visible()
    expect(card).to_contain_text("Nar-Anon (familiares y amigos)")
    expect(card).to_contain_text("Próxima:")
    assert (
        card.get_by_role("link", name="Cómo llegar")
        .get_attribute("href")
        .startswith("https://www.openstreetmap.org/directions?to=")
    )
    assert "Clean Time NA" not in page.content()
    assert "Far Away" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "directory-family-meetings-es-phone")
    context.close()
