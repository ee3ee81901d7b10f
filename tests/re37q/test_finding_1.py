"""re37q finding 1: a code stored as its giver is taken off the person's care team survives. The store
(`_store_code`, `issue_link_code`, `issue_reset_code`) takes the program's row and asks again at the end
(`void_if_giver_may_not`), but only `can_register_patient` (active, in the program, a role that gives codes):
never the scope the code was given under (the care team, `get_patient_for_action_or_404`). The removal
(`care_team.remove_from_care_team`) takes the person's row, not the program's, and voids only the codes
that exist when it runs. Simulated by committing the removal right after the scope check, as re37p 3 did."""

from __future__ import annotations

import pytest

from keel.patients.models import CareTeamMember
from keel.patients.services import activation, care_team
from tests.accounts.test_leaver_codes_fix37e import _record, _works
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_code_issued_across_care_team_removal_survives(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    checked = activation._check_may_have_code

    def check_then_removed(by, record):  # type: ignore[no-untyped-def]
        checked(by, record)
        care_team.remove_from_care_team(
            by=world.staff["program_admin"], patient_id=record.pk, user_id=nurse.pk
        )

    monkeypatch.setattr(activation, "_check_may_have_code", check_then_removed)
    code = activation.issue_activation_code(by=nurse, patient_id=patient.pk).code
    assert not CareTeamMember.objects.filter(patient=patient, user=nurse).exists()
    assert not _works("activation", code, world)  # she no longer sees the record: her code must not work
