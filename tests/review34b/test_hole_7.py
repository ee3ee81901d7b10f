"""Hole 7: a token search that releases nothing still writes a row in her accounting of disclosures. Acme's
system searches Alice's results (`Observation?patient=<alice>`, `Keel-Consent`) while she has none on file:
the answer is an empty searchset (`total: 0`), yet a Disclosure row says "Results (questionnaire scores and
heart-rhythm readings), read by another computer system", and her "Every time my record was shared" lists it
(`interop.rest.auth` releases through `release_to_system` whatever the search found) (review 34b)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.sharing.models import Disclosure
from tests.conftest import sign_in
from tests.review34b._setup import acme_token, consent_to_acme

pytestmark = pytest.mark.django_db


def _search_results(world: Any) -> Any:
    consent = consent_to_acme(world)
    return Client().get(
        f"/fhir/R4/Observation?patient={world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {acme_token(world)}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )


def test_an_empty_search_writes_no_disclosure(world: Any) -> None:
    answer = _search_results(world)
    assert answer.json()["total"] == 0
    assert Disclosure.objects.filter(patient=world.alice).count() == 0


def test_her_page_does_not_say_her_results_were_read(world: Any) -> None:
    _search_results(world)
    page = sign_in(Client(), world.alice.user).get("/me/sharing/").content.decode()
    assert "Results (questionnaire scores" not in page
