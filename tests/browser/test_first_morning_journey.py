"""Journey 0 in a browser (issue #18): the first morning, on a fresh database. `keel setup` makes the program
and its admin; she signs in with her authenticator, invites a nurse (the email is read from a real SMTP server
started by the test); the nurse sets a password and confirms the QR code's key; the admin registers the first
patient, puts the nurse on the care team and hands over an activation code; the patient makes their account on
a phone; the nurse leaves and her session ends at once."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from typing import Any

from django.core.management import call_command
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.conftest import Mailbox

PASSWORD = "a long and unusual passphrase"
PHONE = {"width": 390, "height": 844}


EPISODE_KIND = "otp"  # an opioid treatment program admission (issue #18)


def _code(secret_base32: str) -> str:
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    return f"{TOTP(key).token():06d}"


def _setup() -> str:
    out, old = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(PASSWORD + "\n")
    try:
        call_command(
            "setup",
            "--program-slug", "riverside",
            "--program-name", "Riverside Recovery",
            "--time-zone", "America/Chicago",
            "--username", "dana",
            "--email", "dana@riverside.example",
            "--first-name", "Dana",
            "--password-stdin",
            "--json",
            stdout=out,
        )  # fmt: skip
    finally:
        sys.stdin = old
    return str(json.loads(out.getvalue())["totp_secret"])


def _prescriber_joins_the_team(preferred_name: str) -> None:
    """A prescriber already working at the program joins the person's care team (set up directly: the
    invitation journey is the nurse's, above)."""
    from keel.accounts import services
    from keel.patients.models import CareTeamMember, Patient

    prescriber, _device = services.create_user(
        username="dr-okafor", role="prescriber", password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=Patient.objects.get(preferred_name=preferred_name), user=prescriber)


def test_the_first_morning(live_server: Any, browser: Any, shot: Any, smtp_server: Mailbox) -> None:
    secret = _setup()
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin.goto(f"{live_server.url}/accounts/login/")
    admin.get_by_label("Username").fill("dana")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.get_by_label("6-digit code").fill(_code(secret))
    admin.get_by_role("button", name="Continue").click()

    # Invite the nurse.
    admin.get_by_role("link", name="Staff").click()
    admin.get_by_label("Email address").fill("nia@riverside.example")
    admin.get_by_label("Role").select_option("nurse")
    admin.get_by_label("First name (optional)").fill("Nia")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("Invitation sent to nia@riverside.example")
    shot(admin, "first-morning-staff")
    body = Mailbox.body(smtp_server.to("nia@riverside.example")[0])
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", body)
    assert link

    # The nurse accepts on her own computer.
    nurse_context = browser.new_context(viewport={"width": 1024, "height": 900})
    nurse = nurse_context.new_page()
    nurse.goto(link.group(0))
    expect(nurse.locator(".qr svg")).to_be_visible()
    key = nurse.locator("code.secret").inner_text()
    nurse.get_by_label("Choose a username").fill("nia")
    nurse.get_by_label("Choose a password").fill(PASSWORD)
    nurse.get_by_label("The same password again").fill(PASSWORD)
    nurse.get_by_label("6-digit code").fill(_code(key))
    shot(nurse, "first-morning-invitation")
    nurse.get_by_role("button", name="Join").click()
    expect(nurse.get_by_role("heading", name="My patients")).to_be_visible()

    # The admin registers the first patient at the front desk.
    admin.get_by_role("link", name="Register a patient").click()
    admin.get_by_label("First name (legal)").fill("Maria")
    admin.get_by_label("Last name (legal)").fill("Lopez")
    admin.get_by_label("Name they go by (optional)").fill("Mari")
    admin.get_by_label("Pronouns (optional)").fill("she/her")
    admin.get_by_label("Date of birth").fill("1988-04-02")
    admin.get_by_label("Gender (for records and billing)").select_option("female")
    admin.get_by_label("Kind of care").select_option(EPISODE_KIND)
    admin.get_by_label(
        "I gave the person the notice about the privacy of their substance use records"
    ).check()
    admin.get_by_label("The person consents to treatment").check()
    admin.get_by_role("button", name="Register").click()
    expect(admin.get_by_role("heading", name="Mari Lopez")).to_be_visible()

    # ...puts the nurse on the care team...
    admin.get_by_role("link", name="Care team", exact=True).click()
    admin.get_by_label("Staff member").select_option(label="Nia (Nurse)")
    admin.get_by_role("button", name="Add to the care team").click()
    expect(admin.get_by_role("listitem").filter(has_text="Nia (Nurse)")).to_be_visible()
    nurse.goto(f"{live_server.url}/patients/")
    expect(nurse.get_by_role("link", name="Mari Lopez")).to_be_visible()

    # ...and hands over an activation code.
    admin.get_by_role("link", name="Back to the record").click()
    admin.get_by_role("button", name="Activation code for the person's own account").click()
    code = admin.locator("code").first.inner_text()
    shot(admin, "first-morning-activation-code")

    # That evening, on the patient's own phone.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{live_server.url}/accounts/activate/")
    phone.get_by_label("Code from the front desk").fill(code)
    phone.get_by_label("Choose a username").fill("mari")
    phone.get_by_label("Choose a password").fill(PASSWORD)
    phone.get_by_label("The same password again").fill(PASSWORD)
    phone.get_by_role("button", name="Make my account").click()
    expect(phone).to_have_url(re.compile(r"/me/$"))
    shot(phone, "first-morning-patient-home")

    # The nurse leaves. She is Mari's only clinician, so Keel keeps her on until another joins the team
    # (keel.patients.care_gap); then her access ends on her next request.
    admin.get_by_role("link", name="Staff").click()
    admin.get_by_role("button", name="Turn off Nia's account now").click()
    expect(admin.locator("main")).to_contain_text("Add another nurse or prescriber to their care team first")
    shot(admin, "first-morning-last-nurse-kept")
    _prescriber_joins_the_team("Mari")
    admin.get_by_role("button", name="Turn off Nia's account now").click()
    expect(admin.get_by_role("cell", name="Turned off")).to_be_visible()
    nurse.goto(f"{live_server.url}/patients/")
    expect(nurse).to_have_url(re.compile(r"/accounts/login/"))
    nurse_context.close()
