"""Fix 20c, holes 5 and 6: the password again before resetting anyone's two-step sign-in, on the page, the
API and the CLI; a wrong one counted as a failed sign-in; the person told without health information."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import mail, staff
from keel.accounts import services as accounts
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.schemas import SecondFactorResetIn
from keel.patients.services.second_factor import reset_second_factor
from tests.conftest import sign_in
from tests.review20b.conftest import PASSWORD, World

WHY = {"reason": "lost the phone, ID checked", "identity_checked": True}


@pytest.fixture
def enrolled(world: World) -> World:
    accounts.enroll_totp(user=world.patient_user)
    return world


def _patient_reset(world: World, password: object) -> None:
    body = SecondFactorResetIn.posted({**WHY, "password": password})
    reset_second_factor(by=world.nurse, patient_id=world.patient.pk, data=body)


def test_a_wrong_password_is_refused_naming_password(enrolled: World) -> None:
    with pytest.raises(FieldsInvalid) as refused:
        _patient_reset(enrolled, "not my password")
    assert [e.field for e in refused.value.errors] == ["password"]


def test_a_wrong_password_removes_nothing(enrolled: World) -> None:
    with pytest.raises(FieldsInvalid):
        _patient_reset(enrolled, "not my password")
    assert TOTPDevice.objects.filter(user=enrolled.patient_user).exists()


def test_a_wrong_password_is_a_failed_sign_in_of_the_clinician(enrolled: World) -> None:
    with pytest.raises(FieldsInvalid):
        _patient_reset(enrolled, "not my password")
    assert AuditEvent.objects.filter(action="failed_login", actor_id=enrolled.nurse.pk).exists()


def test_after_the_lockout_even_the_right_password_is_refused(enrolled: World) -> None:
    client = sign_in(Client(), enrolled.nurse)
    url = f"/api/v1/patients/{enrolled.patient.pk}/second-factor/reset"
    for _ in range(5):
        client.post(url, json.dumps({**WHY, "password": "not it"}), content_type="application/json")
    client.post(url, json.dumps({**WHY, "password": PASSWORD}), content_type="application/json")
    assert TOTPDevice.objects.filter(user=enrolled.patient_user).exists()


def test_a_password_that_is_not_text_is_refused_not_a_500(enrolled: World) -> None:
    response = sign_in(Client(), enrolled.nurse).post(
        f"/api/v1/patients/{enrolled.patient.pk}/second-factor/reset",
        json.dumps({**WHY, "password": 12345}),
        content_type="application/json",
    )
    assert response.status_code == 422


def test_the_api_without_a_password_names_password(enrolled: World) -> None:
    response = sign_in(Client(), enrolled.nurse).post(
        f"/api/v1/patients/{enrolled.patient.pk}/second-factor/reset",
        json.dumps(WHY),
        content_type="application/json",
    )
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["password"])


def test_the_page_without_a_password_removes_nothing(enrolled: World) -> None:
    sign_in(Client(), enrolled.nurse).post(
        f"/patients/{enrolled.patient.pk}/second-factor/reset/",
        {"reason": "lost it", "identity_checked": "on"},
    )
    assert TOTPDevice.objects.filter(user=enrolled.patient_user).exists()


def test_the_page_never_sends_the_password_back(enrolled: World) -> None:
    response = sign_in(Client(), enrolled.nurse).post(
        f"/patients/{enrolled.patient.pk}/second-factor/reset/",
        {"reason": "lost it", "identity_checked": "on", "password": "my-typed-secret-99"},
    )
    assert b"my-typed-secret-99" not in response.content


def test_the_right_password_resets_it(enrolled: World) -> None:
    _patient_reset(enrolled, PASSWORD)
    assert not TOTPDevice.objects.filter(user=enrolled.patient_user).exists()


def _mails(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(mail, "send", lambda to, subject, body: sent.append((to, subject, body)))
    return sent


def test_the_patient_is_told(
    enrolled: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    enrolled.patient_user.email = "ana@example.org"
    enrolled.patient_user.save()
    sent = _mails(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        _patient_reset(enrolled, PASSWORD)
    assert [to for to, _s, _b in sent] == ["ana@example.org"]


def test_the_patients_notice_names_no_program_and_no_reason(
    enrolled: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    enrolled.patient_user.email = "ana@example.org"
    enrolled.patient_user.save()
    sent = _mails(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        _patient_reset(enrolled, PASSWORD)
    text = " ".join(s + b for _to, s, b in sent)
    assert (enrolled.program.name in text, "phone" in text) == (False, False)


def _staff_reset(world: World, password: object) -> None:
    staff.reset_second_factor(
        by=world.admin, program_slug=world.program.slug, user_id=world.nurse.pk, password=password
    )


def test_a_staff_reset_with_a_wrong_password_names_password(world: World) -> None:
    with pytest.raises(FieldsInvalid) as refused:
        _staff_reset(world, "not my password")
    assert [e.field for e in refused.value.errors] == ["password"]


def test_a_staff_reset_with_a_wrong_password_removes_nothing(world: World) -> None:
    with pytest.raises(FieldsInvalid):
        _staff_reset(world, "not my password")
    assert TOTPDevice.objects.filter(user=world.nurse).exists()


def test_a_staff_reset_with_the_right_password_resets_it(world: World) -> None:
    _staff_reset(world, PASSWORD)
    assert not TOTPDevice.objects.filter(user=world.nurse).exists()


def test_the_staff_api_without_a_password_names_password(world: World) -> None:
    response = sign_in(Client(), world.admin).post(
        f"/api/v1/programs/{world.program.slug}/staff/{world.nurse.pk}/second-factor/reset",
        "{}",
        content_type="application/json",
    )
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["password"])


def test_the_staff_api_asks_the_role_before_the_password(world: World) -> None:
    response = sign_in(Client(), world.other_nurse).post(
        f"/api/v1/programs/{world.program.slug}/staff/{world.nurse.pk}/second-factor/reset",
        "{}",
        content_type="application/json",
    )
    assert response.status_code == 403


def test_the_staff_page_without_a_password_removes_nothing(world: World) -> None:
    sign_in(Client(), world.admin).post(
        f"/program/staff/{world.nurse.pk}/second-factor/reset/?program={world.program.slug}"
    )
    assert TOTPDevice.objects.filter(user=world.nurse).exists()


def _cli(world: World, monkeypatch: pytest.MonkeyPatch, *extra: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = ("--by", world.admin.username, "--program", world.program.slug, "--user-id", str(world.nurse.pk))
    try:
        call_command("staff", "reset-second-factor", *args, *extra, stdout=io.StringIO())
    except CommandError as exc:
        return exc.returncode
    return 0


def test_the_cli_without_the_password_exits_2(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _cli(world, monkeypatch) == 2


def test_the_cli_with_a_wrong_password_exits_2(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _cli(world, monkeypatch, "--password-stdin", stdin="wrong\n") == 2


def test_the_cli_with_a_wrong_password_removes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli(world, monkeypatch, "--password-stdin", stdin="wrong\n")
    assert TOTPDevice.objects.filter(user=world.nurse).exists()
