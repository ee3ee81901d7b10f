"""Review 34d set-up: signing in through the pages as a person does (the password, then the code step), and
a code from an authenticator holding a given key."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import TOTP

from tests.conftest import PASSWORD

PENDING = "keel_mfa_pending"


def code_for_key(key_hex: str) -> str:
    """The 6-digit code an authenticator app holding this key shows now (30-second steps, as Keel enrols)."""
    return f"{TOTP(bytes.fromhex(key_hex)).token():06d}"


def password_step(client: Client, username: str, password: str = PASSWORD) -> Any:
    """The sign-in page's first step, as typed."""
    return client.post("/accounts/login/", {"username": username, "password": password})


def api_token(client: Client, username: str, code: str, password: str = PASSWORD) -> Any:
    """`POST /api/v1/auth/tokens`: another system's client asks a token with the password and a code."""
    return client.post(
        "/api/v1/auth/tokens",
        {"username": username, "password": password, "otp_code": code, "name": "script"},
        content_type="application/json",
    )


def record_without_account(world: Any, record_number: str = "RR-0341") -> Any:
    """A Riverside person registered at the desk who has no Keel account yet (rows: the history)."""
    from datetime import timedelta

    from keel.patients.models import Enrollment, Patient, local_today

    patient = Patient.objects.create(
        program=world.riverside,
        record_number=record_number,
        given_name="María",
        family_name="González",
        date_of_birth=local_today(world.alice) - timedelta(days=365 * 34),
    )
    Enrollment.objects.create(
        patient=patient, program=world.riverside, started_on=local_today(world.alice) - timedelta(days=20)
    )
    return patient


def activation_code(world: Any, patient: Any) -> str:
    """The code the desk hands her (a program admin issues it, as the page does)."""
    from keel.patients.services import activation

    return str(activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk).code)
