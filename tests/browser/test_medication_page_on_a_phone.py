"""Lane words22: the staff medication page on a phone (390x844) with a long history. Before, each of the last
60 doses was a six-line block, every take-home decision, fill and QTc was listed in full with its 28 bottle
dates one by one, every form was open, and each order said "RxNorm 6813": 21,360 px to scroll on a phone, and
an internal code on a page.

Now the orders in force and the last week of doses are in view; the older doses fold under one <details>
("53 earlier doses", with a "Show all doses" link past the 60 read), each dose's check reasons under its
verdict, the older orders, overrides, take-home decisions, fills and QTc under their own <details>, each form
under what it does, and bottle dates said as runs ("2026-12-04 to 2026-12-31"): every fact one tap away. This
history measured 4,682 px. The bound, 6,000 px, leaves room for a longer reason or a second order in force,
but not for a list to grow back: the 53 folded doses alone were about 12,000 px, the take-home form 1,300."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.test import Client

from keel import demo
from keel.accounts.models import User
from keel.patients.models import Patient, local_today
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.conftest import sign_in

PHONE = {"width": 390, "height": 844}
MAX_HEIGHT_PX = 6_000


def _with_the_longest_history() -> Patient:
    """The demo's Riverside person with the most doses (the demo writes months of daily doses), plus two
    months of the rest of a record: a take-home decision, four QTc readings and six pharmacy fills."""
    from keel.core.rules.methadone import CRITERIA
    from keel.treatment import services

    demo.load(patients_per_program=6, seed=11)
    person = (
        Patient.objects.filter(
            program__slug="riverside",
            medication_orders__status="active",
            medication_orders__medication="methadone",
        )
        .annotate(n=Count("doses", distinct=True))
        .order_by("-n")
        .first()
    )
    assert person is not None
    assert DoseRecord.objects.filter(patient=person).count() >= 60  # two months of doses at least
    nurse = User.objects.get(username="riverside.nurse")
    prescriber = User.objects.get(username="riverside.prescriber")
    for weeks, ms in enumerate((432, 441, 447, 452)):
        services.record_qtc(
            by=nurse,
            patient_id=person.pk,
            qtc_ms=ms,
            measured_on=local_today(person) - timedelta(weeks=6 - 2 * weeks),
        )
    services.decide_take_home(
        by=prescriber,
        patient_id=person.pk,
        criteria={key: True for key, _text in CRITERIA},
        start_on=local_today(person).isoformat(),
    )
    order = MedicationOrder.objects.filter(patient=person, status="active").first()
    assert order is not None
    for weeks in range(6):  # within the current order (it started two weeks ago)
        services.record_fill(
            by=nurse,
            patient_id=person.pk,
            order_id=order.pk,
            filled_on=(local_today(person) - timedelta(days=13 - 2 * weeks)).isoformat(),
            days_supply=1,
            source="pharmacy",
        )
    return person


def test_the_medication_page_fits_a_phone_without_codes(live_server: Any, browser: Any, shot: Any) -> None:
    person = _with_the_longest_history()
    client = sign_in(Client(), User.objects.get(username="riverside.prescriber"))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/patients/{person.pk}/medication/")
    height = page.evaluate("document.documentElement.scrollHeight")
    shot(page, "medication-phone-60-days")
    text = page.locator("main").inner_text()
    codes = set(MedicationOrder.objects.filter(patient=person).values_list("rxnorm", flat=True)) - {""}
    print(f"medication page on a 390x844 phone: {height} px")
    assert height < MAX_HEIGHT_PX
    assert "RxNorm" not in page.content()
    assert [c for c in codes if c in text] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # folded, not dropped: the 60 latest doses are all in the page, and "show all" lists every one
    assert page.locator("table.doses tbody tr").count() == 60
    if DoseRecord.objects.filter(patient=person).count() > 60:
        page.get_by_role("link", name="Show all doses").click()
        page.locator("details.earlier[open]").first.wait_for()
        # the whole page parsed before the rows are counted (the CI of session 26 counted 109 of 350 rows
        # while a loaded machine was still parsing the page: the assertion unchanged, its wait made whole)
        page.wait_for_load_state("load")
        assert (
            page.locator("table.doses tbody tr").count() == DoseRecord.objects.filter(patient=person).count()
        )
    context.close()
