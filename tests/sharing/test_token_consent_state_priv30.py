"""Lane priv30, item 2: what a token's refusal on the release routes (`/disclosures`, `/fhir/export`, FHIR
with `Keel-Consent`) tells about a consent's state. A token bound to a recipient is told the state of the
consents naming its own recipient (revoked, ended: its integration needs it to stop asking or ask for a new
one), never the state of a consent naming another recipient: that consent is answered before its state is
read, as FHIR already did (`interop.rest.auth._bound_build`). Lane fix31b (review 31b H3): no longer as
"another recipient" (403), which told that the consent exists, but as an id of no consent: the JSON API's
404 of an id nobody has (review 31b H2), FHIR's 422 "no such consent for this patient"."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.core import sharing as core
from keel.patients.models import local_today
from keel.sharing.models import Consent, Disclosure
from keel.sharing.services import record_paper_consent
from keel.sharing.services.revocations import record_written_revocation
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db
ED = "County Hospital Emergency Department"
COURT = "Drug Court"


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


def _revoked(world: World, recipient: str) -> Consent:
    consent = _consent(world, recipient)
    record_written_revocation(by=world.staff["counselor"], patient_id=world.alice.pk, consent_id=consent.pk)
    return consent


def _ended(world: World, recipient: str) -> Consent:
    consent = _consent(world, recipient)
    Consent.objects.filter(pk=consent.pk).update(expires_on=local_today(world.alice) - timedelta(days=3))
    consent.refresh_from_db()
    return consent


def _secret(world: World) -> str:
    return accounts.create_token(user=world.staff["counselor"], recipient_name=ED).secret


def _post(path: str, secret: str, body: dict[str, Any]) -> Any:
    return Client().post(
        path, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def _disclose(world: World, consent: Consent, recipient: str) -> Any:
    body = {
        "basis": "consent",
        "consent": consent.pk,
        "categories": ["medication"],
        "recipient_name": recipient,
        "purpose": "treatment",
        "password": PASSWORD,
    }
    return _post(f"/api/v1/patients/{world.alice.pk}/disclosures", _secret(world), body)


def _export(world: World, consent: Consent, recipient: str) -> Any:
    body = {
        "basis": "consent",
        "consent": consent.pk,
        "recipient_name": recipient,
        "purpose": "treatment",
        "password": PASSWORD,
    }
    return _post(f"/api/v1/patients/{world.alice.pk}/fhir/export", _secret(world), body)


def _read(world: World, consent: Consent) -> Any:
    return Client().get(
        f"/fhir/R4/Patient/{world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {_secret(world)}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )


def _says_no_state(answer: Any, consent: Consent) -> bool:
    text = answer.content.decode()
    return "revoked" not in text and "ended" not in text and consent.expires_on.isoformat() not in text


ROUTES = [_disclose, _export]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("state", [_revoked, _ended])
def test_another_recipients_consent_is_answered_as_another_recipient_not_by_its_state(
    world: World, route: Any, state: Any
) -> None:
    consent = state(world, COURT)
    answer = route(world, consent, COURT)
    assert answer.status_code == 404, answer.content[:300]  # fix31b: was 403 "another recipient" (31b H3)
    assert _says_no_state(answer, consent)
    assert not Disclosure.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize("route", ROUTES)
def test_naming_its_own_recipient_for_another_recipients_consent_tells_no_state(
    world: World, route: Any
) -> None:
    consent = _revoked(world, COURT)
    answer = route(world, consent, ED)
    assert answer.status_code == 404, answer.content[:300]  # fix31b: was 403 "another recipient" (31b H3)
    assert _says_no_state(answer, consent)


@pytest.mark.parametrize("state", [_revoked, _ended])
def test_the_fhir_header_answers_another_recipients_consent_the_same_way(world: World, state: Any) -> None:
    consent = state(world, COURT)
    answer = _read(world, consent)
    assert answer.status_code == 422  # fix31b: was 403 "another recipient" (review 31b H3)
    assert _says_no_state(answer, consent)


@pytest.mark.parametrize("route", ROUTES)
def test_its_own_recipients_revoked_consent_is_said_revoked(world: World, route: Any) -> None:
    answer = route(world, _revoked(world, ED), ED)
    assert answer.status_code == 422
    assert "The patient revoked this consent." in answer.content.decode()


@pytest.mark.parametrize("route", ROUTES)
def test_its_own_recipients_ended_consent_is_said_ended(world: World, route: Any) -> None:
    consent = _ended(world, ED)
    answer = route(world, consent, ED)
    assert answer.status_code == 422
    assert f"This consent ended on {consent.expires_on.isoformat()}." in answer.content.decode()


def test_a_live_consent_of_its_own_recipient_still_releases(world: World) -> None:
    answer = _disclose(world, _consent(world, ED), ED)
    assert answer.status_code == 201, answer.content[:300]
