"""Journey 5 on a phone: check in with craving 8 -> thought record offered -> plan viewed -> reported use ->
safety message and a flag the counselor then sees and resolves (issue #7)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keel import demo
from keel.patients.models import Patient, PatientFlag
from tests.browser.test_foundation_journeys import PHONE
from tests.browser.test_instrument_journeys import _sign_in


def test_an_evening_in_recovery_on_a_phone(live_server: Any, browser: Any, shot: Any) -> None:
    demo.load(patients_per_program=4, seed=11)
    patient = Patient.objects.get(user__username="riverside.patient1")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.patient1")

    # Check in: craving 8, mood, no use, medication taken -> five taps.
    page.get_by_role("link", name="Check in for today").click()
    page.get_by_role("group", name="How strong is your craving right now?").get_by_text(
        "8", exact=True
    ).click()
    page.get_by_role("group", name="How is your mood?").get_by_text("Okay").click()
    page.get_by_role("group", name="Did you use any opioid").get_by_label("No", exact=True).check()
    page.get_by_label("Yes, as prescribed").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "recovery-checkin-phone")
    page.get_by_role("button", name="Save check-in").click()

    # High craving: a thought record is offered.
    page.get_by_role("heading", name="Your craving is strong today").wait_for()
    page.get_by_role("link", name="Do a thought record").click()
    page.get_by_label("What happened?").fill("Payday, walking past the old corner")
    page.get_by_label("What went through your mind?").fill("Just once won't matter")
    page.get_by_label("What did you feel?").fill("restless")
    page.get_by_label("How strong was the feeling? (0 to 100)").fill("80")
    page.get_by_label("A more balanced thought").fill("Once has never been once for me; I can call Sam")
    page.get_by_label("How strong is the feeling now? (0 to 100)").fill("40")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Just once won't matter").wait_for()

    # The plan, viewed (written first).
    page.get_by_role("link", name="My plan").click()
    page.get_by_role("link", name="Write my plan").click()
    page.get_by_label("My warning signs").fill("skipping meals\nnot answering my phone")
    page.get_by_label("Name").first.fill("Sam")
    page.get_by_label("Phone").first.fill("555-0100")
    page.get_by_role("button", name="Save my plan").click()
    page.get_by_role("heading", name="My recovery plan").wait_for()
    assert page.get_by_role("link", name="555-0100").get_attribute("href") == "tel:555-0100"
    shot(page, "recovery-plan-phone")

    # Later that evening: the check-in is changed to report use -> a safety message, never blame.
    page.get_by_role("link", name="Check in", exact=True).click()
    page.get_by_role("group", name="Did you use any opioid").get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save check-in").click()
    safety = page.get_by_role("region", name="Your safety matters")
    safety.wait_for()
    expect(safety).to_contain_text("naloxone")
    shot(page, "recovery-safety-phone")
    context.close()

    flag = PatientFlag.objects.get(patient=patient, kind="reported_use", resolved_at__isnull=True)

    # The counselor sees the flag with its reasons and resolves it with a note.
    staff = browser.new_context(viewport={"width": 1024, "height": 900})
    page = staff.new_page()
    _sign_in(page, live_server.url, "riverside.counselor")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    alert = page.get_by_role("alert").filter(has_text="Reported use")
    expect(alert).to_contain_text("never blame")
    alert.get_by_label("What was done").fill("Called; naloxone kit offered; sees prescriber tomorrow.")
    alert.get_by_role("button", name="Resolve").click()
    page.get_by_text("The flag is resolved.").wait_for()
    page.goto(f"{live_server.url}/patients/{patient.pk}/recovery/")
    page.get_by_text("Just once won't matter").wait_for()
    shot(page, "recovery-counselor-overview")
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    staff.close()
