"""Lane words34: the assessment result page's correction form, looked at as a nurse sees it: on a phone
(390x844) in Spanish and on a desktop in English. Sent with no reason, the form comes back with the reason
marked beside its field (not only at the top), the answers as chosen, the page not scrolling sideways, and
the focus on what to fix. Screenshots go to test-artifacts/ (and /tmp/words34_*.png when looked at)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from keel.assessments.services import submit_assessment
from tests.conftest import World, sign_in

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ISO = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")
NEEDS_REASON = {"en": "write the reason (required)", "es": "escriba el motivo (obligatorio)"}


def _as(browser: Any, live: str, user: Any, viewport: dict[str, int], language: str, **kw: Any) -> Any:
    client = sign_in(Client(), user)
    context = browser.new_context(
        viewport=viewport, locale=language, extra_http_headers={"Accept-Language": language}, **kw
    )
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live}])
    return context


@pytest.mark.parametrize(
    ("language", "viewport", "phone"),
    [("es", PHONE, True), ("en", DESKTOP, False)],
    ids=["phone-es", "desktop-en"],
)
def test_a_correction_sent_without_a_reason_says_so_beside_the_reason(
    live_server: Any,
    browser: Any,
    world: World,
    shot: Any,
    language: str,
    viewport: dict[str, int],
    phone: bool,
) -> None:
    made, _ = submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="phq9",
        answers={f"phq9_{i}": 1 for i in range(1, 10)},
    )
    extra = {"is_mobile": True, "has_touch": True} if phone else {}
    context = _as(browser, live_server.url, world.staff["nurse"], viewport, language, **extra)
    page = context.new_page()
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/assessments/{made.pk}/")
    shot(page, f"words34-correction-{language}-before")
    page.screenshot(path=f"/tmp/words34_{language}_before.png", full_page=True)
    page.locator("input[name=kind][value=error]").check()
    page.locator("#fix-reason").fill("   ")  # blank: no reason
    page.locator("form[action$='/corrections/'] button[type=submit]").click()
    page.wait_for_load_state("load")
    shot(page, f"words34-correction-{language}-no-reason")
    page.screenshot(path=f"/tmp/words34_{language}_no_reason.png", full_page=True)
    field = page.locator("#fix-reason")
    beside = page.locator("#fix-reason-error")
    assert beside.is_visible()
    assert NEEDS_REASON[language] in beside.inner_text()
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "fix-reason-error"
    assert page.evaluate("document.activeElement && document.activeElement.id") == "fix-reason"
    assert page.locator("input[name=kind][value=error]").is_checked()  # the choice kept as sent
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert not ISO.search(page.locator("main").inner_text())
    context.close()
