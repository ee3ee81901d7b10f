"""Review 37d, hole 3: a password reset code a staff member was shown outlives their leaving.

At the desk a nurse gives Alicia (who has an account) a password reset code: shown once, on the nurse's
screen, working for KEEL_ACTIVATION_DAYS. The program turns the nurse's account off. The code still sets
Alicia's password: whoever holds it (the nurse who left) takes over her account (her whole record, consents
that let it out, 42 CFR 2.31) and she is signed out of it. Deactivation ends the nurse's sessions, tokens,
invitations and set-up codes, not the reset codes she gave.
Expected: turning a staff member's account off voids the unused reset codes they issued (the patient asks
the desk again), answered as a code that does not work.
"""

from __future__ import annotations

import pytest

from keel.accounts import staff
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.schemas import ResetCodeIn
from keel.patients.services import issue_reset_code, reset_password_with_code

NEW_PASSWORD = "a new and long enough phrase 37"


def test_a_reset_code_stops_working_once_its_issuer_is_turned_off(world) -> None:  # type: ignore[no-untyped-def]
    nurse = world.staff["nurse"]
    issued = issue_reset_code(
        by=nurse, patient_id=world.alice.pk, data=ResetCodeIn.posted({"identity_checked": True})
    )
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)

    with pytest.raises(FieldsInvalid):
        reset_password_with_code(code=issued.code, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
