"""Staff changes by a program's admins (issue #18): resetting a staff member's two-step sign-in (devices
removed, sessions and tokens end, a new authenticator at the next sign-in), changing a role (next request;
never one's own; never the last admin), turning off someone who also works elsewhere (this program only),
and an invitation opened while signed in (refused: sign out first)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP

from keel.accounts import queries, services
from keel.accounts.models import ProgramMembership, Role, User
from keel.audit.models import AuditEvent
from tests.conftest import PASSWORD, Mailbox, World

pytestmark = pytest.mark.django_db


def _reset(client: Client, user: Any, slug: str = "riverside") -> Any:
    return client.post(
        f"/api/v1/programs/{slug}/staff/{user.pk}/second-factor/reset",
        json.dumps({"password": PASSWORD}),  # the admin's own password again (review 20b)
        content_type="application/json",
    )


def _role(client: Client, user: Any, role: str, slug: str = "riverside") -> Any:
    return client.post(
        f"/api/v1/programs/{slug}/staff/{user.pk}/role",
        json.dumps({"role": role}),
        content_type="application/json",
    )


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


# --- Second factor reset ---------------------------------------------------------------------------------


def test_an_admin_resets_a_nurses_second_factor(world: World, signed_in: Any) -> None:
    assert _reset(signed_in("program_admin"), world.staff["nurse"]).status_code == 200
    assert not queries.has_totp_device(world.staff["nurse"])


def test_the_reset_ends_her_sessions(world: World, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    _reset(signed_in("program_admin"), world.staff["nurse"])
    assert nurse.get("/patients/").status_code == 302


def test_the_reset_ends_her_tokens(world: World, signed_in: Any) -> None:
    issued = services.create_token(user=world.staff["nurse"])
    _reset(signed_in("program_admin"), world.staff["nurse"])
    assert services.user_for_token(issued.secret) is None


def test_the_reset_is_audited(world: World, signed_in: Any) -> None:
    _reset(signed_in("program_admin"), world.staff["nurse"])
    assert (
        AuditEvent.objects.filter(
            target_type="mfa", target_id=str(world.staff["nurse"].pk), reason="second factor reset"
        ).count()
        == 1
    )


def test_she_adds_a_new_authenticator_at_the_next_sign_in(world: World, signed_in: Any) -> None:
    setup = _reset(signed_in("program_admin"), world.staff["nurse"]).json()["setup_code"]  # lane acct35
    client = Client()
    client.post("/accounts/login/", {"username": "r-nurse", "password": PASSWORD})
    page = client.get("/accounts/login/verify/")
    assert "<svg" in page.content.decode()
    key = client.session["keel_mfa_pending"]["key"]
    assert (
        client.post(
            "/accounts/login/verify/",
            {"setup_code": setup, "code": f"{TOTP(bytes.fromhex(key)).token():06d}"},
        ).status_code
        == 302
    )
    assert client.get("/patients/").status_code == 200


def test_a_wrong_code_enrols_nothing(world: World, signed_in: Any) -> None:
    setup = _reset(signed_in("program_admin"), world.staff["nurse"]).json()["setup_code"]
    client = Client()
    client.post("/accounts/login/", {"username": "r-nurse", "password": PASSWORD})
    client.get("/accounts/login/verify/")
    wrong = {"setup_code": setup, "code": "000000"}
    assert client.post("/accounts/login/verify/", wrong).status_code == 422
    assert not queries.has_totp_device(world.staff["nurse"])


def test_without_a_device_no_token_is_given(world: World, signed_in: Any) -> None:
    _reset(signed_in("program_admin"), world.staff["nurse"])
    body = {"username": "r-nurse", "password": PASSWORD}
    response = Client().post("/api/v1/auth/tokens", json.dumps(body), content_type="application/json")
    assert response.status_code == 401


def test_an_admin_cannot_reset_her_own(world: World, signed_in: Any) -> None:
    response = _reset(signed_in("program_admin"), world.staff["program_admin"])
    assert _fields(response) == ["user_id"]
    assert queries.has_totp_device(world.staff["program_admin"])


def test_an_admin_cannot_reset_staff_of_another_program(world: World, signed_in: Any) -> None:
    response = _reset(signed_in("program_admin"), world.lakeside_nurse)
    assert response.status_code == 422
    assert queries.has_totp_device(world.lakeside_nurse)


def test_an_admin_of_another_program_is_refused(world: World, signed_in: Any) -> None:
    assert _reset(signed_in("program_admin"), world.lakeside_nurse, slug="lakeside").status_code == 403


@pytest.mark.parametrize("role", ["nurse", "prescriber", "auditor"])
def test_only_admins_reset(world: World, signed_in: Any, role: str) -> None:
    assert _reset(signed_in(role), world.staff["counselor"]).status_code == 403
    assert queries.has_totp_device(world.staff["counselor"])


def test_the_staff_page_resets_it(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    response = signed_in("program_admin").post(
        f"/program/staff/{nurse.pk}/second-factor/reset/", {"password": PASSWORD}
    )
    assert response.status_code == 200
    assert not queries.has_totp_device(nurse)


def test_she_is_told_by_email(
    world: World, signed_in: Any, smtp_server: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    nurse = world.staff["nurse"]
    nurse.email = "nurse@riverside.example"
    nurse.save()
    with django_capture_on_commit_callbacks(execute=True):
        _reset(signed_in("program_admin"), nurse)
    assert len(smtp_server.to("nurse@riverside.example")) == 1


# --- Role changes ---------------------------------------------------------------------------------------


def test_an_admin_makes_a_nurse_a_prescriber(world: World, signed_in: Any) -> None:
    assert _role(signed_in("program_admin"), world.staff["nurse"], "prescriber").status_code == 200
    assert User.objects.get(pk=world.staff["nurse"].pk).role == Role.PRESCRIBER


def test_the_new_role_applies_on_her_next_request(world: World, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    _role(signed_in("program_admin"), world.staff["nurse"], "auditor")
    assert nurse.get(f"/patients/{world.alice.pk}/").status_code == 404


def test_the_change_is_audited_with_both_roles(world: World, signed_in: Any) -> None:
    _role(signed_in("program_admin"), world.staff["nurse"], "counselor")
    row = AuditEvent.objects.get(target_type="role", target_id=str(world.staff["nurse"].pk))
    assert row.detail == {"from": "nurse", "to": "counselor"}


def test_an_admin_cannot_change_her_own_role(world: World, signed_in: Any) -> None:
    response = _role(signed_in("program_admin"), world.staff["program_admin"], "nurse")
    assert _fields(response) == ["user_id"]


def test_the_last_admin_stays_an_admin(world: World, monkeypatch: Any) -> None:
    """Only reachable when two admins demote each other at once: the second finds herself demoted inside
    the lock. Simulated by a caller whose admin check already passed."""
    from keel.accounts import staff

    monkeypatch.setattr(staff, "_program_of_admin", lambda by, slug: world.riverside)
    with pytest.raises(staff.FieldsInvalid) as refused:
        staff.change_role(
            by=world.staff["nurse"],
            program_slug="riverside",
            user_id=world.staff["program_admin"].pk,
            role="nurse",
        )
    assert [e.field for e in refused.value.errors] == ["role"]
    assert User.objects.get(pk=world.staff["program_admin"].pk).role == Role.PROGRAM_ADMIN


def test_one_of_two_admins_becomes_a_nurse(world: World, signed_in: Any) -> None:
    other, _d = services.create_user(
        username="r-admin-2", role="program_admin", password=PASSWORD, program_slug="riverside"
    )
    assert _role(signed_in("program_admin"), other, "nurse").status_code == 200


@pytest.mark.parametrize("role", ["patient", "self_guided", "", "boss"])
def test_a_role_that_is_not_a_staff_role_names_the_field(world: World, signed_in: Any, role: str) -> None:
    assert _fields(_role(signed_in("program_admin"), world.staff["nurse"], role)) == ["role"]


def test_someone_who_works_elsewhere_keeps_her_role(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    response = _role(signed_in("program_admin"), nurse, "counselor")
    assert _fields(response) == ["user_id"]
    assert User.objects.get(pk=nurse.pk).role == Role.NURSE


@pytest.mark.parametrize("role", ["nurse", "prescriber", "auditor"])
def test_only_admins_change_roles(world: World, signed_in: Any, role: str) -> None:
    assert _role(signed_in(role), world.staff["counselor"], "program_admin").status_code == 403


def test_the_staff_page_changes_a_role(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    response = signed_in("program_admin").post(f"/program/staff/{nurse.pk}/role/", {"role": "counselor"})
    assert response.status_code == 200
    assert User.objects.get(pk=nurse.pk).role == Role.COUNSELOR


# --- Turning off someone who works in two programs -----------------------------------------------------


def _deactivate(client: Client, user: Any, slug: str = "riverside") -> Any:
    return client.post(
        f"/api/v1/programs/{slug}/staff/{user.pk}/deactivate", "{}", content_type="application/json"
    )


def test_someone_who_works_elsewhere_leaves_this_program_only(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    _deactivate(signed_in("program_admin"), nurse)
    assert list(ProgramMembership.objects.filter(user=nurse).values_list("program__slug", flat=True)) == [
        "lakeside"
    ]


def test_her_account_stays_open_for_the_other_program(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    _deactivate(signed_in("program_admin"), nurse)
    assert User.objects.get(pk=nurse.pk).is_active


def test_she_no_longer_sees_this_programs_patients(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    session = signed_in("nurse")
    _deactivate(signed_in("program_admin"), nurse)
    assert session.get(f"/patients/{world.alice.pk}/").status_code == 404


def test_the_removal_is_audited(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    _deactivate(signed_in("program_admin"), nurse)
    assert (
        AuditEvent.objects.filter(
            target_type="membership", target_id=str(nurse.pk), reason="removed from the program"
        ).count()
        == 1
    )


def test_someone_in_one_program_is_still_turned_off(world: World, signed_in: Any) -> None:
    _deactivate(signed_in("program_admin"), world.staff["nurse"])
    assert not User.objects.get(pk=world.staff["nurse"].pk).is_active


# --- An invitation opened while signed in ---------------------------------------------------------------


def _invite(client: Client) -> Any:
    body = {"email": "nia@riverside.example", "role": "nurse"}
    return client.post(
        "/api/v1/programs/riverside/invitations", json.dumps(body), content_type="application/json"
    )


def _link(box: Mailbox) -> str:
    found = re.search(r"http://testserver(/accounts/invitation/[^/\s]+/)", Mailbox.body(box.messages[-1]))
    assert found
    return found.group(1)


def test_an_invitation_opened_while_signed_in_asks_to_sign_out(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    admin = signed_in("program_admin")
    _invite(admin)
    response = admin.get(_link(smtp_server))
    assert response.status_code == 409
    assert "sign out first" in response.content.decode()


def test_accepting_while_signed_in_keeps_the_session_and_makes_no_account(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    admin = signed_in("program_admin")
    _invite(admin)
    form = {
        "username": "nia",
        "password": "a long and unusual passphrase",
        "password_again": "a long and unusual passphrase",
        "code": "123456",
    }
    admin.post(_link(smtp_server), form)
    assert not User.objects.filter(username="nia").exists()
    assert admin.get("/program/staff/").status_code == 200


def test_the_link_still_works_after_signing_out(world: World, signed_in: Any, smtp_server: Mailbox) -> None:
    admin = signed_in("program_admin")
    _invite(admin)
    admin.post("/accounts/logout/")
    assert admin.get(_link(smtp_server)).status_code == 200
