"""Lane fix31b (review 31b, H2 and H3) on /fhir/R4/: a token bound to a recipient is answered alike for a
consent of the person naming another recipient and for an id of no consent (the 422 "no such consent for
this patient", naming the field that carried it), audited as another recipient's consent; and alike for a
person with no consent of theirs and an id nobody has. Reads (`Keel-Consent`) and `$everything`."""

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
from tests.conftest import World

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
            "categories": [core.RECORD],
            "expires_on": (local_today(world.alice) + timedelta(days=60)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _no_consent() -> int:
    return (Consent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def _secret(world: World) -> str:
    return accounts.create_token(user=world.staff["counselor"], recipient_name=ED).secret


def _read(world: World, pk: int, consent: int) -> Any:
    return Client().get(
        f"/fhir/R4/Patient/{pk}",
        HTTP_AUTHORIZATION=f"Bearer {_secret(world)}",
        HTTP_KEEL_CONSENT=str(consent),
    )


def _everything(world: World, pk: int, consent: int) -> Any:
    params = {"basis": "consent", "consent": consent, "recipient_name": ED, "purpose": "treatment"}
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": k, "valueString": str(v)} for k, v in params.items()],
    }
    return Client(enforce_csrf_checks=True).post(
        f"/fhir/R4/Patient/{pk}/$everything",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {_secret(world)}",
    )


ROUTES = [_read, _everything]


@pytest.mark.parametrize("route", ROUTES)
def test_another_recipients_consent_is_answered_as_no_consent(world: World, route: Any) -> None:
    court = route(world, world.alice.pk, _consent(world, COURT).pk)
    none = route(world, world.alice.pk, _no_consent())
    assert (court.status_code, court.content) == (none.status_code, none.content)


@pytest.mark.parametrize("route", ROUTES)
def test_another_recipients_consent_is_a_422(world: World, route: Any) -> None:
    assert route(world, world.alice.pk, _consent(world, COURT).pk).status_code == 422


@pytest.mark.parametrize("route", ROUTES)
def test_another_recipients_consent_is_audited_as_another_recipient(world: World, route: Any) -> None:
    route(world, world.alice.pk, _consent(world, COURT).pk)
    assert AuditEvent.objects.filter(
        patient_id=world.alice.pk, outcome="denied", reason="API token bound to another recipient"
    ).exists()


@pytest.mark.parametrize("route", ROUTES)
def test_another_recipients_consent_releases_nothing(world: World, route: Any) -> None:
    route(world, world.alice.pk, _consent(world, COURT).pk)
    assert not Disclosure.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize("route", ROUTES)
def test_a_person_with_no_consent_is_answered_as_no_one(world: World, route: Any) -> None:
    nobody = max(p.pk for p in (world.alice, world.bob, world.charlie)) + 1000
    alice = route(world, world.alice.pk, _no_consent())
    no_one = route(world, nobody, _no_consent())
    assert (alice.status_code, alice.content) == (no_one.status_code, no_one.content)


@pytest.mark.parametrize("route", ROUTES)
def test_its_own_recipients_consent_still_releases(world: World, route: Any) -> None:
    assert route(world, world.alice.pk, _consent(world, ED).pk).status_code == 200
