"""Lane fix36b (review 35g, read only, item 5): the operator's commands find an account by its username
regardless of case, as every other route does (`accounts.services.usernames.same_username`): the second
factor reset (`staff_for_operator`) and every `--by`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from keel.accounts import second_factor
from keel.accounts.models import User
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_the_operators_reset_finds_a_staff_member_in_another_case(world: World) -> None:
    user, _programs = second_factor.staff_for_operator("R-NURSE")
    assert user.pk == world.staff["nurse"].pk


def test_the_operators_reset_still_refuses_a_name_no_one_has(world: World) -> None:
    with pytest.raises(second_factor.OperatorResetRefused):
        second_factor.staff_for_operator("R-NOBODY")


def test_staff_by_finds_the_admin_in_another_case(world: World) -> None:
    out = StringIO()
    call_command("staff", "list", "--program", "riverside", "--by", "R-Program_Admin", "--json", stdout=out)
    assert "r-nurse" in out.getvalue()


def test_appointment_by_finds_the_counselor_in_another_case(world: World) -> None:
    out = StringIO()
    call_command("appointment", "--by", "R-COUNSELOR", "--patient", str(world.alice.pk), "--list", stdout=out)
    assert json.loads(out.getvalue()) is not None


def test_measures_by_finds_the_admin_in_another_case(world: World) -> None:
    out = StringIO()
    call_command("measures", "--program", "riverside", "--by", "R-PROGRAM_ADMIN", "--json", stdout=out)
    assert json.loads(out.getvalue())


def test_policy_by_finds_the_admin_in_another_case(world: World) -> None:
    out = StringIO()
    call_command("policy", "show", "--program", "riverside", "--by", "R-PROGRAM_ADMIN", "--json", stdout=out)
    assert json.loads(out.getvalue())


ARGS = {"register_patient": [], "update_patient_contact": ["--patient", "1"]}


@pytest.mark.parametrize("command", sorted(ARGS))
def test_a_by_that_no_one_has_is_still_exit_2(world: World, command: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(command, "--by", "R-NOBODY", *ARGS[command], "--data", "{}")
    assert refused.value.returncode == 2


def test_register_patient_by_in_another_case_passes_the_name_check(world: World) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("register_patient", "--by", "R-COUNSELOR", "--data", "{}")
    assert "--by" not in str(refused.value)


def test_update_patient_contact_by_in_another_case_acts(world: World) -> None:
    out = StringIO()
    patient = ["--patient", str(world.alice.pk)]
    call_command("update_patient_contact", "--by", "R-COUNSELOR", *patient, "--data", "{}", stdout=out)
    assert out.getvalue().startswith("Changed")


def test_a_turned_off_account_is_still_refused(world: World) -> None:
    User.objects.filter(pk=world.staff["auditor"].pk).update(is_active=False)
    with pytest.raises(CommandError) as refused:
        call_command("appointment", "--by", "R-AUDITOR", "--patient", str(world.alice.pk), "--list")
    assert "--by" in str(refused.value)
