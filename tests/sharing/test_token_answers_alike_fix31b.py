"""Lane fix31b (review 31b, H2 and H3): a token bound to a recipient is answered alike, on the JSON API's
release routes (`/disclosures`, `/fhir/export`), for a person in its staff member's scope with no consent
naming its recipient and for an id nobody has (the same 404, the same body), and for a consent of hers
naming another recipient and an id of no consent; each refusal audited as a denial, another recipient's
consent named as such. A session (a staff member signed in) keeps its answers."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.audit.models import AuditEvent
from keel.core import sharing as core
from keel.patients.models import local_today
from keel.sharing.models import Consent, Disclosure
from keel.sharing.services import record_paper_consent
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
ED = "County Hospital"
COURT = "Riverside Drug Court"


def _consent(world: World, recipient: str) -> Consent:
    return record_paper_consent(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        raw={
            "recipient_name": recipient,
            "purpose": "treatment",
            "purpose_text": "",
            "categories": [core.RECORD, "medication"],
            "expires_on": (local_today(world.alice) + timedelta(days=60)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _nobody(world: World) -> int:
    return max(p.pk for p in (world.alice, world.bob, world.charlie)) + 1000


def _no_consent() -> int:
    return (Consent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def _body(route: str, consent: int, recipient: str = ED) -> dict[str, Any]:
    body: dict[str, Any] = {
        "basis": "consent",
        "consent": consent,
        "recipient_name": recipient,
        "purpose": "treatment",
        "password": PASSWORD,
    }
    return {**body, "categories": ["medication"]} if route == "disclosures" else body


def _post(world: World, route: str, pk: int, body: dict[str, Any], recipient: str = ED) -> Any:
    secret = accounts.create_token(user=world.staff["counselor"], recipient_name=recipient).secret
    return Client().post(
        f"/api/v1/patients/{pk}/{route}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


ROUTES = ["disclosures", "fhir/export"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_person_with_no_consent_is_answered_as_no_one(world: World, route: str) -> None:
    alice = _post(world, route, world.alice.pk, _body(route, _no_consent()))
    nobody = _post(world, route, _nobody(world), _body(route, _no_consent()))
    assert (alice.status_code, alice.content) == (nobody.status_code, nobody.content)


@pytest.mark.parametrize("route", ROUTES)
def test_a_person_with_no_consent_is_a_404(world: World, route: str) -> None:
    assert _post(world, route, world.alice.pk, _body(route, _no_consent())).status_code == 404


@pytest.mark.parametrize("route", ROUTES)
def test_another_recipients_consent_is_answered_as_no_consent(world: World, route: str) -> None:
    court = _post(world, route, world.alice.pk, _body(route, _consent(world, COURT).pk))
    none = _post(world, route, world.alice.pk, _body(route, _no_consent()))
    assert (court.status_code, court.content) == (none.status_code, none.content)


@pytest.mark.parametrize("route", ROUTES)
def test_another_recipients_consent_is_audited_as_another_recipient(world: World, route: str) -> None:
    _post(world, route, world.alice.pk, _body(route, _consent(world, COURT).pk))
    assert AuditEvent.objects.filter(
        patient_id=world.alice.pk, outcome="denied", reason="API token bound to another recipient"
    ).exists()


@pytest.mark.parametrize("route", ROUTES)
def test_a_person_with_no_consent_is_audited_as_a_denial(world: World, route: str) -> None:
    _post(world, route, world.alice.pk, _body(route, _no_consent()))
    assert AuditEvent.objects.filter(
        patient_id=world.alice.pk, outcome="denied", reason="no such consent for this patient"
    ).exists()


@pytest.mark.parametrize("route", ROUTES)
def test_another_recipients_consent_releases_nothing(world: World, route: str) -> None:
    _post(world, route, world.alice.pk, _body(route, _consent(world, COURT).pk))
    assert not Disclosure.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize("route", ROUTES)
def test_a_token_issued_for_no_recipient_is_answered_alike(world: World, route: str) -> None:
    court = _post(world, route, world.alice.pk, _body(route, _consent(world, COURT).pk), recipient="")
    nobody = _post(world, route, _nobody(world), _body(route, _no_consent()), recipient="")
    assert (court.status_code, court.content) == (nobody.status_code, nobody.content)


@pytest.mark.parametrize("route", ROUTES)
def test_its_own_recipients_consent_still_releases(world: World, route: str) -> None:
    answer = _post(world, route, world.alice.pk, _body(route, _consent(world, ED).pk))
    assert answer.status_code in (200, 201), answer.content[:300]


def test_an_emergency_by_a_token_is_answered_alike(world: World) -> None:
    body = {
        "basis": "emergency",
        "categories": ["medication"],
        "recipient_name": "Dr. Rivera",
        "recipient_role": "physician",
        "recipient_affiliation": ED,
        "nature": "overdose in the emergency department",
        "password": PASSWORD,
    }
    alice = _post(world, "disclosures", world.alice.pk, body)
    nobody = _post(world, "disclosures", _nobody(world), body)
    assert (alice.status_code, alice.content) == (nobody.status_code, nobody.content)


def test_a_session_still_hears_another_recipient(world: World) -> None:
    client = Client()
    sign_in(client, world.staff["counselor"])
    body = _body("disclosures", _consent(world, COURT).pk)
    answer = client.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert "recipient_name" in answer.content.decode()


def test_a_session_still_hears_no_such_consent_for_a_person(world: World) -> None:
    client = Client()
    sign_in(client, world.staff["counselor"])
    body = _body("disclosures", _no_consent())
    answer = client.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert answer.status_code == 422
