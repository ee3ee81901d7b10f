"""`policy.get_patient_for_action_or_404`: the one getter for the patient an action is about (issue #17).

Personas (tests/conftest.py): the riverside nurse is on Alice's care team, not on Bob's; Charlie is in another
program; Dana is a self-guided account no staff member may see."""

from __future__ import annotations

import pytest

from keel.access import policy
from keel.access.policy import Area
from keel.audit.models import Action, AuditEvent
from keel.patients.models import Patient
from tests.conftest import World


def _events_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id")[before:])


def test_a_teammate_gets_the_patient(world: World) -> None:
    patient = policy.get_patient_for_action_or_404(world.staff["nurse"], world.alice.pk, Action.READ)
    assert patient.pk == world.alice.pk


def test_a_teammate_read_is_audited_once(world: World) -> None:
    before = AuditEvent.objects.count()
    policy.get_patient_for_action_or_404(world.staff["nurse"], world.alice.pk, Action.READ, target_type="x")
    assert [(e.action, e.target_type) for e in _events_since(before)] == [("read", "x")]


def test_a_write_that_audits_itself_leaves_no_row(world: World) -> None:
    before = AuditEvent.objects.count()
    policy.get_patient_for_action_or_404(
        world.staff["nurse"], world.alice.pk, Action.CREATE, area=Area.CLINICAL, audit_success=False
    )
    assert _events_since(before) == []


@pytest.mark.parametrize("target", ["same_program", "other_program"])
def test_a_patient_out_of_scope_is_not_found(world: World, target: str) -> None:
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(world.staff["nurse"], world.target(target).pk, Action.READ)


def test_the_out_of_scope_denial_is_audited(world: World) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(world.staff["nurse"], world.charlie.pk, Action.UPDATE)
    assert [e.action for e in _events_since(before)] == ["denied"]


def test_a_missing_patient_is_not_found(world: World) -> None:
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(world.staff["nurse"], 999999, Action.READ)


def test_an_id_that_is_not_a_number_is_not_found(world: World) -> None:
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(world.staff["nurse"], "1 OR 1=1", Action.READ)


def test_a_self_guided_record_is_not_found_by_any_staff_role(world: World) -> None:
    dana = Patient.objects.get(user=world.dana)
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(world.staff["program_admin"], dana.pk, Action.READ)


def test_a_peer_specialist_is_not_shown_the_clinical_area(world: World) -> None:
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(
            world.staff["peer_specialist"], world.alice.pk, Action.READ, area=Area.CLINICAL
        )


def test_a_role_that_may_not_act_gets_action_not_allowed(world: World) -> None:
    with pytest.raises(policy.ActionNotAllowed):
        policy.get_patient_for_action_or_404(
            world.staff["nurse"], world.alice.pk, Action.CREATE, allowed=False, what="prescribe"
        )


def test_action_not_allowed_is_a_permission_denied_so_pages_answer_403(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    assert issubclass(policy.ActionNotAllowed, PermissionDenied)


def test_the_not_allowed_denial_is_audited_against_the_patient(world: World) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(policy.ActionNotAllowed):
        policy.get_patient_for_action_or_404(
            world.staff["nurse"], world.alice.pk, Action.CREATE, allowed=False, what="prescribe"
        )
    assert [(e.action, e.patient_id, e.reason) for e in _events_since(before)] == [
        ("denied", world.alice.pk, "role may not prescribe")
    ]


def test_the_scope_is_checked_before_the_role(world: World) -> None:
    """Out of scope and not allowed: a 404, so a 403 never tells an outsider the record exists."""
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(
            world.staff["nurse"], world.charlie.pk, Action.CREATE, allowed=False, what="prescribe"
        )


def test_none_is_the_signed_in_patients_own_record(world: World) -> None:
    patient = policy.get_patient_for_action_or_404(world.alice.user, None, Action.READ)
    assert patient.pk == world.alice.pk


def test_none_for_a_staff_member_is_not_found(world: World) -> None:
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(world.staff["nurse"], None, Action.READ)


def test_none_for_a_self_guided_account_is_its_own_record_in_its_areas(world: World) -> None:
    patient = policy.get_patient_for_action_or_404(world.dana, None, Action.READ, area=Area.RECOVERY)
    assert patient.user_id == world.dana.pk


def test_none_for_a_self_guided_account_outside_its_areas_is_not_found(world: World) -> None:
    with pytest.raises(policy.PatientNotFound):
        policy.get_patient_for_action_or_404(world.dana, None, Action.READ)
