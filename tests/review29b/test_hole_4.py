"""Hole 4: the new after-death duplicate warning tells the registrar to "ask a program admin to correct that
record", and Keel gives a program admin no way to do it.

María Núñez's death is recorded (by mistake, say). At the desk her name and birth date are typed again; the
warning says: "If the death was recorded by mistake, do not make a second record: ask a program admin to
correct that record." The program admin then tries the only episode route there is, a readmission, and it is
refused ("a readmission is not possible"); no page, API route or command corrects an episode's end reason
(`episodes.py`: "a death is corrected on purpose", by the operator by hand). The registrar is sent to someone
who cannot act, and the person is left with no care or a second record. The warning should send the desk to
whoever can correct a death (or Keel should give the program admin the correction it promises). This test
checks that the readmission is refused, then that the warning does not give that advice.
"""

from __future__ import annotations

import pytest

from keel.core.rules.inputs import FieldsInvalid
from keel.patients.schemas import DischargeIn, ReadmissionIn, RegistrationIn
from keel.patients.services import register_patient
from keel.patients.services.episodes import discharge, readmit

REGISTRATION = {
    "program": "riverside",
    "given_name": "María",
    "family_name": "Núñez",
    "date_of_birth": "1980-03-02",
    "notice_given": True,
    "consented": True,
    "episode_kind": "otp",
}


def test_the_after_death_duplicate_warning_sends_no_one_to_a_program_admin_who_cannot_correct_a_death(world):
    admin = world.staff["program_admin"]
    first = register_patient(by=admin, data=RegistrationIn.posted(REGISTRATION))
    discharge(by=admin, patient_id=first.patient.pk, data=DischargeIn.posted({"reason": "deceased"}))
    with pytest.raises(FieldsInvalid) as refused_readmission:  # what the program admin can do: nothing
        readmit(
            by=admin,
            patient_id=first.patient.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    assert refused_readmission.value.errors[0].field == "patient"

    with pytest.raises(FieldsInvalid) as warned:
        register_patient(by=admin, data=RegistrationIn.posted(REGISTRATION))

    assert "ask a program admin to correct" not in str(warned.value)
