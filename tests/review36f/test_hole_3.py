"""Hole 3 (medium): methadone at the window six days after an XR-naltrexone injection (the 28-day blockade)
passes as "within the program's limits" with not a word of the naltrexone: nothing in the window reads it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.review36f._setup import injected, order


def test_a_dose_during_the_naltrexone_blockade_names_the_injection(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=6))
    order(world, "methadone", "30", now - timedelta(hours=1))
    outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)
    said = " ".join(r.text for r in outcome.decision.reasons).lower()
    assert "naltrexone" in said, said


def test_a_buprenorphine_start_during_the_blockade_names_the_injection(world: World) -> None:
    """The other agonist: a standard buprenorphine first dose six days after the injection (heroin reported
    yesterday, COWS 24) passes on "within the 8 mg limit", the naltrexone unread."""
    from tests.review36f._setup import cows_24, reported

    now = timezone.now()
    injected(world, now - timedelta(days=6))
    reported(world, "heroin", now - timedelta(days=1), now - timedelta(hours=1))
    order(world, "buprenorphine", "8", now - timedelta(hours=1))
    cows_24(world, now - timedelta(minutes=10))
    outcome = record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="8", medication="buprenorphine", now=now
    )
    said = " ".join(r.text for r in outcome.decision.reasons).lower()
    assert "naltrexone" in said, said
