"""Review 27b: the self-guided link code (a self-guided account joins a program's record that has no account
yet) is a second way to put a living account on a record whose death is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from keel.patients.models import Patient
from keel.selfguided import services as selfguided
from keel.selfguided.errors import SelfGuidedInvalid
from tests.review27b.test_death_and_activation import _no_account_yet, _record_death


def test_no_link_code_is_given_for_a_person_whose_death_is_recorded(world: Any) -> None:
    """After a death is recorded, no one-time code that links an account to the person's record may be
    given: whoever enters it gets an account bound to the dead person's record (her name, her program: a
    42 CFR Part 2 record of care), an account the death's `_end_own_account` never turned off because it
    did not exist yet."""
    patient = _no_account_yet(world)
    _record_death(world, patient)
    with pytest.raises((SelfGuidedInvalid, PermissionError)):
        selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=patient.pk)


def test_a_link_code_given_before_the_death_joins_no_account_after_it(world: Any) -> None:
    """A link code given before the death, entered after it (by the person's relative, or anyone who has
    the paper), must not hand a self-guided account, and its private history, to the dead person's record:
    the history would be moved into a closed record the care team reads, and the account would be bound to
    a record whose own account a death closed for good."""
    patient = _no_account_yet(world)
    issued = selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=patient.pk)
    _record_death(world, patient)
    with pytest.raises((SelfGuidedInvalid, PermissionError)):
        selfguided.join_program(
            user=world.dana,
            code=issued.code,
            bring_history=True,
            signature="Delfina Arbuckle",
            words="I agree.",
            language="en",
        )
    assert Patient.objects.get(pk=patient.pk).user_id is None
