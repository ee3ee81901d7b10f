"""Review 33b hole 1: the accounting of disclosures the patient reads says a FHIR release in English and in
internal codes ("FHIR Consent read by another system", "Patient/$everything"), even on her Spanish page."""

from __future__ import annotations

import json

from django.test import Client

from tests.conftest import World, sign_in
from tests.review33b._setup import acme_token, consent_for_alice, everything_basis


def _her_page_in_spanish(world: World) -> str:
    page = sign_in(Client(), world.alice.user).get("/me/sharing/", HTTP_ACCEPT_LANGUAGE="es")
    return page.content.decode()


def test_a_consent_search_by_acme_is_said_in_spanish(world: World) -> None:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    secret = acme_token(world)
    read = Client().get(
        f"/fhir/R4/Consent?patient={world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(acme.pk),
    )
    assert read.status_code == 200
    assert "read by another system" not in _her_page_in_spanish(world)


def test_a_consent_search_by_acme_names_no_resource_type(world: World) -> None:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    secret = acme_token(world)
    Client().get(
        f"/fhir/R4/Consent?patient={world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(acme.pk),
    )
    assert "FHIR Consent" not in _her_page_in_spanish(world)


def test_everything_by_acme_names_no_operation(world: World) -> None:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    secret = acme_token(world)
    pulled = Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything",
        json.dumps(everything_basis(acme)),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert pulled.status_code == 200
    assert "$everything" not in _her_page_in_spanish(world)
