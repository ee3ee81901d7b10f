"""A patient fills PHQ-9 on a phone with a non-zero item 9 and sees crisis resources; a nurse records three
COWS scores at the bedside and sees them in the flowsheet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from keel import demo
from keel.patients.models import Patient, PatientFlag
from tests.browser.test_foundation_journeys import PHONE, _code


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if not username.split(".")[1].startswith("patient"):
        page.get_by_label("6-digit code").fill(_code(username))
        page.get_by_role("button", name="Continue").click()


def test_patient_fills_phq9_on_a_phone_and_sees_crisis_resources(
    live_server: Any, browser: Any, shot: Any
) -> None:
    demo.load(patients_per_program=4, seed=11)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.patient1")
    page.get_by_role("link", name="My check-ups").click()
    page.get_by_role("link", name="Patient Health Questionnaire-9").click()
    for i in range(1, 9):
        page.locator(f"#q-phq9_{i}").get_by_label("Several days").check()
    page.locator("#q-phq9_9").get_by_label("Several days").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="See my result").click()
    alert = page.get_by_role("alert")
    alert.get_by_role("heading", name="Help is here, right now").wait_for()
    assert alert.get_by_role("link", name="Call 988").get_attribute("href") == "tel:988"
    expect(page.get_by_text("Score: 9")).to_be_visible()
    shot(page, "instruments-phq9-crisis-phone")
    patient = Patient.objects.get(user__username="riverside.patient1")
    assert (
        PatientFlag.objects.filter(patient=patient, kind="suicide_risk", resolved_at__isnull=True).count()
        == 1
    )
    context.close()


def test_nurse_records_three_cows_scores_at_the_bedside(live_server: Any, browser: Any, shot: Any) -> None:
    demo.load(patients_per_program=4, seed=11)
    patient = Patient.objects.filter(
        program__slug="riverside", care_team__user__username="riverside.nurse"
    ).first()
    assert patient is not None
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="COWS at the bedside").click()
    start = timezone.localtime() - timedelta(hours=2)
    for i, (pulse, gi) in enumerate(
        [
            ("81 to 100", "Stomach cramps"),
            ("101 to 120", "Nausea or loose stool"),
            ("Above 120", "Vomiting or diarrhea"),
        ]
    ):
        page.get_by_label("Time of scoring").fill((start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M"))
        page.locator("#q-pulse").get_by_label(pulse).check()
        for item in [
            "sweating",
            "restlessness",
            "pupils",
            "aches",
            "nose_eyes",
            "tremor",
            "yawning",
            "anxiety",
            "gooseflesh",
        ]:
            page.locator(f"#q-{item}").locator("input[type=radio]").first.check()
        page.locator("#q-gi_upset").get_by_label(gi, exact=True).check()
        page.get_by_role("button", name="Save this score").click()
        page.get_by_role("heading", name="Scores so far").wait_for()
        expect(page.locator("svg circle")).to_have_count(i + 1)
    expect(page.locator("svg circle")).to_have_count(3)
    expect(page.get_by_text("Latest: 7 (Mild withdrawal)")).to_be_visible()
    shot(page, "instruments-cows-bedside")
    page.get_by_role("link", name=patient.display_name).first.click()
    page.locator("a[href$='/flowsheet/cows/']").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == ["2", "4", "7"]
    shot(page, "instruments-cows-flowsheet")
    context.close()
