"""Hole 2: after the death, a guardian's consent (which every release refuses: its signer's authority
ended) is still shown as "active": on the care team's sharing API/page and as a FHIR Consent."""

from __future__ import annotations

from typing import Any

from keel.core import sharing as core
from tests.conftest import World
from tests.review31b._setup import consent_for_alice, record_death

GUARDIAN = {
    "representative_name": "Gina Guard",
    "representative_relationship": "guardian",
    "representative_authority": "Letters of guardianship, county probate court",
}


def test_sharing_api_does_not_call_a_dead_patients_guardian_consent_active(
    world: World, signed_in: Any
) -> None:
    consent = consent_for_alice(world, "Harbor Clinic", ["enrollment"], **GUARDIAN)
    nurse = signed_in("nurse")
    record_death(nurse, world)
    shown = nurse.get(f"/api/v1/patients/{world.alice.pk}/sharing").json()
    assert [c["status"] for c in shown["consents"] if c["id"] == consent.pk] != ["active"]


def test_fhir_consent_of_a_dead_patients_guardian_is_not_active(world: World, signed_in: Any) -> None:
    consent = consent_for_alice(world, "Harbor Clinic", [core.RECORD], **GUARDIAN)
    nurse = signed_in("nurse")
    record_death(nurse, world)
    read = nurse.get(f"/fhir/R4/Consent/consent-{consent.pk}")
    assert read.json().get("status") != "active"
