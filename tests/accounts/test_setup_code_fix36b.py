"""Lane fix36b (review 35g, read only): a staff member's second-factor set-up code.

6. Its wrong tries, its voiding and its use were audited in no program's trail (chain 0): the program admin
   who reset it never read them. Now each row is in the trail of every program she works in, with no secret.
7. An unused set-up code outlived the deactivation of her account (it worked again if the account was
   turned back on within KEEL_MFA_SETUP_CODE_HOURS). Deactivation voids it in the same transaction, on every
   route (the page, the API and the CLI: `staff.deactivate` -> `services.deactivate_user`).
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from keel.accounts import services, staff
from keel.accounts.models import ProgramMembership, SecondFactorSetupCode
from keel.accounts.second_factor import remove_second_factor
from keel.audit.models import AuditEvent
from tests.conftest import PASSWORD, World, sign_in
from tests.review34d._setup import PENDING, code_for_key, password_step

pytestmark = pytest.mark.django_db
WRONG = "AAAA-BBBB-CCCC"


def _reset(world: World) -> str:
    return remove_second_factor(world.staff["nurse"], by=world.staff["program_admin"]).setup_code.code


def _enrol(world: World, setup: str) -> Any:
    browser = Client()
    password_step(browser, world.staff["nurse"].username)
    browser.get("/accounts/login/verify/")
    code = code_for_key(browser.session[PENDING]["key"])
    return browser.post("/accounts/login/verify/", {"setup_code": setup, "code": code})


def _rows(reason: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_type="mfa", reason=reason).order_by("pk"))


# --- 6. audited where the program's admin reads ------------------------------------------------------------


def test_a_wrong_set_up_code_is_in_her_programs_trail(world: World) -> None:
    _reset(world)
    _enrol(world, WRONG)
    assert [r.program_id for r in _rows("set-up code: wrong")] == [world.riverside.pk]


def test_the_voiding_is_in_her_programs_trail(world: World) -> None:
    _reset(world)
    for _try in range(services.SETUP_CODE_TRIES):
        _enrol(world, WRONG)
    assert [r.program_id for r in _rows("set-up code: void after too many tries")] == [world.riverside.pk]


def test_enrolling_with_the_code_is_in_her_programs_trail(world: World) -> None:
    _enrol(world, _reset(world))
    assert [r.program_id for r in _rows("enrolled with set-up code")] == [world.riverside.pk]


def test_a_code_that_works_no_more_is_in_her_programs_trail(world: World) -> None:
    setup = _reset(world)
    SecondFactorSetupCode.objects.update(tries=services.SETUP_CODE_TRIES)  # void by earlier tries
    _enrol(world, setup)
    assert [r.program_id for r in _rows("set-up code: none that works")] == [world.riverside.pk]


def test_someone_in_two_programs_has_the_row_in_both_trails(world: World) -> None:
    ProgramMembership.objects.create(user=world.staff["nurse"], program=world.lakeside)
    _reset(world)
    _enrol(world, WRONG)
    assert sorted(r.program_id for r in _rows("set-up code: wrong")) == sorted(
        [world.riverside.pk, world.lakeside.pk]
    )


def test_the_admin_reads_the_wrong_try_on_the_programs_audit_page(world: World) -> None:
    _reset(world)
    _enrol(world, WRONG)
    admin = sign_in(Client(), world.staff["auditor"])
    page = admin.get("/audit/").content.decode()
    assert "two-step set-up code: wrong" in page


def test_no_row_holds_the_code(world: World) -> None:
    setup = _reset(world)
    _enrol(world, WRONG)
    _enrol(world, setup)
    rows = AuditEvent.objects.filter(target_type="mfa")
    text = " ".join(f"{r.reason} {r.detail} {r.target_id}" for r in rows)
    assert (setup in text, setup.replace("-", "") in text, WRONG in text) == (False, False, False)


# --- 7. deactivation voids it -------------------------------------------------------------------------------


def test_deactivating_her_voids_an_unused_set_up_code(world: World) -> None:
    _reset(world)
    staff.deactivate(
        by=world.staff["program_admin"], program_slug="riverside", user_id=world.staff["nurse"].pk
    )
    assert not SecondFactorSetupCode.objects.filter(user=world.staff["nurse"], used_at__isnull=True).exists()


def test_the_code_does_not_work_once_she_is_turned_back_on(world: World) -> None:
    setup = _reset(world)
    staff.deactivate(
        by=world.staff["program_admin"], program_slug="riverside", user_id=world.staff["nurse"].pk
    )
    world.staff["nurse"].is_active = True
    world.staff["nurse"].save(update_fields=["is_active"])
    assert _enrol(world, setup).status_code == 422


def test_the_api_deactivation_voids_it(world: World) -> None:
    _reset(world)
    admin = sign_in(Client(), world.staff["program_admin"])
    answer = admin.post(f"/api/v1/programs/riverside/staff/{world.staff['nurse'].pk}/deactivate")
    assert answer.status_code == 200
    assert not SecondFactorSetupCode.objects.filter(user=world.staff["nurse"], used_at__isnull=True).exists()


def test_the_page_deactivation_voids_it(world: World) -> None:
    _reset(world)
    admin = sign_in(Client(), world.staff["program_admin"])
    admin.post(
        f"/program/staff/{world.staff['nurse'].pk}/deactivate/?program=riverside", {"password": PASSWORD}
    )
    assert not SecondFactorSetupCode.objects.filter(user=world.staff["nurse"], used_at__isnull=True).exists()


def test_the_cli_deactivation_voids_it(world: World) -> None:
    _reset(world)
    args = ["--by", "r-program_admin", "--program", "riverside", "--user-id", str(world.staff["nurse"].pk)]
    call_command("staff", "deactivate", *args, stdout=StringIO())
    assert not SecondFactorSetupCode.objects.filter(user=world.staff["nurse"], used_at__isnull=True).exists()


def test_a_used_code_is_kept_as_it_was(world: World) -> None:
    _enrol(world, _reset(world))
    staff.deactivate(
        by=world.staff["program_admin"], program_slug="riverside", user_id=world.staff["nurse"].pk
    )
    assert SecondFactorSetupCode.objects.filter(user=world.staff["nurse"], used_at__isnull=False).count() == 1


def test_leaving_one_program_of_two_keeps_her_code(world: World) -> None:
    ProgramMembership.objects.create(user=world.staff["nurse"], program=world.lakeside)
    _reset(world)
    staff.deactivate(
        by=world.staff["program_admin"], program_slug="riverside", user_id=world.staff["nurse"].pk
    )
    assert SecondFactorSetupCode.objects.filter(user=world.staff["nurse"], used_at__isnull=True).count() == 1
