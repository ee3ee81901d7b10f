"""re37p finding 1: a code a clinician gave for a patient outlives her removal from that patient's care team
("they stop seeing the record at once"), though she can no longer give one for the patient. Holding it she
activates the person's account herself, or joins a self-guided account of her own to the record (typing the
name she saw) and reads it as its owner."""

from __future__ import annotations

import pytest

from keel.patients.services.care_team import remove_from_care_team
from tests.accounts.test_leaver_codes_fix37e import _issue, _record, _works
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["activation", "link"])
def test_code_outlives_care_team_removal(world: World, kind: str) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    code = _issue(kind, nurse, patient)
    remove_from_care_team(by=world.staff["program_admin"], patient_id=patient.pk, user_id=nurse.pk)
    assert not _works(kind, code, world)
