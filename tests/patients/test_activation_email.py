"""The activation code by email (issue #18): `send_by_email` sends the code to the record's email through
KEEL_EMAIL_URL (a real SMTP server here); the message carries no health words and no program; a record without
an email is refused before any code is made; a mail server that fails leaves the code on the desk's screen and
an audit row naming only the failure's class."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import ActivationCode, Enrollment, Patient
from tests.conftest import Mailbox, World

pytestmark = pytest.mark.django_db
HEALTH_WORDS = ["opioid", "methadone", "buprenorphine", "treatment", "recovery", "clinic", "Riverside", "OTP"]


@pytest.fixture
def maria(world: World) -> Patient:
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0100",
        given_name="Maria",
        family_name="Lopez",
        date_of_birth=date(1988, 4, 2),
        email="maria@example.org",
    )
    Enrollment.objects.create(patient=patient, program=world.riverside, started_on=date(2026, 3, 1))
    return patient


def _issue(client: Client, patient: Patient, **body: Any) -> Any:
    return client.post(
        f"/api/v1/patients/{patient.pk}/activation-code", json.dumps(body), content_type="application/json"
    )


def test_the_code_goes_to_the_record_s_email(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox
) -> None:
    _issue(signed_in("program_admin"), maria, send_by_email=True)
    assert len(smtp_server.to("maria@example.org")) == 1


def test_the_email_carries_the_code_shown_at_the_desk(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox
) -> None:
    code = _issue(signed_in("program_admin"), maria, send_by_email=True).json()["code"]
    assert code in Mailbox.body(smtp_server.to("maria@example.org")[0])


def test_the_email_carries_the_activation_link(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox
) -> None:
    _issue(signed_in("program_admin"), maria, send_by_email=True)
    assert "/accounts/activate/" in Mailbox.body(smtp_server.to("maria@example.org")[0])


@pytest.mark.parametrize("word", HEALTH_WORDS)
def test_the_email_names_no_health_word_and_no_program(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox, word: str
) -> None:
    _issue(signed_in("program_admin"), maria, send_by_email=True)
    message = smtp_server.to("maria@example.org")[0]
    assert word.lower() not in (str(message["Subject"]) + Mailbox.body(message)).lower()


def test_the_email_is_in_the_patient_s_language(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox
) -> None:
    maria.preferred_language = "es"
    maria.save()
    _issue(signed_in("program_admin"), maria, send_by_email=True)
    assert str(smtp_server.to("maria@example.org")[0]["Subject"]) == "Su código de Keel"


def test_without_the_option_no_email_is_sent(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox
) -> None:
    _issue(signed_in("program_admin"), maria)
    assert smtp_server.messages == []


def test_a_record_without_an_email_is_refused_before_any_code(
    world: World, signed_in: Any, smtp_server: Mailbox
) -> None:
    world.bob.user = None
    world.bob.save()
    response = _issue(signed_in("program_admin"), world.bob, send_by_email=True)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "send_by_email")


def test_a_refused_email_makes_no_code(world: World, signed_in: Any, smtp_server: Mailbox) -> None:
    world.bob.user = None
    world.bob.save()
    _issue(signed_in("program_admin"), world.bob, send_by_email=True)
    assert not ActivationCode.objects.filter(patient=world.bob).exists()


def test_a_mail_server_that_fails_leaves_the_code_and_an_audit_row(
    world: World, maria: Patient, signed_in: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    response = _issue(signed_in("program_admin"), maria, send_by_email=True)
    assert response.status_code == 201
    row = AuditEvent.objects.filter(target_type="activation_code", outcome="failure").get()
    assert row.reason.startswith("email not sent: ")


def test_the_issue_audit_row_says_it_was_emailed(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox
) -> None:
    _issue(signed_in("program_admin"), maria, send_by_email=True)
    row = AuditEvent.objects.get(target_type="activation_code", action="create")
    assert row.detail["sent_by_email"] is True


def test_the_desk_page_sends_it_by_email(
    world: World, maria: Patient, signed_in: Any, smtp_server: Mailbox
) -> None:
    response = signed_in("program_admin").post(
        f"/patients/{maria.pk}/activation-code/", {"send_by_email": "on"}
    )
    assert (response.status_code, len(smtp_server.to("maria@example.org"))) == (200, 1)


def test_the_patient_page_offers_email_only_when_the_record_has_one(
    world: World, maria: Patient, signed_in: Any
) -> None:
    client = signed_in("program_admin")
    offered = 'name="send_by_email"' in client.get(f"/patients/{maria.pk}/").content.decode()
    not_offered = 'name="send_by_email"' not in client.get(f"/patients/{world.bob.pk}/").content.decode()
    assert (offered, not_offered) == (True, True)


def test_the_page_names_a_missing_email_in_spanish(world: World, signed_in: Any) -> None:
    world.bob.user = None
    world.bob.save()
    client = signed_in("program_admin")
    client.cookies["django_language"] = "es"
    response = client.post(
        f"/patients/{world.bob.pk}/activation-code/", {"send_by_email": "on"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "el expediente no tiene correo electrónico" in response.content.decode()
