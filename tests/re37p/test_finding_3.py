"""re37p finding 3: a code issued while its issuer is turned off survives. `issue_activation_code` asks the
policy (she may give codes) outside any transaction and stores the code later without taking the program's
row (which the deactivation locks) nor asking again; the deactivation, committed between the two, found no
code to void. Simulated here by committing the deactivation right after the policy check."""

from __future__ import annotations

import pytest

from keel.accounts import staff
from keel.patients.services import activation
from tests.accounts.test_leaver_codes_fix37e import _record, _works
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_code_issued_across_deactivation_survives(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    checked = activation._check_may_have_code

    def check_then_deactivated(by, record):  # type: ignore[no-untyped-def]
        checked(by, record)
        staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)

    monkeypatch.setattr(activation, "_check_may_have_code", check_then_deactivated)
    code = activation.issue_activation_code(by=nurse, patient_id=patient.pk).code
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert not _works("activation", code, world)
