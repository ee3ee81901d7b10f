"""Journey 4 on a tablet: the nurse at the dosing window records doses with the keyboard (guard rails: an
empty amount, the first-day total, a hold when sedated and Enter after it), then the prescriber decides
take-homes and sees the bottle schedule."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keel import demo
from keel.patients.models import PatientFlag
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.browser.test_instrument_journeys import _sign_in

TABLET = {"width": 1024, "height": 768}


def wait_until(page: Any, expression: str, timeout_ms: int = 15_000) -> None:
    """Poll a JavaScript expression from Python until it is true. Not `page.wait_for_function`: its polling
    loop builds the predicate with `eval` inside the page, and Keel's CSP (script-src 'self', no
    'unsafe-eval') rightly refuses that on some Chromium builds (CI's failed on 2026-12-02). `page.evaluate`
    runs over the DevTools protocol, outside the page's CSP."""
    waited = 0
    while not page.evaluate(expression):
        if waited >= timeout_ms:
            raise AssertionError(f"still false after {timeout_ms} ms: {expression}")
        page.wait_for_timeout(50)
        waited += 50


def settled(page: Any) -> None:
    """Wait until htmx has finished swapping and settling the row it just replaced (its new form takes a
    click only then)."""
    wait_until(page, "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")


def htmx_ready(page: Any) -> None:
    """Wait until the dosing page has loaded and htmx (a deferred script) has started: an Enter pressed
    before then posts the plain form and the list reloads whole (on a loaded CI machine it did)."""
    page.wait_for_load_state("load")
    wait_until(page, "window.htmx !== undefined && document.readyState === 'complete'")


def due_count(page: Any) -> int:
    """The number in "N people still due today" as the page shows it."""
    return int(page.locator("#due-count").inner_text().split()[0])


def held_day(order: MedicationOrder) -> Any:
    return DoseRecord.objects.filter(patient=order.patient, status="held").get().local_date


def test_methadone_at_the_dosing_window(live_server: Any, browser: Any, shot: Any) -> None:
    demo.load(patients_per_program=6, seed=11)
    orders = MedicationOrder.objects.filter(patient__program__slug="riverside", status="active")
    first_day = next(o for o in orders if not DoseRecord.objects.filter(patient=o.patient).exists())
    regular = next(o for o in orders if DoseRecord.objects.filter(patient=o.patient).exists())
    context = browser.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.nurse")
    page.get_by_role("link", name="Dosing window").click()
    htmx_ready(page)
    page.evaluate("window.keelSamePage = true")  # gone if the list reloads whole
    due = due_count(page)
    row = page.locator(f"#p{first_day.patient_id}")
    amount = row.get_by_label(f"Dose for {first_day.patient.display_name} (mg)")
    assert amount.input_value() == ""  # never the ordered dose by default (issue #13)
    # Enter on an empty amount gives nothing and says why.
    row.get_by_role("button", name="Record dose").focus()
    page.keyboard.press("Enter")
    page.get_by_text("type the amount given (mg)").wait_for()
    assert not DoseRecord.objects.filter(patient=first_day.patient).exists()
    # Keyboard only: type the dose, then Enter.
    row = page.locator(f"#p{first_day.patient_id}")
    row.get_by_label(f"Dose for {first_day.patient.display_name} (mg)").fill("30")
    page.keyboard.press("Enter")
    page.get_by_text(f"30 mg given to {first_day.patient.display_name}.").wait_for()
    # Issue #13: the row was swapped in place (htmx); the list did not reload whole after the dose.
    assert page.evaluate("window.keelSamePage") is True
    # Session 18: the count above the list follows the swapped row (it was stale until a reload).
    wait_until(page, f"document.getElementById('due-count').textContent.trim().startsWith('{due - 1} ')")
    settled(page)
    shot(page, "treatment-dosing-window-tablet")
    # A second dose that would pass the 40 mg first-day total is not given.
    row = page.locator(f"#p{first_day.patient_id}")
    row.get_by_label(f"Dose for {first_day.patient.display_name} (mg)").fill("25")
    row.get_by_label(f"Dose for {first_day.patient.display_name} (mg)").press("Enter")
    page.get_by_text("above the 40 mg day-one limit").wait_for()
    assert DoseRecord.objects.filter(patient=first_day.patient).count() == 1
    # Nodding off at the window: the dose is held and a prescriber is asked to assess.
    row = page.locator(f"#p{regular.patient_id}")
    row.get_by_label("sedated or intoxicated: hold").check()
    row.get_by_label(f"Dose for {regular.patient.display_name} (mg)").press("Enter")
    page.get_by_text("A prescriber has been asked to assess.").wait_for()
    wait_until(page, f"document.getElementById('due-count').textContent.trim().startsWith('{due - 2} ')")
    assert page.evaluate("window.keelSamePage") is True
    assert PatientFlag.objects.filter(
        patient=regular.patient, kind="dose_held", resolved_at__isnull=True
    ).exists()
    # A hold means stop: Enter on the held row gives nothing until a prescriber releases the hold.
    row = page.locator(f"#p{regular.patient_id}")
    row.get_by_label(f"Dose for {regular.patient.display_name} (mg)").fill(f"{regular.dose_mg:f}")
    row.get_by_label(f"Dose for {regular.patient.display_name} (mg)").press("Enter")
    page.get_by_text("No dose until a prescriber assesses the person").wait_for()
    assert not DoseRecord.objects.filter(
        patient=regular.patient, status="given", local_date=held_day(regular)
    ).exists()
    context.close()

    # The prescriber: take-home eligibility from days in treatment and the documented criteria. While the
    # hold stands, no bottles at all: they would leave with someone sedated now.
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.prescriber")
    page.goto(f"{live_server.url}/patients/{regular.patient_id}/medication/")
    page.get_by_text("New take-home decision").click()  # folded on the page (lane words22)
    form = page.locator("form", has=page.get_by_role("button", name="Decide take-homes"))
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Decide take-homes").click()
    page.get_by_text("no take-home bottles").first.wait_for()
    # The prescriber assesses the person and releases the hold on the person's page; then take-homes.
    held = PatientFlag.objects.get(patient=regular.patient, kind="dose_held", resolved_at__isnull=True)
    page.goto(f"{live_server.url}/patients/{regular.patient_id}/")
    flag = page.locator(f"section[aria-labelledby='flag-{held.pk}']")
    flag.get_by_label("What was done").fill(
        "Assessed at the window: alert, pupils normal, breath alcohol zero"
    )
    flag.get_by_role("button", name="Resolve").click()
    expect(page.locator(f"section[aria-labelledby='flag-{held.pk}']")).to_have_count(0)
    page.goto(f"{live_server.url}/patients/{regular.patient_id}/medication/")
    page.get_by_text("New take-home decision").click()  # folded on the page (lane words22)
    form = page.locator("form", has=page.get_by_role("button", name="Decide take-homes"))
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Decide take-homes").click()
    page.get_by_text("Take-home decision: up to").wait_for()
    section = page.get_by_role("region", name="Take-home doses")
    expect(section).to_contain_text("Bottles:")
    shot(page, "treatment-take-homes-tablet")
    context.close()


def test_a_take_home_on_methadone_day_one_counts_from_the_first_dose(
    live_server: Any, browser: Any, shot: Any
) -> None:
    """Journey 4's bad path: someone admitted long ago but on their first methadone day is in the first tier
    of 42 CFR 8.12(i) (days in treatment count from the episode's first dose), never the 28-day tier."""
    from datetime import timedelta

    from keel.patients.models import Enrollment, local_today

    demo.load(patients_per_program=6, seed=11)
    orders = MedicationOrder.objects.filter(patient__program__slug="riverside", status="active")
    first_day = next(o for o in orders if not DoseRecord.objects.filter(patient=o.patient).exists())
    patient = first_day.patient
    Enrollment.objects.filter(patient=patient).update(started_on=local_today(patient) - timedelta(days=56))
    context = browser.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.nurse")
    page.get_by_role("link", name="Dosing window").click()
    row = page.locator(f"#p{patient.pk}")
    row.get_by_label(f"Dose for {patient.display_name} (mg)").fill("30")
    page.keyboard.press("Enter")
    page.get_by_text(f"30 mg given to {patient.display_name}.").wait_for()
    context.close()

    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.prescriber")
    page.goto(f"{live_server.url}/patients/{patient.pk}/medication/")
    page.get_by_text("New take-home decision").click()  # folded on the page (lane words22)
    form = page.locator("form", has=page.get_by_role("button", name="Decide take-homes"))
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Decide take-homes").click()
    page.get_by_text("Take-home decision: up to 7 days.").wait_for()
    shot(page, "treatment-take-homes-day-one-tablet")
    context.close()
