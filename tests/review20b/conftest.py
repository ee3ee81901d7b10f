"""People for review 20b's holes, built with Keel's own services and models (as keel.demo does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from keel.accounts import services as accounts
from keel.accounts.models import Program, Role, User
from keel.patients.models import CareTeamMember, Patient

PASSWORD = "review twenty b passphrase"
CANARY = "Quintanilla"  # a surname typed where Keel wants a code or a reason: must never reach an audit row


@dataclass
class World:
    program: Program
    admin: User
    nurse: User  # on the patient's care team
    other_nurse: User  # same program, not on the team (break-the-glass)
    patient_user: User
    patient: Patient


def _staff(program: Program, name: str, role: str) -> User:
    user, _ = accounts.create_user(
        username=f"{program.slug}.{name}", role=role, password=PASSWORD, program_slug=program.slug
    )
    return user


@pytest.fixture
def world(db: object) -> World:
    program = Program.objects.create(slug="north", name="North clinic", time_zone="America/New_York")
    admin = _staff(program, "admin", Role.PROGRAM_ADMIN)
    nurse = _staff(program, "nurse", Role.NURSE)
    other = _staff(program, "other", Role.NURSE)
    patient_user, _ = accounts.create_user(
        username="north.patient", role=Role.PATIENT, password=PASSWORD, program_slug=None
    )
    patient = Patient.objects.create(
        program=program,
        user=patient_user,
        record_number="NORTH-00001",
        given_name="Ana",
        family_name="Reyes",
        date_of_birth=date(1990, 4, 2),
    )
    CareTeamMember.objects.create(patient=patient, user=nurse)
    return World(program, admin, nurse, other, patient_user, patient)
