"""Lane bottle39: tomorrow's take-home bottle after 80 mg at 23:00 says when she may take it, as its readers
see it: the nurse's row after the dose (tablet 1024x768, phone 390x844) and her own page the next morning
(the same two screens, Spanish on the phone). Screenshots go to test-artifacts/ (the `shot` fixture) and are
copied to /tmp/bottle39/ for the lane's look. Each checks the words are there and nothing is wider than the
screen."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from keel.treatment.services.orders import prescribe
from tests.browser.test_look_session36 import _fits, _page
from tests.browser.test_treatment_journey import htmx_ready, settled
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc, two_bottle_plan
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db(transaction=True)
SCREENS = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
LOOK = Path("/tmp/bottle39")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _keep(path: Path) -> None:
    LOOK.mkdir(exist_ok=True)
    shutil.copy(path, LOOK / path.name)


@pytest.mark.parametrize(("screen", "language"), [("tablet", "en"), ("phone", "es")])
def test_the_row_and_her_page_say_when_to_take_tomorrows_bottle(
    live_server: Any, browser: Any, world: World, shot: Any, screen: str, language: str
) -> None:
    size = SCREENS[screen]
    day = days_ago(3)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    two_bottle_plan(world, at(day - timedelta(days=1), 14), day + timedelta(days=1))
    said = "11:00"
    with time_machine.travel(at(day, 23), tick=True):
        page = _page(browser, live_server.url, world.staff["nurse"], size, language)
        page.goto(f"{live_server.url}/dosing/")
        htmx_ready(page)
        row = page.locator(f"#p{world.alice.pk}")
        row.locator("input.mg").fill("80")
        row.locator("input.mg").press("Enter")
        given = page.locator(f"#p{world.alice.pk} .verdict.given")
        given.wait_for()
        settled(page)
        _keep(shot(page, f"bottle39-row-{screen}-{language}"))
        _fits(page, size)
        assert said in given.inner_text()
    with time_machine.travel(at(day + timedelta(days=1), 8), tick=True):
        page = _page(browser, live_server.url, world.alice.user, size, language)
        page.goto(f"{live_server.url}/me/")
        told = page.locator(".bottle-not-before")
        told.wait_for()
        _keep(shot(page, f"bottle39-her-page-{screen}-{language}"))
        _fits(page, size)
        assert said in told.inner_text()
