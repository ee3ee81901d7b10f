"""Brief ops22 item 2: the server's operator resets the two-step sign-in of a staff member who works in
programs with no common admin (`keel reset_staff_second_factor`). Before, only an admin of every program
she works in could, and a deployment whose programs had none had only the database. The same step as an
admin's reset (authenticators removed, sessions and tokens ended), a reason of substance kept on the reset,
a confirmation, and an audit row in each program's trail naming the operator's route."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.access import policy
from keel.accounts import services
from keel.accounts.models import OperatorSecondFactorReset, ProgramMembership
from keel.accounts.second_factor import OPERATOR_RESET
from keel.audit.models import AuditEvent
from keel.web.audit_words import reason_words
from tests.conftest import Mailbox, World

pytestmark = pytest.mark.django_db

REASON = "lost her phone; identity checked in person by the clinic director"


class _Terminal(io.StringIO):
    """Standard input at a terminal, with the operator's answer typed."""

    def isatty(self) -> bool:
        return True


def _keel(*args: str) -> tuple[int, str, str]:
    out = io.StringIO()
    try:
        call_command("reset_staff_second_factor", *args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


@pytest.fixture
def in_two_programs(world: World) -> Any:
    """Riverside's nurse also works at Lakeside: no admin runs both programs (the admin route refuses)."""
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    assert policy.works_beyond_admin(world.staff["program_admin"], nurse)
    return nurse


def _mfa_rows(user: Any) -> Any:
    return AuditEvent.objects.filter(target_type="mfa", target_id=str(user.pk)).order_by("pk")


def test_the_operator_resets_a_nurse_of_two_programs_with_no_common_admin(
    world: World, in_two_programs: Any, signed_in: Any
) -> None:
    nurse = in_two_programs
    session = signed_in("nurse")
    token = services.create_token(user=nurse)
    code, out, _ = _keel("--username", "r-nurse", "--reason", REASON, "--yes")
    assert code == 0, out
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert session.get("/patients/").status_code == 302  # her session ended
    assert services.user_for_token(token.secret) is None  # and her token
    kept = OperatorSecondFactorReset.objects.get(user=nurse)
    assert (kept.reason, kept.devices_removed) == (REASON, 1)
    assert "riverside" in out and "lakeside" in out


def test_an_audit_row_in_each_programs_trail_names_the_operators_route(
    world: World, in_two_programs: Any
) -> None:
    nurse = in_two_programs
    _keel("--username", "r-nurse", "--reason", REASON, "--yes")
    rows = list(_mfa_rows(nurse))
    assert sorted(r.program_id for r in rows) == sorted([world.riverside.pk, world.lakeside.pk])
    kept = OperatorSecondFactorReset.objects.get(user=nurse)
    for row in rows:
        assert (row.action, row.reason, row.actor_id, row.patient_id) == (
            "update",
            OPERATOR_RESET,
            None,
            None,
        )
        assert row.detail == {"devices_removed": 1, "route": "operator", "reset_id": kept.pk}
        assert "phone" not in str(row.detail)  # the typed reason stays on the reset (review 19d)
    assert "operator" in reason_words(OPERATOR_RESET)


def test_she_is_told_by_email(
    world: World, in_two_programs: Any, smtp_server: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    in_two_programs.email = "nurse@riverside.example"
    in_two_programs.save()
    with django_capture_on_commit_callbacks(execute=True):
        _keel("--username", "r-nurse", "--reason", REASON, "--yes")
    (message,) = smtp_server.to("nurse@riverside.example")
    body = Mailbox.body(message)
    assert "operator of the Keel server" in body
    assert "phone" not in body and "Riverside" not in body and "Lakeside" not in body


def test_at_a_terminal_it_asks_first(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal("yes\n"))
    code, out, _ = _keel("--username", "r-nurse", "--reason", REASON)
    assert code == 0
    assert "Type yes" in out
    assert not TOTPDevice.objects.filter(user=world.staff["nurse"]).exists()


def test_any_other_answer_changes_nothing(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal("no\n"))
    code, _, error = _keel("--username", "r-nurse", "--reason", REASON)
    assert (code, error) == (1, "not confirmed: nothing was changed")
    assert TOTPDevice.objects.filter(user=world.staff["nurse"]).exists()
    assert not _mfa_rows(world.staff["nurse"]).exists()


def test_without_a_terminal_and_without_yes_it_exits_2(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # a pipe: nothing can be confirmed
    code, _, error = _keel("--username", "r-nurse", "--reason", REASON)
    assert (code, error.startswith("--yes: ")) == (2, True)
    assert TOTPDevice.objects.filter(user=world.staff["nurse"]).exists()
    assert not _mfa_rows(world.staff["nurse"]).exists()


@pytest.mark.parametrize("username", ["nobody", "", "alice"])  # no one; nothing; a patient's account
def test_an_unknown_staff_member_exits_2(world: World, username: str) -> None:
    code, _, error = _keel("--username", username, "--reason", REASON, "--yes")
    assert (code, error) == (2, "--username: no staff member has this username")
    assert not AuditEvent.objects.filter(target_type="mfa").exists()
    assert not OperatorSecondFactorReset.objects.exists()


def test_an_account_turned_off_exits_2(world: World) -> None:
    world.staff["nurse"].is_active = False
    world.staff["nurse"].save()
    code, _, error = _keel("--username", "r-nurse", "--reason", REASON, "--yes")
    assert (code, error) == (2, "--username: this account is turned off")


@pytest.mark.parametrize("reason", ["", "   ", "lost phone", "reset reset reset reset", "x" * 20])
def test_an_empty_or_weak_reason_exits_2(world: World, reason: str) -> None:
    code, _, error = _keel("--username", "r-nurse", "--reason", reason, "--yes")
    assert (code, error.startswith("--reason: ")) == (2, True)
    assert TOTPDevice.objects.filter(user=world.staff["nurse"]).exists()
    assert not _mfa_rows(world.staff["nurse"]).exists()


def test_the_admins_route_still_refuses_her(world: World, in_two_programs: Any) -> None:
    """The operator's route adds a way; it takes nothing from the admin route's refusal (review 21p)."""
    from keel.accounts import staff
    from keel.core.rules.inputs import FieldsInvalid
    from tests.conftest import PASSWORD

    with pytest.raises(FieldsInvalid):
        staff.reset_second_factor(
            by=world.staff["program_admin"],
            program_slug="riverside",
            user_id=in_two_programs.pk,
            password=PASSWORD,
        )
    assert TOTPDevice.objects.filter(user=in_two_programs).exists()
