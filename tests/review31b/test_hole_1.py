"""Hole 1: a consent a health-care agent signed for Alice while she lived still lets her record out after
her death (HOLES.md). 42 CFR 2.15(b): after a death only a personal representative consents; an agent's
authority ended with her death (Keel itself refuses an agent's signature after a death, review 28a H5)."""

from __future__ import annotations

from django.test import Client

from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in
from tests.review31b._setup import consent_for_alice, record_death


def test_an_agents_consent_releases_nothing_after_the_death(world: World) -> None:
    consent = consent_for_alice(
        world,
        "County Hospital",
        ["enrollment", "medication"],
        representative_name="Marta Zamorano",
        representative_relationship="health_care_agent",
        representative_authority="Health-care power of attorney dated last year",
    )
    nurse = sign_in(Client(), world.staff["nurse"])
    assert record_death(nurse, world).status_code == 200
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        {
            "basis": "consent",
            "consent": consent.pk,
            "categories": ["medication"],
            "recipient_name": "County Hospital",
            "purpose": "treatment",
            "password": PASSWORD,
        },
        content_type="application/json",
    )
    assert (response.status_code, Disclosure.objects.filter(consent=consent).count()) == (422, 0)
