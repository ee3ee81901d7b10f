"""Lane acct35: after a staff member's second factor is reset, her password alone no longer adds an
authenticator. Whoever reset it (an admin on the page, the API or the CLI; the server's operator) is shown a
one-time set-up code once; she types it with her new authenticator's first code. It works once, expires, is
void after too many wrong tries in any session, is stored as a digest only, and is in no email and no audit
row."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import services
from keel.accounts.models import SecondFactorSetupCode
from keel.accounts.second_factor import remove_second_factor
from keel.audit.models import AuditEvent
from tests.conftest import PASSWORD, Mailbox, World, sign_in
from tests.review34d._setup import PENDING, api_token, code_for_key, password_step

pytestmark = pytest.mark.django_db


def _api_reset(world: World) -> Any:
    admin = sign_in(Client(), world.staff["program_admin"])
    return admin.post(
        f"/api/v1/programs/riverside/staff/{world.staff['nurse'].pk}/second-factor/reset",
        {"password": PASSWORD},
        content_type="application/json",
    )


def _page_reset(world: World) -> Any:
    admin = sign_in(Client(), world.staff["program_admin"])
    return admin.post(
        f"/program/staff/{world.staff['nurse'].pk}/second-factor/reset/?program=riverside",
        {"password": PASSWORD},
    )


def _enrol_page(world: World) -> tuple[Client, str]:
    """The nurse's password step after the reset: the enrol page, and the new key's code now."""
    browser = Client()
    password_step(browser, world.staff["nurse"].username)
    browser.get("/accounts/login/verify/")
    return browser, code_for_key(browser.session[PENDING]["key"])


def _enrol(browser: Client, setup: str, code: str) -> Any:
    return browser.post("/accounts/login/verify/", {"setup_code": setup, "code": code})


# --- the hole: the password alone enrolled an authenticator ------------------------------------------------


def test_the_password_and_an_authenticator_code_alone_add_nothing(world: World) -> None:
    remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"])
    browser, code = _enrol_page(world)
    assert browser.post("/accounts/login/verify/", {"code": code}).status_code == 422
    assert not TOTPDevice.objects.filter(user=world.staff["nurse"]).exists()


def test_a_wrong_set_up_code_adds_nothing(world: World) -> None:
    remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"])
    browser, code = _enrol_page(world)
    assert _enrol(browser, "AAAA-BBBB-CCCC", code).status_code == 422
    assert not TOTPDevice.objects.filter(user=world.staff["nurse"]).exists()


def test_the_set_up_code_and_the_first_code_sign_her_in(world: World) -> None:
    setup = remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code.code
    browser, code = _enrol_page(world)
    assert _enrol(browser, setup, code).status_code == 302
    assert browser.get("/patients/").status_code == 200


def test_the_set_up_code_typed_in_lower_case_without_dashes_works(world: World) -> None:
    setup = remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code.code
    browser, code = _enrol_page(world)
    assert _enrol(browser, setup.replace("-", "").lower(), code).status_code == 302


# --- once, until it expires, a few tries --------------------------------------------------------------------


def test_the_set_up_code_works_once(world: World) -> None:
    nurse = world.staff["nurse"]
    setup = remove_second_factor(nurse, by=world.staff["program_admin"]).setup_code.code
    browser, code = _enrol_page(world)
    _enrol(browser, setup, code)
    TOTPDevice.objects.filter(user=nurse).delete()  # her device lost again, without a new reset
    again, again_code = _enrol_page(world)
    assert _enrol(again, setup, again_code).status_code == 422


def test_an_expired_set_up_code_adds_nothing(world: World) -> None:
    setup = remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code.code
    past = timezone.now() - timedelta(hours=25)
    SecondFactorSetupCode.objects.update(created_at=past - timedelta(hours=24), expires_at=past)
    browser, code = _enrol_page(world)
    assert _enrol(browser, setup, code).status_code == 422


def test_the_code_expires_after_the_policy_hours(world: World, settings: Any) -> None:
    settings.KEEL_MFA_SETUP_CODE_HOURS = 2
    issued = remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code
    row = SecondFactorSetupCode.objects.get()
    assert (row.expires_at - row.created_at, issued.expires_at) == (timedelta(hours=2), row.expires_at)


def test_wrong_tries_in_separate_sign_ins_void_it(world: World) -> None:
    setup = remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code.code
    for _try in range(services.SETUP_CODE_TRIES):
        browser, code = _enrol_page(world)  # a fresh sign-in each time: the pending sign-in's count restarts
        _enrol(browser, "AAAA-BBBB-CCCC", code)
    browser, code = _enrol_page(world)
    assert _enrol(browser, setup, code).status_code == 422


def test_a_wrong_authenticator_code_leaves_the_set_up_code_unspent(world: World) -> None:
    setup = remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code.code
    browser, code = _enrol_page(world)
    wrong = f"{(int(code) + 500000) % 1000000:06d}"
    _enrol(browser, setup, wrong)
    assert _enrol(browser, setup, code).status_code == 302


def test_a_new_reset_replaces_the_earlier_code(world: World) -> None:
    nurse, admin = world.staff["nurse"], world.staff["program_admin"]
    first = remove_second_factor(nurse, by=admin).setup_code.code
    remove_second_factor(nurse, by=admin)
    browser, code = _enrol_page(world)
    assert _enrol(browser, first, code).status_code == 422


def test_another_persons_code_does_not_work_for_her(world: World) -> None:
    admin = world.staff["program_admin"]
    theirs = remove_second_factor(world.staff["prescriber"], by=admin).setup_code.code
    remove_second_factor(world.staff["nurse"], by=admin)
    browser, code = _enrol_page(world)
    assert _enrol(browser, theirs, code).status_code == 422


def test_no_api_token_is_given_before_she_enrols(world: World) -> None:
    remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"])
    assert api_token(Client(), world.staff["nurse"].username, "123456").status_code == 401


# --- shown once to whoever reset it, never kept or sent ---------------------------------------------------


def test_the_api_reset_answers_with_the_code(world: World) -> None:
    answer = _api_reset(world)
    assert len(answer.json()["setup_code"].replace("-", "")) == 12


def test_the_api_reset_is_never_cached(world: World) -> None:
    assert "no-store" in _api_reset(world)["Cache-Control"]


def test_the_code_from_the_api_reset_enrols(world: World) -> None:
    setup = _api_reset(world).json()["setup_code"]
    browser, code = _enrol_page(world)
    assert _enrol(browser, setup, code).status_code == 302


def test_the_page_reset_shows_the_code_once(world: World) -> None:
    answer = _page_reset(world)
    assert SecondFactorSetupCode.objects.count() == 1
    assert "One-time set-up code" in answer.content.decode()


def test_the_page_reset_is_never_cached(world: World) -> None:
    assert "no-store" in _page_reset(world)["Cache-Control"]


def test_only_a_digest_is_stored(world: World) -> None:
    setup = _api_reset(world).json()["setup_code"]
    row = SecondFactorSetupCode.objects.get()
    assert setup.replace("-", "") not in row.digest


def test_the_code_is_in_no_audit_row(world: World) -> None:
    setup = _api_reset(world).json()["setup_code"]
    browser, code = _enrol_page(world)
    _enrol(browser, setup, code)
    rows = [f"{e.reason} {e.detail}" for e in AuditEvent.objects.all()]
    assert not [r for r in rows if setup in r or setup.replace("-", "") in r]


def test_the_code_is_in_no_email(
    world: World, smtp_server: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    world.staff["nurse"].email = "nurse@riverside.example"
    world.staff["nurse"].save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        setup = _api_reset(world).json()["setup_code"]
    bodies = [Mailbox.body(m) for m in smtp_server.messages]
    assert bodies and not [b for b in bodies if setup in b or setup.replace("-", "") in b]


def test_the_cli_reset_prints_a_code_that_enrols(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    out = StringIO()
    monkeypatch.setattr("sys.stdin", StringIO(PASSWORD + "\n"))
    call_command(
        "staff",
        "reset-second-factor",
        "--by",
        world.staff["program_admin"].username,
        "--program",
        "riverside",
        "--user-id",
        str(world.staff["nurse"].pk),
        "--password-stdin",
        stdout=out,
    )
    setup = out.getvalue().strip().rsplit(" ", 1)[-1]
    browser, code = _enrol_page(world)
    assert _enrol(browser, setup, code).status_code == 302


def test_the_operator_reset_prints_a_code_that_enrols(world: World) -> None:
    out = StringIO()
    call_command(
        "reset_staff_second_factor",
        "--username",
        world.staff["nurse"].username,
        "--reason",
        "She lost her phone on the bus and called the clinic",
        "--yes",
        stdout=out,
    )
    setup = out.getvalue().strip().rsplit(" ", 1)[-1]
    browser, code = _enrol_page(world)
    assert _enrol(browser, setup, code).status_code == 302


# --- audited ----------------------------------------------------------------------------------------------


def test_enrolling_with_the_code_is_audited(world: World) -> None:
    setup = remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code.code
    browser, code = _enrol_page(world)
    _enrol(browser, setup, code)
    assert AuditEvent.objects.filter(target_type="mfa", reason="enrolled with set-up code").count() == 1


def test_a_wrong_set_up_code_is_audited(world: World) -> None:
    remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"])
    browser, code = _enrol_page(world)
    _enrol(browser, "AAAA-BBBB-CCCC", code)
    assert AuditEvent.objects.filter(target_type="mfa", reason="set-up code: wrong").count() == 1


def test_the_enrol_page_asks_for_it_in_spanish(world: World) -> None:
    remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"])
    browser = Client()
    password_step(browser, world.staff["nurse"].username)
    page = browser.get("/accounts/login/verify/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Código de configuración de un solo uso" in page.content.decode()
