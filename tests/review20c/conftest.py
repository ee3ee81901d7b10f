"""Data for review 20c: one program, staff, a patient with a login, built with the models and services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.accounts.models import Program, ProgramMembership, Role
from keel.patients.models import CareTeamMember, Enrollment, Patient


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    prog = Program.objects.create(slug="north", name="North Clinic", time_zone="America/Los_Angeles")
    other = Program.objects.create(slug="south", name="South Clinic")
    staff = {}
    for role in (Role.PRESCRIBER, Role.NURSE):
        u, _ = accounts.create_user(
            username=f"north.{role}",
            role=role,
            password="x-Long-pass-123!",
            program_slug="north",
            first_name="Ann",
            last_name=f"{role.title()}",
        )
        ProgramMembership.objects.get_or_create(user=u, program=prog)
        staff[str(role)] = u
    today = date(2026, 11, 20)
    p = Patient.objects.create(
        program=prog,
        record_number="N-1",
        given_name="Rosa",
        family_name="Quintanilla",
        date_of_birth=date(1990, 1, 1),
        gender="female",
        birth_sex="F",
    )
    Enrollment.objects.create(patient=p, program=prog, started_on=today - timedelta(days=30))
    for u in staff.values():
        CareTeamMember.objects.create(patient=p, user=u)
    q = Patient.objects.create(
        program=other,
        record_number="S-1",
        given_name="Luis",
        family_name="Other",
        date_of_birth=date(1980, 1, 1),
        gender="male",
        birth_sex="M",
    )
    return {"program": prog, "other": other, "staff": staff, "patient": p, "foreign": q, "today": today}


def bearer(user: Any, recipient: str = "County HIE") -> Client:
    """Set-up (review 25b, H5): another system's token is issued for its recipient, the consents' by default
    (a token issued for none releases nothing)."""
    token = accounts.create_token(user=user, recipient_name=recipient).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")
