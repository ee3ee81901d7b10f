"""Journey 8 in a browser: a patient consents on a phone to share a progress report with a named recipient,
for a purpose, until a date; the counselor sends it (password again) and the report carries the notice; the
patient sees it in the accounting and takes the consent back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from keel import demo
from keel.core import sharing as core
from keel.patients.models import Patient
from tests.browser.test_foundation_journeys import PHONE
from tests.browser.test_instrument_journeys import _sign_in


def test_sharing_under_part_2(live_server: Any, browser: Any, shot: Any) -> None:
    demo.load(patients_per_program=4, seed=11)
    patient = Patient.objects.get(user__username="riverside.patient1")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _sign_in(page, live_server.url, "riverside.patient1")
    page.get_by_role("link", name="Sharing my record").click()
    page.get_by_role("link", name="Share my progress with someone").click()
    page.get_by_label("Who gets the report").fill("Dr. Ruth Example, Valley Primary Care")
    page.get_by_label("For my treatment by the recipient").check()
    page.get_by_label("Medication: current medicine").check()
    page.get_by_label("Check-ins: how many").check()
    page.get_by_label("The consent ends on").fill((timezone.localdate() + timedelta(days=90)).isoformat())
    page.get_by_label("I read this and I agree").check()
    page.get_by_label("Sign by typing your full name").fill("Someone Else")
    page.get_by_role("button", name="Sign the consent").click()
    expect(page.get_by_text("type your full name as it appears on your record")).to_be_visible()
    page.get_by_label("Sign by typing your full name").fill(f"{patient.given_name} {patient.family_name}")
    page.get_by_role("button", name="Sign the consent").click()
    expect(page.get_by_text("Your consent is signed.")).to_be_visible()
    expect(page.locator(".consent-active")).to_contain_text("Dr. Ruth Example, Valley Primary Care")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "sharing-patient-consent-phone")
    phone.close()

    staff = browser.new_context(viewport={"width": 1024, "height": 900})
    page = staff.new_page()
    _sign_in(page, live_server.url, "riverside.counselor")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Sharing: consents, disclosures, emergencies").click()
    consent = page.locator(".consent-active").first
    consent.get_by_label("Who receives it (as the consent names them)").fill(
        "Dr. Ruth Example, Valley Primary Care"
    )
    consent.get_by_label("Why it is shared").select_option("treatment")
    consent.get_by_label("Your password, to confirm").fill(demo.DEMO_PASSWORD)
    consent.get_by_role("button", name="Send the progress report").click()
    expect(page.get_by_role("heading", name="Progress report")).to_be_visible()
    expect(page.get_by_role("note")).to_have_text(core.NOTICE)
    expect(page.get_by_text("Shared with Dr. Ruth Example, Valley Primary Care")).to_be_visible()
    expect(page.get_by_role("heading", name="Screening scores")).to_have_count(0)  # not in the consent
    shot(page, "sharing-progress-report")
    staff.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _sign_in(page, live_server.url, "riverside.patient1")
    page.get_by_role("link", name="Sharing my record").click()
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("Dr. Ruth Example, Valley Primary Care")
    expect(row).to_contain_text("Your consent")
    page.get_by_role("button", name="Take back this consent").click()
    expect(page.get_by_text("The consent is revoked.")).to_be_visible()
    expect(page.locator(".consent-revoked")).to_contain_text("Taken back")
    shot(page, "sharing-accounting-phone")
    phone.close()
