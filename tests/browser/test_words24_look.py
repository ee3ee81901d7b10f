"""Lane words24: the pages session 23 changed, looked at as their users see them.

A nurse on a phone, in Spanish, corrects this morning's methadone dose after its take-home bottles went home:
the bottles to call back are a warning of its own (an amber bar, bold, under "Correction saved"), their days
as a person reads them, and the plan's section says the window stopped it, in Spanish, with no ISO day in
its words. A prescriber on a desktop writes a first buprenorphine order on the start page while another tab
writes a methadone order: the form shows no field of the versions it carries, and the 409 says which order
changed and what it is now, with no version number or order id. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

from keel.patients.models import local_today, zone_of
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import methadone_with_take_home_plan

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ISO = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")


def _as(browser: Any, live: str, user: Any, viewport: dict[str, int], language: str, **kw: Any) -> Any:
    """A browser in `language` signed in as `user` (the session's cookie, second factor included)."""
    client = sign_in(Client(), user)
    context = browser.new_context(
        viewport=viewport, locale=language, extra_http_headers={"Accept-Language": language}, **kw
    )
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live}])
    return context


def _bottles_went_home(world: World) -> None:
    """Alice on methadone 80 mg with a plan decided earlier today (bottles for tomorrow and the day after),
    given 80 mg since: the bottles went home with it. Both instants today and before now."""
    now = timezone.now()
    midnight = datetime.combine(local_today(world.alice), time(0), tzinfo=zone_of(world.alice))
    decided = min(now - timedelta(seconds=2), max(midnight, now - timedelta(hours=2)))
    methadone_with_take_home_plan(world, decided_at=decided)
    given = min(now - timedelta(seconds=1), max(decided + timedelta(seconds=1), now - timedelta(hours=1)))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", now=given)


def test_a_nurse_corrects_a_dose_whose_bottles_went_home_on_a_phone(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    _bottles_went_home(world)
    context = _as(browser, live_server.url, world.staff["nurse"], PHONE, "es", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/medication/")
    row = page.locator("table.doses tbody tr").first
    row.get_by_text("Corregir", exact=True).click()
    row.locator("input[name=corrected_mg]").fill("30")
    row.locator("input[name=reason]").fill("Pharmacy count shows 30 mg dispensed; the record is corrected.")
    row.get_by_role("button", name="Guardar corrección").click()
    warning = page.locator("ul.messages li.warning")
    warning.wait_for()
    assert "Llame a la persona" in warning.inner_text()
    assert ISO.search(warning.inner_text()) is None, warning.inner_text()
    # the warning stands out from "saved": its own bar, bold
    assert warning.evaluate("e => getComputedStyle(e).fontWeight") in ("600", "700")
    saved = page.locator("ul.messages li:not(.warning)").first
    assert warning.evaluate("e => getComputedStyle(e).backgroundColor") != saved.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    end = page.locator(".plan-end")
    assert "Detenido en la ventanilla" in end.inner_text()
    assert "siguen en casa" in end.inner_text()  # review 24c hole 2's words (lane bot25): still at home
    assert ISO.search(end.inner_text()) is None, end.inner_text()
    assert "The bottles" not in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "words24-correction-phone-es")
    context.close()


def test_a_prescriber_reads_the_409_on_the_start_page(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    context = _as(browser, live_server.url, world.staff["prescriber"], DESKTOP, "en")
    page = context.new_page()
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/start/")
    form = page.locator("form[action$='/start/orders/']")
    assert form.locator("input[type=hidden][name^=order_version]").count() == 3  # every medication's
    assert "order_version" not in form.inner_text() and "version" not in form.inner_text().lower()
    prescribe(  # another tab: a methadone order written after this page was read
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        order_version=0,
    )
    form.locator("#dose_mg").fill("4")
    form.get_by_role("button", name="Prescribe").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    said = alert.inner_text()
    assert said.startswith(
        "Not saved: the methadone order changed since you read it. "
        "Prescriber (no name on file) wrote a new order"
    )  # lane words25: the API's words too; lane words32: a staff member by name or role, never a username
    assert "version" not in said and ISO.search(said) is None, said
    assert page.get_by_role("link", name="See this person's orders").is_visible()  # the orders it names
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    shot(page, "words24-start-409-desktop-en")
    context.close()
