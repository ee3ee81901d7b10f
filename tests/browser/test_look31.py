"""Lane look31's look: three refusals as their readers see them, on a phone in Spanish and a desktop in
English (the undo-death page with a refused reason, the review queue with a break-the-glass refused after
a death, the recovery plan with a refused phone). Screenshots go to /tmp/look31/ (KEEL_LOOK_DIR) to see;
the test checks what a screenshot cannot prove: nothing wider than the screen, each error beside its field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from keel.accounts.models import User
from tests.conftest import PASSWORD, World, sign_in
from tests.review27b.test_death_and_activation import _record_death

pytestmark = pytest.mark.django_db(transaction=True)
LOOKS = Path(os.environ.get("KEEL_LOOK_DIR", "/tmp/look31"))
SIZES = [("es", {"width": 390, "height": 844}), ("en", {"width": 1280, "height": 800})]


def _page(browser: Any, live: str, user: User, language: str, viewport: dict[str, int]) -> Any:
    cookie = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(
        viewport=viewport, locale=language, extra_http_headers={"Accept-Language": language}
    )
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live}])
    return context.new_page()


def _look(page: Any, name: str, viewport: dict[str, int]) -> None:
    LOOKS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LOOKS / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name


@pytest.mark.parametrize(("language", "viewport"), SIZES)
def test_the_undo_death_page_with_a_refused_reason(
    live_server: Any, browser: Any, world: World, language: str, viewport: dict[str, int]
) -> None:
    _record_death(world, world.alice)
    page = _page(browser, live_server.url, world.staff["program_admin"], language, viewport)
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/episodes/")
    page.locator("textarea[name=reason]").fill("oops <b>x</b>")
    page.locator("input[name=undo_confirmed]").check()
    page.locator("form[action$='/undo-death/'] button[type=submit]").click()
    page.wait_for_load_state()
    _look(page, f"undo-death-{language}-{viewport['width']}", viewport)
    assert page.locator("textarea[name=reason][aria-invalid=true]").input_value() == "oops <b>x</b>"


@pytest.mark.parametrize(("language", "viewport"), SIZES)
def test_the_review_queue_with_a_refusal_after_a_death(
    live_server: Any, browser: Any, world: World, language: str, viewport: dict[str, int]
) -> None:
    _record_death(world, world.bob)
    sign_in(Client(), world.staff["nurse"]).post(
        "/emergency-access/",
        {
            "record_number": world.bob.record_number,
            "reason": "found in the lobby, needs medication",
            "password": PASSWORD,
        },
    )
    page = _page(browser, live_server.url, world.staff["program_admin"], language, viewport)
    page.goto(f"{live_server.url}/program/emergency-reviews/")
    page.locator("textarea[name=note]").first.fill("ok")
    page.locator("article.review button[type=submit]").first.click()
    page.wait_for_load_state()
    _look(page, f"reviews-{language}-{viewport['width']}", viewport)
    assert page.locator("textarea[aria-invalid=true]").input_value() == "ok"


@pytest.mark.parametrize(("language", "viewport"), SIZES)
def test_the_recovery_plan_with_errors(
    live_server: Any, browser: Any, world: World, language: str, viewport: dict[str, int]
) -> None:
    page = _page(browser, live_server.url, world.alice.user, language, viewport)
    page.goto(f"{live_server.url}/me/plan/edit/")
    page.locator("#pn1").fill("Rosa")
    page.locator("#pp1").fill("call me after 5")
    page.locator("#triggers").fill("the bar on 5th\n" + "x" * 301)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    _look(page, f"plan-{language}-{viewport['width']}", viewport)
    assert page.locator("[aria-invalid=true]").count() == 2
