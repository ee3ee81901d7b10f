"""Lane fix37l (re37q findings 1, 3, 4): codes follow what their giver can still reach. A role change that
shrinks her scope (a program admin made a counselor) voids her unused codes for the people she no longer sees
(`policy.patients_visible_to` with the new role), audited, and keeps those for the people she still sees. A
code stored as its giver loses the record is voided by the store's re-check (`void_if_giver_may_not` asks
`policy.may_still_give_code_for`, what the issue route asks), audited so. A care-team removal now voids her
codes before it asks about the care gap: a refused removal rolls them back, and they keep working."""

from __future__ import annotations

import pytest

from keel.accounts import services, staff
from keel.accounts.models import User
from keel.accounts.services import issued_codes
from keel.audit.models import Action, AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import CareTeamMember
from keel.patients.services import activation, care_team
from tests.accounts.test_leaver_codes_fix37e import _issue, _record, _works
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def _second_admin() -> User:
    admin, _device = services.create_user(
        username="l-second-admin", role="program_admin", password=PASSWORD, program_slug="riverside"
    )
    return admin


@pytest.mark.parametrize("kind", ["activation", "link"])
def test_admin_made_counselor_keeps_codes_for_people_she_still_sees(world: World, kind: str) -> None:
    admin = world.staff["program_admin"]
    other = _second_admin()
    patient = _record(world)
    CareTeamMember.objects.create(patient=patient, user=admin)  # she stays on this person's team
    code = _issue(kind, admin, patient)
    staff.change_role(by=other, program_slug="riverside", user_id=admin.pk, role="counselor")
    assert _works(kind, code, world)


def test_admin_made_counselor_her_out_of_scope_code_is_audited_so(world: World) -> None:
    admin = world.staff["program_admin"]
    other = _second_admin()
    patient = _record(world)
    _issue("activation", admin, patient)
    staff.change_role(by=other, program_slug="riverside", user_id=admin.pk, role="counselor")
    reasons = AuditEvent.objects.filter(patient_id=patient.pk, target_type="activation_code").values_list(
        "reason", flat=True
    )
    assert issued_codes.VOIDED_OUT_OF_SCOPE in list(reasons)


def test_code_stored_as_its_giver_leaves_the_team_is_audited_out_of_scope(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    checked = activation._check_may_have_code

    def check_then_removed(by, record):  # type: ignore[no-untyped-def]
        checked(by, record)
        CareTeamMember.objects.filter(patient=record, user=nurse).delete()  # the removal, committed meanwhile

    monkeypatch.setattr(activation, "_check_may_have_code", check_then_removed)
    activation.issue_activation_code(by=nurse, patient_id=patient.pk)
    row = AuditEvent.objects.filter(patient_id=patient.pk, reason=issued_codes.VOIDED_OUT_OF_SCOPE).first()
    assert row is not None


def test_a_refused_removal_keeps_her_codes(world: World) -> None:
    prescriber = world.staff["prescriber"]
    patient = _record(world)  # in care; she is its only prescriber
    code = _issue("activation", prescriber, patient)
    with pytest.raises(FieldsInvalid):
        care_team.remove_from_care_team(
            by=world.staff["program_admin"], patient_id=patient.pk, user_id=prescriber.pk
        )
    assert _works("activation", code, world)


def _voided_at_store(world: World, monkeypatch: pytest.MonkeyPatch) -> int:
    """An activation code whose giver (the nurse) is turned off between the route's checks and the store."""
    nurse = world.staff["nurse"]
    patient = _record(world)
    checked = activation._check_may_have_code

    def check_then_deactivated(by, record):  # type: ignore[no-untyped-def]
        checked(by, record)
        staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)

    monkeypatch.setattr(activation, "_check_may_have_code", check_then_deactivated)
    return activation.issue_activation_code(by=nurse, patient_id=patient.pk).row.pk


def test_a_code_voided_at_store_says_so_in_its_create_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pk = _voided_at_store(world, monkeypatch)
    row = AuditEvent.objects.get(target_type="activation_code", action=Action.CREATE, target_id=str(pk))
    assert row.detail.get("voided_at_store") is True


def test_a_code_voided_at_store_names_its_giver_as_actor(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pk = _voided_at_store(world, monkeypatch)
    row = AuditEvent.objects.get(target_type="activation_code", action=Action.UPDATE, target_id=str(pk))
    assert row.actor_id == world.staff["nurse"].pk
