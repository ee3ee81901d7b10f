"""re37p finding 5: a password like the record's first name is refused only inside `create_user` (the
similarity validator sees the record's first_name there; `problems_before_lookup` checks against the username
only), after `take_activation_try` has spent and committed a try of the live code. Five such tries (the
default KEEL_SIGNUP_RATE 5/h) and the patient's next, correct, attempt is "too many names". The answer also
tells the code's holder her password resembles the record's first name, a name she never typed."""

from __future__ import annotations

import pytest

from keel.core.rules.inputs import FieldsInvalid
from keel.patients.services.activation import activate, issue_activation_code
from tests.accounts.test_leaver_codes_fix37e import _record
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_passwords_like_her_name_spend_the_codes_tries(world: World) -> None:
    code = issue_activation_code(by=world.staff["nurse"], patient_id=_record(world).pk).code
    for n in range(5):
        with pytest.raises(FieldsInvalid) as refused:
            activate(
                code=code, username=f"eva{n}", password="evangelina2026", password_again="evangelina2026"
            )
        assert "first name" in str(refused.value)  # the record's name, which she never typed
    user = activate(code=code, username="eva-ok", password=PASSWORD, password_again=PASSWORD)
    assert user.username == "eva-ok"
