"""Lane fix31c (review 31c H1): a staff token issued for no recipient releases nothing (review 25b H5), so on
FHIR a consent it names is refused 403 "issued for no recipient", audited, before any consent is looked up:
the same answer for a real consent of the person and an id nobody has, on a read, a search and
`$everything`. Naming no consent stays the 422 of no basis (review 25b H1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent, Outcome
from keel.core import sharing as core
from keel.interop.rest.auth import NO_RECIPIENT
from tests.conftest import World
from tests.review31b._setup import consent_for_alice
from tests.review31c._setup import counselor_token, fhir_get

pytestmark = pytest.mark.django_db


def _read(world: World, secret: str, consent: str) -> Any:
    return fhir_get(f"/fhir/R4/Patient/{world.alice.pk}", secret, consent)


def _search(world: World, secret: str, consent: str) -> Any:
    return fhir_get(f"/fhir/R4/Observation?patient={world.alice.pk}", secret, consent)


def _everything(world: World, secret: str, consent: str) -> Any:
    named = {
        "basis": "consent",
        "consent": consent,
        "recipient_name": "County Drug Court",
        "purpose": "treatment",
    }
    parameter = [{"name": k, "valueString": v} for k, v in named.items()]
    body = {"resourceType": "Parameters", "parameter": parameter}
    return Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


ROUTES = {"read": _read, "search": _search, "everything": _everything}


def _court(world: World) -> str:
    return str(consent_for_alice(world, "County Drug Court", [core.RECORD]).pk)


@pytest.mark.parametrize("route", ROUTES)
def test_a_real_consent_is_refused_403(world: World, route: str) -> None:
    answer = ROUTES[route](world, counselor_token(world, ""), _court(world))
    assert answer.status_code == 403


@pytest.mark.parametrize("route", ROUTES)
def test_a_real_consent_and_an_id_nobody_has_are_answered_alike(world: World, route: str) -> None:
    secret = counselor_token(world, "")
    real = ROUTES[route](world, secret, _court(world))
    nobody = ROUTES[route](world, secret, str(int(_court(world)) + 1000))
    assert (real.status_code, real.content) == (nobody.status_code, nobody.content)


def test_the_refusal_is_audited_naming_the_unbound_token(world: World) -> None:
    _read(world, counselor_token(world, ""), _court(world))
    assert AuditEvent.objects.filter(reason=NO_RECIPIENT, outcome=Outcome.DENIED).count() == 1


def test_no_consent_named_is_still_the_422_of_no_basis(world: World) -> None:
    assert _read(world, counselor_token(world, ""), "").status_code == 422


def test_a_token_bound_to_the_consents_recipient_still_reads(world: World) -> None:
    court = _court(world)
    assert _read(world, counselor_token(world, "County Drug Court"), court).status_code == 200


def test_text_that_is_no_id_is_still_the_422_of_no_such_consent(world: World) -> None:
    assert _read(world, counselor_token(world, ""), "1.5").status_code == 422
