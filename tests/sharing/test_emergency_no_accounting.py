"""Review 19b: emergency access does not open a person's consents or accounting of disclosures (42 CFR Part
2): the sharing page, its API and the FHIR Consent reads refuse a clinician who reaches the record only
through break-the-glass, audited "emergency access: may not read consents and disclosures"; the record page
does not offer the link; the care team keeps it all."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.sharing.models import Consent
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
REFUSED = "emergency access: may not read consents and disclosures"


def _nurse_in_emergency(world: World) -> Client:
    emergency_access(
        by=world.staff["nurse"],
        record_number=world.bob.record_number,
        reason="found unresponsive in the lobby",
        password=PASSWORD,
    )
    return sign_in(Client(), world.staff["nurse"])


def _on_bobs_team(world: World) -> Client:
    from keel.patients.models import CareTeamMember

    CareTeamMember.objects.create(patient=world.bob, user=world.staff["prescriber"])
    return sign_in(Client(), world.staff["prescriber"])


def _last() -> Any:
    return AuditEvent.objects.order_by("-id").first()


@pytest.mark.parametrize("path", ["/api/v1/patients/{bob}/sharing", "/patients/{bob}/sharing/"])
def test_the_sharing_page_and_api_refuse_emergency_access(world: World, path: str) -> None:
    response = _nurse_in_emergency(world).get(path.format(bob=world.bob.pk))
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/patients/{bob}/sharing", "/patients/{bob}/sharing/"])
def test_the_refusal_is_audited_about_the_person(world: World, path: str) -> None:
    _nurse_in_emergency(world).get(path.format(bob=world.bob.pk))
    row = _last()
    assert (row.outcome, row.patient_id, row.reason) == ("denied", world.bob.pk, REFUSED)


def test_the_refusal_has_words_in_spanish() -> None:
    from django.utils import translation

    from keel.web.audit_words import reason_words

    with translation.override("es"):
        assert reason_words(REFUSED) != REFUSED


@pytest.mark.parametrize("path", ["/api/v1/patients/{bob}/sharing", "/patients/{bob}/sharing/"])
def test_the_care_team_still_reads_it(world: World, path: str) -> None:
    client = _on_bobs_team(world)
    assert client.get(path.format(bob=world.bob.pk)).status_code == 200


def test_the_record_page_does_not_offer_sharing_under_emergency_access(world: World) -> None:
    page = _nurse_in_emergency(world).get(f"/patients/{world.bob.pk}/").content.decode()
    assert f"/patients/{world.bob.pk}/sharing/" not in page


def test_the_record_page_offers_sharing_to_the_care_team(world: World) -> None:
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/").content.decode()
    assert f"/patients/{world.alice.pk}/sharing/" in page


@pytest.fixture
def bobs_consent(world: World) -> Consent:
    from datetime import UTC, datetime

    return Consent.objects.create(
        patient=world.bob,
        program=world.riverside,
        recipient_name="County Drug Court",
        purpose="treatment",
        categories=["enrollment"],
        expires_on=date(2027, 6, 1),
        signature="Roberto Quintanilla",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.staff["prescriber"],
        signed_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def test_a_fhir_consent_read_is_refused_under_emergency_access(world: World, bobs_consent: Consent) -> None:
    response = _nurse_in_emergency(world).get(f"/fhir/R4/Consent/consent-{bobs_consent.pk}")
    assert response.status_code == 404
    assert (_last().patient_id, _last().reason) == (world.bob.pk, REFUSED)


def test_a_fhir_consent_search_for_the_person_finds_none(world: World, bobs_consent: Consent) -> None:
    response = _nurse_in_emergency(world).get(f"/fhir/R4/Consent?patient={world.bob.pk}")
    assert response.json().get("entry", []) == []


def test_a_fhir_consent_search_of_everyone_leaves_the_person_out(world: World, bobs_consent: Consent) -> None:
    response = _nurse_in_emergency(world).get("/fhir/R4/Consent")
    ids = [e["resource"]["id"] for e in response.json().get("entry", [])]
    assert f"consent-{bobs_consent.pk}" not in ids


def test_the_care_team_reads_the_fhir_consent(world: World, bobs_consent: Consent) -> None:
    client = _on_bobs_team(world)
    assert client.get(f"/fhir/R4/Consent/consent-{bobs_consent.pk}").status_code == 200
