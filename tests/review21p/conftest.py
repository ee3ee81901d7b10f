"""A small world for review 21p (privacy officer and penetration tester): one program, a patient on a
prescriber's care team, and a nurse of the same program who is not on it (break-the-glass)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from keel.accounts.models import Program, ProgramMembership, Role, User
from keel.patients.models import CareTeamMember, Patient

PASSWORD = "correct horse battery staple 21p"


@dataclass
class Small:
    program: Program
    prescriber: User
    nurse: User
    patient: Patient


def make_staff(username: str, role: str, program: Program) -> User:
    user = User.objects.create(username=username, role=role, first_name=username.title(), last_name="Staff")
    user.set_password(PASSWORD)
    user.save()
    ProgramMembership.objects.create(user=user, program=program)
    return user


@pytest.fixture
def small(db: None) -> Small:
    program = Program.objects.create(slug="r21p", name="Review 21p Clinic", time_zone="America/New_York")
    prescriber = make_staff("presc21p", Role.PRESCRIBER, program)
    nurse = make_staff("nurse21p", Role.NURSE, program)
    patient = Patient.objects.create(
        program=program,
        record_number="RN-21001",
        given_name="Maria",
        family_name="Gonzalez",
        date_of_birth=date(1990, 5, 17),
    )
    CareTeamMember.objects.create(patient=patient, user=prescriber)
    return Small(program, prescriber, nurse, patient)
