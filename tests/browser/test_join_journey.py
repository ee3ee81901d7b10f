"""An account of one's own joins a program's record with the care team's code, on a phone, in Spanish: the
code (a wrong one first), then the choice and the signature (a name that is not the record's first), each step
posting to its own address."""

from __future__ import annotations

from typing import Any

from keel import demo
from keel.accounts.models import Role, User
from keel.patients.models import Patient
from keel.selfguided import services as own
from tests.browser.test_foundation_journeys import PHONE

PASSWORD = "long walk by the river 42"


def test_an_own_account_joins_a_record_with_a_code_in_spanish(
    live_server: Any, browser: Any, shot: Any
) -> None:
    demo.load(patients_per_program=4, seed=11)
    record = Patient.objects.filter(program__slug="riverside", user__isnull=True).first()
    assert record is not None
    nurse = User.objects.get(username="riverside.nurse")
    code = own.issue_link_code(by=nurse, patient_id=record.pk).code
    own.sign_up(
        username="joining-one",
        password=PASSWORD,
        password_again=PASSWORD,
        time_zone="America/New_York",
        understood=True,
        address="192.0.2.51",
    )
    context = browser.new_context(viewport=PHONE, locale="es", extra_http_headers={"Accept-Language": "es"})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill("joining-one")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    page.goto(f"{live_server.url}/me/account/join/")
    page.locator("input[name=code]").fill("AAAAA-BBBBB")
    with page.expect_navigation():
        page.locator("input[name=code]").press("Enter")
    assert page.locator("#code-error").is_visible()
    page.locator("input[name=code]").fill(code)
    with page.expect_navigation():
        page.locator("input[name=code]").press("Enter")
    assert "Riverside" in page.content()
    page.locator("input[name=bring_history][value=no]").check()
    page.locator("input[name=signature]").fill("Someone Else")
    with page.expect_navigation():
        page.locator("input[name=signature]").press("Enter")
    assert page.url.endswith("/me/account/join/sign/")
    assert page.locator("#signature-error").is_visible()
    shot(page, "join-signature-error-es")
    assert Patient.objects.get(pk=record.pk).user_id is None
    page.locator("input[name=signature]").fill(f"{record.given_name} {record.family_name}")
    with page.expect_navigation():
        page.locator("input[name=signature]").press("Enter")
    assert Patient.objects.get(pk=record.pk).user_id == User.objects.get(username="joining-one").pk
    assert User.objects.get(username="joining-one").role == Role.PATIENT
    context.close()
