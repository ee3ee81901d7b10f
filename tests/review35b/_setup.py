"""Set-up helpers for review 35b (anonymous tools and a person's own account)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from keel.accounts.models import User
from keel.patients.models import CareTeamMember, Patient

PASSWORD = "correct horse battery staple 35b"


def sign_up_on_the_page(username: str = "own-35b") -> tuple[Client, User]:
    """A person makes an account of their own on the public sign-up page, as on a phone."""
    client = Client()
    response = client.post(
        "/en/start/",
        {
            "username": username,
            "password": PASSWORD,
            "password_again": PASSWORD,
            "time_zone": "America/Chicago",
            "understood": "on",
        },
    )
    assert response.status_code == 302, response.content[:400]
    return client, User.objects.get(username=username)


def record_without_account(world: Any) -> Patient:
    """A Riverside record with no account yet, on the counselor's care team (the one a link code is for)."""
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-3535",
        given_name="Marisol",
        family_name="Etxeberria",
        date_of_birth=None,
    )
    CareTeamMember.objects.create(patient=patient, user=world.staff["counselor"])
    return patient


def link_code_for(world: Any, patient: Patient) -> str:
    from keel.selfguided import services

    return services.issue_link_code(by=world.staff["counselor"], patient_id=patient.pk).code
