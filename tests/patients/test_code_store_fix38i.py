"""Lane fix38i (re38b findings 2 and 3), for the three desk codes stored by the one helper
(`common.store_one_live_code`): the person's earlier live code is removed only when the new one is really
handed out (a code voided as it is stored leaves it working), and a death recorded while the code is stored is
seen under the record's lock (`died_under_lock`): no code is stored, the refusal is audited as a death's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.access import policy
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import ActivationCode, CareTeamMember, Enrollment, Patient
from keel.patients.schemas import ResetCodeIn
from keel.patients.services import activation, password_reset
from keel.selfguided import services as selfguided
from keel.selfguided.errors import SelfGuidedInvalid
from keel.selfguided.models import LinkCode
from tests.accounts.test_leaver_codes_fix37e import _record
from tests.conftest import World

pytestmark = pytest.mark.django_db

DEATH_REASON = "a death is recorded for this person"


def _reset(world: World, role: str, patient: Patient) -> activation.IssuedCode:
    body = ResetCodeIn.posted({"identity_checked": True})
    return password_reset.issue_reset_code(by=world.staff[role], patient_id=patient.pk, data=body)


def _link(world: World, role: str, patient: Patient) -> Any:
    return selfguided.issue_link_code(by=world.staff[role], patient_id=patient.pk)


@pytest.fixture
def nurse_leaves_as_hers_is_stored(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = policy.may_still_give_code_for

    def removed_then_asked(user: Any, patient: Patient) -> bool:
        if user.pk == world.staff["nurse"].pk:
            CareTeamMember.objects.filter(user=user).delete()
        return asked(user, patient)

    monkeypatch.setattr(policy, "may_still_give_code_for", removed_then_asked)


@pytest.fixture
def death_recorded_as_it_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The death is committed between the route's check and the store (as re38b finding 3 simulates it)."""
    asked = policy.may_still_give_code_for

    def died_then_asked(user: Any, patient: Patient) -> bool:
        Enrollment.objects.filter(patient=patient).update(
            ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
        )
        return asked(user, patient)

    monkeypatch.setattr(policy, "may_still_give_code_for", died_then_asked)


def test_a_voided_reset_code_leaves_the_counselors_earlier_reset_code_working(
    world: World, nurse_leaves_as_hers_is_stored: None
) -> None:
    _reset(world, "counselor", world.alice)
    assert not _reset(world, "nurse", world.alice).made
    assert ActivationCode.objects.filter(patient=world.alice, created_by=world.staff["counselor"]).exists()


def test_a_voided_link_code_leaves_the_counselors_earlier_link_code_working(
    world: World, nurse_leaves_as_hers_is_stored: None
) -> None:
    patient = _record(world)
    _link(world, "counselor", patient)
    assert not _link(world, "nurse", patient).made
    assert LinkCode.objects.filter(patient=patient, created_by=world.staff["counselor"]).exists()


def test_a_code_handed_out_still_replaces_the_earlier_one(world: World) -> None:
    patient = _record(world)
    first = activation.issue_activation_code(by=world.staff["counselor"], patient_id=patient.pk)
    activation.issue_activation_code(by=world.staff["nurse"], patient_id=patient.pk)
    assert not ActivationCode.objects.filter(pk=first.row.pk).exists()


@pytest.mark.usefixtures("death_recorded_as_it_is_stored")
def test_no_activation_code_is_stored_for_a_death_recorded_as_it_is_stored(world: World) -> None:
    patient = _record(world)
    with pytest.raises(FieldsInvalid):
        activation.issue_activation_code(by=world.staff["nurse"], patient_id=patient.pk)
    assert not ActivationCode.objects.filter(patient=patient).exists()


@pytest.mark.usefixtures("death_recorded_as_it_is_stored")
def test_no_reset_code_is_stored_for_a_death_recorded_as_it_is_stored(world: World) -> None:
    with pytest.raises(FieldsInvalid):
        _reset(world, "nurse", world.alice)
    assert not ActivationCode.objects.filter(patient=world.alice).exists()


@pytest.mark.usefixtures("death_recorded_as_it_is_stored")
def test_no_link_code_is_stored_for_a_death_recorded_as_it_is_stored(world: World) -> None:
    patient = _record(world)
    with pytest.raises(SelfGuidedInvalid):
        _link(world, "nurse", patient)
    assert not LinkCode.objects.filter(patient=patient).exists()


@pytest.mark.usefixtures("death_recorded_as_it_is_stored")
def test_a_death_seen_as_the_code_is_stored_is_audited_as_a_deaths_refusal(world: World) -> None:
    patient = _record(world)
    with pytest.raises(FieldsInvalid):
        activation.issue_activation_code(by=world.staff["nurse"], patient_id=patient.pk)
    assert AuditEvent.objects.filter(patient_id=patient.pk, reason=DEATH_REASON).exists()
