"""Review 27b (privacy officer + penetration tester): a death recorded must end everything done in the
person's name. The activation code (the desk's way to make a person's own account) is a path around it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from keel.accounts.models import User
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.errors import NotAllowed
from keel.patients.models import EndReason, Enrollment, Patient
from keel.patients.schemas import DischargeIn
from keel.patients.services import activation
from keel.patients.services.episodes import discharge


def _no_account_yet(world: Any) -> Patient:
    """A Riverside person in care whose own account was never made (the desk gives a code for that)."""
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0927",
        given_name="Delfina",
        family_name="Arbuckle",
        date_of_birth=date(1988, 3, 9),
        phone="+15555550199",
        email="delfina@example.org",
    )
    Enrollment.objects.create(patient=patient, program=world.riverside, started_on=date(2026, 1, 5))
    return patient


def _record_death(world: Any, patient: Patient) -> None:
    discharge(
        by=world.staff["program_admin"],
        patient_id=patient.pk,
        data=DischargeIn.posted({"reason": EndReason.DECEASED.value}),
    )
    assert Enrollment.objects.filter(patient=patient, end_reason=EndReason.DECEASED).exists()


def test_no_activation_code_is_given_for_a_person_whose_death_is_recorded(world: Any) -> None:
    """After a death is recorded, the desk must not be able to issue (and text or email) an activation code
    for the person's own account: it would send a message in her name to her phone or email (read by her
    family, a 42 CFR Part 2 disclosure of care) and open a new, active account in a dead person's name,
    which `_end_own_account` cannot close because it ran before the account existed."""
    patient = _no_account_yet(world)
    _record_death(world, patient)
    with pytest.raises((FieldsInvalid, NotAllowed)):
        activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)


def test_a_code_given_before_the_death_makes_no_account_after_it(world: Any) -> None:
    """A code handed out at the desk (or texted) before the death still works for days. Whoever holds it
    after the death (a relative with her phone) must not make an active Keel account in her name: the
    death turned her own account off for good (lane dead27), and an account made after it is one nobody
    turns off."""
    patient = _no_account_yet(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)
    _record_death(world, patient)
    with pytest.raises((FieldsInvalid, NotAllowed)):
        activation.activate(
            code=issued.code,
            username="delfina-after",
            password="a long enough passphrase 927",
            password_again="a long enough passphrase 927",
        )
    assert not User.objects.filter(username="delfina-after", is_active=True).exists()
