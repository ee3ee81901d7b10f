"""Review 35d hole 1, lane fix35d: an invitation stops working when it is withdrawn, by an admin of its
program (page, API, `keel staff withdraw`) or because its sender stopped being one of the program's admins
(turned off, given another role, removed from the program). One definition of
"open" (`accounts.invitations`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from keel.accounts import invitations, services, staff
from keel.accounts.models import Invitation, ProgramMembership, User
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from tests.conftest import PASSWORD, World
from tests.review35d._setup import invite

pytestmark = pytest.mark.django_db


def _deputy(username: str = "r-deputy") -> User:
    user, _device = services.create_user(
        username=username, role="program_admin", password=PASSWORD, program_slug="riverside"
    )
    return user


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _opened(link: str) -> int:
    return Client().get(_path(link)).status_code


def _invitation(email: str) -> Invitation:
    return Invitation.objects.get(email=email)


def _withdraw_api(client: Client, invitation: Invitation, slug: str = "riverside") -> Any:
    return client.post(
        f"/api/v1/programs/{slug}/invitations/{invitation.pk}/withdraw", "{}", content_type="application/json"
    )


# --- Its sender stops being an admin --------------------------------------------------------------------


def test_turning_the_sender_off_withdraws_her_invitation(world: World) -> None:
    deputy = _deputy()
    invite(deputy, "nia@example.org")
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk)
    assert _invitation("nia@example.org").revoked_at is not None


def test_the_withdrawal_is_audited_with_its_reason(world: World) -> None:
    deputy = _deputy()
    invite(deputy, "nia@example.org")
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk)
    row = AuditEvent.objects.get(
        target_type="invitation",
        target_id=str(_invitation("nia@example.org").pk),
        reason=invitations.WITHDRAWN_SENDER_LEFT,
    )
    assert row.actor_id == world.staff["program_admin"].pk


def test_turning_the_sender_back_on_does_not_reopen_it(world: World) -> None:
    deputy = _deputy()
    link = invite(deputy, "nia@example.org")
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk)
    User.objects.filter(pk=deputy.pk).update(is_active=True)
    assert _opened(link) == 404


def test_giving_the_sender_another_role_withdraws_it(world: World) -> None:
    deputy = _deputy()
    link = invite(deputy, "nia@example.org")
    staff.change_role(
        by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk, role="nurse"
    )
    assert _opened(link) == 404


def test_making_her_an_admin_again_does_not_reopen_it(world: World) -> None:
    deputy = _deputy()
    link = invite(deputy, "nia@example.org")
    admin = world.staff["program_admin"]
    staff.change_role(by=admin, program_slug="riverside", user_id=deputy.pk, role="nurse")
    staff.change_role(by=admin, program_slug="riverside", user_id=deputy.pk, role="program_admin")
    assert _opened(link) == 404


def _in_both(world: World) -> User:
    deputy = _deputy()
    ProgramMembership.objects.create(user=deputy, program=world.lakeside)
    return deputy


def test_removed_from_one_program_her_invitation_there_stops(world: World) -> None:
    deputy = _in_both(world)
    link = invite(deputy, "nia@example.org")
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk)
    assert _opened(link) == 404


def test_removed_from_one_program_her_invitation_to_the_other_still_works(world: World) -> None:
    deputy = _in_both(world)
    link = invite(deputy, "lena@example.org", program="lakeside")
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk)
    assert _opened(link) == 200


def test_an_invitation_sent_before_its_sender_left_without_a_withdrawal_does_not_work(world: World) -> None:
    """A row from before this lane: the sender turned off, the invitation never withdrawn."""
    deputy = _deputy()
    link = invite(deputy, "nia@example.org")
    User.objects.filter(pk=deputy.pk).update(is_active=False)
    assert _opened(link) == 404


def test_another_admins_invitation_is_untouched(world: World) -> None:
    deputy = _deputy()
    link = invite(world.staff["program_admin"], "nia@example.org")
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk)
    assert _opened(link) == 200


# --- An admin withdraws one --------------------------------------------------------------------------------


def test_an_admin_withdraws_one_on_the_page(world: World, signed_in: Any) -> None:
    link = invite(world.staff["program_admin"], "nia@example.org")
    signed_in("program_admin").post(
        f"/program/staff/invitations/{_invitation('nia@example.org').pk}/withdraw/"
    )
    assert _opened(link) == 404


def test_the_staff_page_offers_a_withdraw_button(world: World, signed_in: Any) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    page = signed_in("program_admin").get("/program/staff/").content.decode()
    assert f"/program/staff/invitations/{_invitation('nia@example.org').pk}/withdraw/" in page


def test_an_admin_withdraws_one_through_the_api(world: World, signed_in: Any) -> None:
    link = invite(world.staff["program_admin"], "nia@example.org")
    _withdraw_api(signed_in("program_admin"), _invitation("nia@example.org"))
    assert _opened(link) == 404


def test_a_withdrawn_invitation_leaves_the_list(world: World, signed_in: Any) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    client = signed_in("program_admin")
    _withdraw_api(client, _invitation("nia@example.org"))
    listed = client.get("/api/v1/programs/riverside/staff").json()["invitations"]
    assert listed == []


def test_a_double_withdraw_answers_alike(world: World, signed_in: Any) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    client = signed_in("program_admin")
    first = _withdraw_api(client, _invitation("nia@example.org"))
    again = _withdraw_api(client, _invitation("nia@example.org"))
    assert again.json() == first.json()


def test_a_double_withdraw_writes_one_audit_row(world: World, signed_in: Any) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    client = signed_in("program_admin")
    _withdraw_api(client, _invitation("nia@example.org"))
    _withdraw_api(client, _invitation("nia@example.org"))
    assert AuditEvent.objects.filter(target_type="invitation", reason=invitations.WITHDRAWN).count() == 1


def test_a_nurse_cannot_withdraw_one(world: World, signed_in: Any) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    assert _withdraw_api(signed_in("nurse"), _invitation("nia@example.org")).status_code == 403


def test_another_programs_invitation_is_refused_naming_it(world: World, signed_in: Any) -> None:
    lakeside_admin = _in_both(world)
    invite(lakeside_admin, "lena@example.org", program="lakeside")
    answer = _withdraw_api(signed_in("program_admin"), _invitation("lena@example.org"))
    assert [e["field"] for e in answer.json()["errors"]] == ["invitation_id"]


def test_a_used_invitation_cannot_be_withdrawn(world: World) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    Invitation.objects.filter(email="nia@example.org").update(
        accepted_at=_invitation("nia@example.org").created_at
    )
    with pytest.raises(FieldsInvalid):
        staff.withdraw_invitation(
            by=world.staff["program_admin"],
            program_slug="riverside",
            invitation_id=_invitation("nia@example.org").pk,
        )


def test_accepting_a_withdrawn_invitation_is_refused(world: World) -> None:
    link = invite(world.staff["program_admin"], "nia@example.org")
    staff.withdraw_invitation(
        by=world.staff["program_admin"],
        program_slug="riverside",
        invitation_id=_invitation("nia@example.org").pk,
    )
    secret = link.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(FieldsInvalid):
        staff.accept(
            secret=secret,
            username="nia",
            password=PASSWORD,
            password_again=PASSWORD,
            key_hex=staff.new_totp_key(),
            code="000000",
        )


def test_the_address_can_be_invited_again_once_withdrawn(world: World, signed_in: Any) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    _withdraw_api(signed_in("program_admin"), Invitation.objects.get())
    invite(world.staff["program_admin"], "nia@example.org")
    assert Invitation.objects.filter(email="nia@example.org").count() == 2


def test_the_command_withdraws_one(world: World) -> None:
    link = invite(world.staff["program_admin"], "nia@example.org")
    call_command(
        "staff",
        "withdraw",
        "--by",
        world.staff["program_admin"].username,
        "--program",
        "riverside",
        "--invitation-id",
        str(_invitation("nia@example.org").pk),
    )
    assert _opened(link) == 404


def test_the_command_refuses_a_bad_id_with_exit_2(world: World) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "staff",
            "withdraw",
            "--by",
            world.staff["program_admin"].username,
            "--program",
            "riverside",
            "--invitation-id",
            "abc",
        )
    assert refused.value.returncode == 2


def test_the_api_body_says_when(world: World, signed_in: Any) -> None:
    invite(world.staff["program_admin"], "nia@example.org")
    answer = _withdraw_api(signed_in("program_admin"), _invitation("nia@example.org"))
    assert json.loads(answer.content)["withdrawn_at"]
