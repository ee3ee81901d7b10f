"""Hole 1: the after-death duplicate warning is blind to accents, so a second, living record is made for a
person who died.

A program admin registers María Núñez and later records her death. At the desk someone registers her again
typed without the accents ("Maria Nunez", same birth date, same program), as happens on a keyboard without
them or from an ID card printed in capitals. The duplicate check compares names with `iexact` only, so no
warning is given (neither the plain one nor the new "that record shows the person died"), and a second record
with no death on it is made: from it her own account, emergency access and new consents in her own name open
again. The check should find the record whatever the accents, as it already does whatever the letter case.
"""

from __future__ import annotations

import pytest

from keel.core.rules.inputs import FieldsInvalid
from keel.patients.schemas import DischargeIn, RegistrationIn
from keel.patients.services import register_patient
from keel.patients.services.episodes import discharge


def _registration(given: str, family: str) -> dict[str, object]:
    return {
        "program": "riverside",
        "given_name": given,
        "family_name": family,
        "date_of_birth": "1980-03-02",
        "notice_given": True,
        "consented": True,
        "episode_kind": "otp",
    }


def test_a_second_registration_typed_without_accents_is_warned_of_the_recorded_death(world):
    admin = world.staff["program_admin"]
    first = register_patient(by=admin, data=RegistrationIn.posted(_registration("María", "Núñez")))
    discharge(by=admin, patient_id=first.patient.pk, data=DischargeIn.posted({"reason": "deceased"}))

    with pytest.raises(FieldsInvalid) as refused:
        register_patient(by=admin, data=RegistrationIn.posted(_registration("Maria", "Nunez")))

    assert [e.field for e in refused.value.errors] == ["not_a_duplicate"]
