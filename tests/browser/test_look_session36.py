"""Session 36's new words as their readers see them (looked at in session 37): the window's hold inside
an XR-naltrexone blockade on the nurse's tablet, the person's own home start refused inside it on her phone, a
COWS scored at the bedside for an earlier time marked as a late entry. Spanish, as the program's patients and
nurses read it; screenshots go to test-artifacts/ (the `shot` fixture). Each test checks what a screenshot
cannot prove: the words are there, nothing is wider than the screen, nothing was recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from keel.accounts.models import User
from keel.treatment.models import DoseRecord
from keel.treatment.services.orders import prescribe
from tests.browser.test_treatment_journey import htmx_ready, settled
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.review36f._setup import injected

pytestmark = pytest.mark.django_db(transaction=True)
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Noon in New York (the last 17:00 UTC): inside any dosing hours, and the same day five minutes apart."""
    yield from pinned_at_last_five_pm_utc()


def _page(browser: Any, live: str, user: User, viewport: dict[str, int], language: str = "es") -> Any:
    cookie = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(
        viewport=viewport, locale=language, extra_http_headers={"Accept-Language": language}
    )
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live}])
    return context.new_page()


def _fits(page: Any, viewport: dict[str, int]) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def _methadone_inside_a_blockade(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=6))
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        now=now - timedelta(hours=1),
    )


def test_the_window_holds_methadone_inside_a_naltrexone_blockade(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    _methadone_inside_a_blockade(world)
    page = _page(browser, live_server.url, world.staff["nurse"], TABLET)
    page.goto(f"{live_server.url}/dosing/")
    htmx_ready(page)
    row = page.locator(f"#p{world.alice.pk}")
    row.locator("input.mg").fill("30")
    row.locator("input.mg").press("Enter")
    refused = page.locator(f"#p{world.alice.pk} .verdict.blocked")
    refused.wait_for()
    settled(page)
    shot(page, "look36-window-blockade-tablet-es")
    _fits(page, TABLET)
    words = refused.inner_text()
    assert "naltrexona" in words
    assert "No se dio" in words
    assert not DoseRecord.objects.filter(patient=world.alice, medication="methadone").exists()


def test_her_home_start_inside_the_blockade_says_not_now_on_her_phone(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=6))
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        home_start=True,
        now=now - timedelta(hours=1),
    )
    page = _page(browser, live_server.url, world.alice.user, PHONE)
    page.goto(f"{live_server.url}/me/home-start/")
    shot(page, "look36-home-start-blockade-phone-es")
    _fits(page, PHONE)
    text = page.locator("main").inner_text()
    assert "Ahora no" in text
    assert "Usted recibió una inyección de naltrexona" in text  # plain words on her page (session 37)
    assert "excepción de cambio" not in text


def test_a_cows_scored_for_an_hour_ago_is_marked_a_late_entry(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    zone = ZoneInfo(world.alice.program.time_zone)
    earlier = (timezone.now().astimezone(zone) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = _page(browser, live_server.url, world.staff["nurse"], TABLET, language="en")
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/cows/")
    page.get_by_label("Time of scoring").fill(earlier)
    for item in ("pulse", "sweating", "restlessness", "pupils", "aches", "nose_eyes", "gi_upset", "tremor"):
        page.locator(f"#q-{item}").locator("input[type=radio]").nth(1).check()
    for item in ("yawning", "anxiety", "gooseflesh"):
        page.locator(f"#q-{item}").locator("input[type=radio]").nth(0).check()
    page.get_by_role("button", name="Save this score").click()
    page.get_by_role("heading", name="Scores so far").wait_for()
    result = page.locator("a", has_text="Time of scoring").or_(page.locator("#series a").last)
    result.first.click()
    page.wait_for_load_state()
    shot(page, "look36-cows-late-entry-tablet-en")
    _fits(page, TABLET)
    assert page.locator(".late-entry").inner_text() == "Late entry"
