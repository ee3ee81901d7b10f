"""Hole 3: a consent a minor signed herself, next to her parent (42 CFR 2.14(b)), is refused after her death
as if only the parent had signed it, while a consent she signed alone keeps releasing (lane dead29a)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from keel.patients.models import Patient, local_today
from tests.conftest import World
from tests.review31b._setup import consent_for_alice, record_death
from tests.review31c._setup import disclose_enrollment


def test_a_consent_the_minor_cosigned_still_releases_after_her_death(world: World, signed_in: Any) -> None:
    sixteen = local_today(world.alice) - timedelta(days=16 * 366)
    Patient.objects.filter(pk=world.alice.pk).update(date_of_birth=sixteen)
    consent = consent_for_alice(
        world,
        "Harbor Clinic",
        ["enrollment"],
        representative_name="Maria Zamorano",
        representative_relationship="parent",
        representative_authority="Mother of the minor",
        patient_signature="Alicia Zamorano",
    )
    nurse = signed_in("nurse")
    record_death(nurse, world)
    assert disclose_enrollment(nurse, world, consent.pk, "Harbor Clinic").status_code == 201
