"""Review 27b: the desk's password reset code for a person whose death is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core.rules.inputs import FieldsInvalid
from keel.patients.errors import NotAllowed
from keel.patients.models import ActivationCode
from keel.patients.schemas import ResetCodeIn
from keel.patients.services import password_reset
from tests.review27b.test_death_and_activation import _record_death


def test_no_reset_code_is_given_for_a_person_whose_death_is_recorded(world: Any) -> None:
    """After a death is recorded (her own account turned off for good), the desk must be told so, not be
    handed a code that "starts a password reset" for her: the code never works (`_reset_password` needs an
    active user), the staff member is misled into telling someone at the desk that it will, and the audit
    trail records a reset started for a dead person "with identity checked". Refuse it, saying the account
    is closed."""
    _record_death(world, world.alice)
    with pytest.raises((FieldsInvalid, NotAllowed)):
        password_reset.issue_reset_code(
            by=world.staff["program_admin"],
            patient_id=world.alice.pk,
            data=ResetCodeIn.posted({"identity_checked": True}),
        )
    assert not ActivationCode.objects.filter(patient=world.alice, purpose="reset").exists()
