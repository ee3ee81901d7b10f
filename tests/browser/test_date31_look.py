"""Lane date31's look: two staff pages that now say their days in words, on a phone in Spanish (390 by 844):
the patient's record with a QTc notice and the care team's timeline. Screenshots go to /tmp/date31/
(KEEL_LOOK_DIR); the test checks the day is said in words and nothing is wider than the screen."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from keel.treatment.models import QtcRecord
from keel.web.templatetags.keel_dates import shown_date
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db(transaction=True)
LOOKS = Path(os.environ.get("KEEL_LOOK_DIR", "/tmp/date31"))
PHONE = {"width": 390, "height": 844}
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _phone(browser: Any, live: str, world: World) -> Any:
    cookie = sign_in(Client(), world.staff["nurse"]).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport=PHONE, locale="es", extra_http_headers={"Accept-Language": "es"})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live}])
    return context.new_page()


def _look(page: Any, name: str) -> None:
    LOOKS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LOOKS / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def test_the_record_says_the_qtc_day_in_spanish_on_a_phone(
    live_server: Any, browser: Any, world: World
) -> None:
    methadone_with_qtc(world, 520)
    page = _phone(browser, live_server.url, world)
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/")
    _look(page, "record-es-390")
    with translation.override("es"):
        day = shown_date(QtcRecord.objects.get().measured_on)
    assert f"el {day}:" in page.locator("#qtc-review-h").inner_text()


def test_the_timeline_says_its_period_in_spanish_on_a_phone(
    live_server: Any, browser: Any, world: World
) -> None:
    methadone_with_qtc(world, 520)
    page = _phone(browser, live_server.url, world)
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/timeline/")
    _look(page, "timeline-es-390")
    assert not ISO_DAY.search(page.locator("main").inner_text())
