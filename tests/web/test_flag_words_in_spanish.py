"""Suicide-screen and emergency-access flags read in the reader's language (issue #15): their fixed sentences
are marked in the core and catalogued, the emergency's name and reason stay as written."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from keel.assessments.services import submit_assessment
from keel.patients.flagwords import said_text
from keel.patients.models import PatientFlag
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

ITEM9_ES = "La pregunta 9 (pensamientos de muerte o de hacerse daño) tuvo una respuesta mayor que 0"
PHQ9 = {f"phq9_{i}": 0 for i in range(1, 10)} | {"phq9_9": 1}


def test_a_fixed_core_sentence_without_a_template_is_shown_in_spanish() -> None:
    with translation.override("es"):
        assert (
            said_text(None, "Thought about how: moderate risk.") == "Pensó en cómo hacerlo: riesgo moderado."
        )


def test_a_sentence_that_is_not_in_the_catalogue_is_shown_as_written() -> None:
    with translation.override("es"):
        assert said_text(None, "Free text the nurse typed") == "Free text the nurse typed"


def test_an_empty_reason_stays_empty() -> None:
    with translation.override("es"):
        assert said_text(None, "") == ""


def test_the_phq9_question_9_flag_reads_in_spanish_on_the_patient_page(world: World) -> None:
    submit_assessment(by=world.staff["counselor"], patient_id=world.alice.pk, instrument="phq9", answers=PHQ9)
    assert PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").exists()
    client = sign_in(Client(), world.staff["counselor"])
    client.cookies["django_language"] = "es"
    page = client.get(f"/patients/{world.alice.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert ITEM9_ES in page.content.decode()


def test_the_emergency_access_template_keeps_the_name_and_reason_as_written() -> None:
    entry = {
        "template": "%(role)s %(name)s opened this record in an emergency: %(why)s",
        "params": {"role": "Nurse", "name": "Rosa Diaz", "why": "unresponsive in the lobby"},
    }
    with translation.override("es"):
        text = said_text(entry, "fallback")
    assert text == "Enfermero/a Rosa Diaz abrió este expediente en una emergencia: unresponsive in the lobby"
