"""The dosing window's find-a-person in a browser (review 21p, hole 12): the name typed is posted, never in
the address; the narrowed list still records a dose on its row (htmx) and its count, fetched again by a POST
with the find field and its CSRF token, follows."""

from __future__ import annotations

from typing import Any

from keel import demo
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.browser.test_instrument_journeys import _sign_in
from tests.browser.test_treatment_journey import TABLET, due_count, htmx_ready, wait_until


def test_find_a_person_at_the_dosing_window(live_server: Any, browser: Any) -> None:
    demo.load(patients_per_program=6, seed=11)
    orders = MedicationOrder.objects.filter(patient__program__slug="riverside", status="active")
    order = next(o for o in orders if not DoseRecord.objects.filter(patient=o.patient).exists())
    person = order.patient
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.nurse")
    page.get_by_role("link", name="Dosing window").click()
    htmx_ready(page)
    page.get_by_label("Find a person (name or record number), then Enter").fill(person.family_name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    htmx_ready(page)
    assert page.url.rstrip("/").endswith("/dosing")  # no ?q=: the name stays out of the address
    assert person.family_name not in page.url
    assert page.locator(f"#p{person.pk}").count() == 1
    due = due_count(page)
    assert due >= 1
    row = page.locator(f"#p{person.pk}")
    row.get_by_label(f"Dose for {person.display_name} (mg)").fill("30")
    page.keyboard.press("Enter")
    page.get_by_text(f"30 mg given to {person.display_name}.").wait_for()
    wait_until(page, f"document.getElementById('due-count').textContent.trim().startsWith('{due - 1} ')")
    assert DoseRecord.objects.filter(patient=person, status="given").count() == 1
    context.close()
