"""A clinician signs in with a TOTP code, sees the patient list, opens a patient and signs out; a patient
signs in on a phone-sized screen."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keel import demo
from keel.patients.models import Patient

PHONE = {"width": 390, "height": 844}


def _code(username: str) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(demo.demo_totp_key(username))).token():06d}"


def test_clinician_signs_in_with_mfa_opens_a_patient_and_signs_out(
    live_server: Any, browser: Any, shot: Any
) -> None:
    demo.load(patients_per_program=4, seed=11)
    lakeside_names = [p.family_name for p in Patient.objects.filter(program__slug="lakeside")]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Username").fill("riverside.prescriber")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("6-digit code").fill(_code("riverside.prescriber"))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="My patients").wait_for()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    body = page.content()
    assert not any(
        name in body
        for name in lakeside_names
        if name not in {p.family_name for p in Patient.objects.filter(program__slug="riverside")}
    )
    shot(page, "foundation-clinician-patient-list")
    first = page.locator("table tbody tr a").first
    name = first.inner_text()
    first.click()
    page.get_by_role("heading", name=name).wait_for()
    expect(page.get_by_role("heading", name="Treatment")).to_be_visible()
    shot(page, "foundation-clinician-patient-page")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to Keel").wait_for()
    page.goto(f"{live_server.url}/patients/")
    assert "/accounts/login/" in page.url
    context.close()


def test_patient_signs_in_on_a_phone_and_sees_their_own_page(
    live_server: Any, browser: Any, shot: Any
) -> None:
    demo.load(patients_per_program=4, seed=11)
    me = Patient.objects.get(user__username="riverside.patient1")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("riverside.patient1")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=f"Hello, {me.display_name}").wait_for()
    assert page.url.endswith("/me/")
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "foundation-patient-phone")
    page.get_by_role("button", name="Español").click()
    page.get_by_role("heading", name=f"Hola, {me.display_name}").wait_for()
    shot(page, "foundation-patient-phone-es")
    context.close()
