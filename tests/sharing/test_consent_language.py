"""Issue #14, Part 2: a consent is stored in the language the patient read and signed, with the statements as
they were shown to them (42 CFR 2.31: the consent is what the patient signed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from keel.core import sharing as core
from keel.sharing.models import Consent
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
FORM = {
    "recipient_name": "Clínica del Valle",
    "purpose": "treatment",
    "categories": ["medication"],
    "expires_on": "2027-05-31",
    "signature": "Alicia Zamorano",
    "understood": "on",
}


def _sign(world: World, language: str) -> Consent:
    client = sign_in(Client(), world.alice.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    assert client.post("/me/sharing/new/", FORM).status_code == 302
    return Consent.objects.get()


@time_machine.travel(NOW, tick=False)
def test_a_consent_signed_in_spanish_is_stored_in_spanish(world: World) -> None:
    assert _sign(world, "es").language == "es"


@time_machine.travel(NOW, tick=False)
def test_a_consent_signed_in_spanish_keeps_the_spanish_statements_the_patient_read(world: World) -> None:
    statements = _sign(world, "es").statements
    assert statements[0].startswith("Puedo retirar (revocar) este consentimiento")


@time_machine.travel(NOW, tick=False)
def test_a_consent_signed_in_english_keeps_the_english_statements(world: World) -> None:
    consent = _sign(world, "en")
    assert (consent.language, consent.statements) == ("en", list(core.STATEMENTS))


@time_machine.travel(NOW, tick=False)
def test_the_api_says_the_language_a_consent_was_signed_in(world: World) -> None:
    _sign(world, "es")
    listed = sign_in(Client(), world.alice.user).get("/api/v1/me/sharing").json()["consents"]
    assert [c["language"] for c in listed] == ["es"]
