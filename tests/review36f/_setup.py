"""Set-up helpers for review 36f (switching medicines): orders, an XR-naltrexone injection, an intake."""

from __future__ import annotations

from datetime import datetime, timedelta

from keel.api_body import Posted
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.schemas.start import IntakeIn
from keel.treatment.services.injections import record_injection
from keel.treatment.services.last_use import record_last_use
from keel.treatment.services.orders import prescribe
from keel.treatment.services.start import record_intake
from tests.conftest import World


def order(world: World, medication: str, mg: str, at: datetime, days_before: int = 0) -> MedicationOrder:
    """An order for Alice written by the prescriber at `at`, starting `days_before` days before that day."""
    alice = world.alice
    return prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication=medication,
        dose_mg=mg,
        now=at,
        starts_on=local_today(alice, at) - timedelta(days=days_before),
    )


def reported(world: World, opioid: str, used_at: datetime, at: datetime) -> None:
    """The nurse records at `at` that Alice last used `opioid` at `used_at`."""
    record_last_use(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        raw={"opioids": [{"opioid": opioid, "last_use_at": used_at.isoformat()}]},
        now=at,
    )


def injected(world: World, at: datetime) -> DoseRecord:
    """Heroin last used ten days before `at` (reported), an XR-naltrexone order, and the injection at `at`."""
    reported(world, "heroin", at - timedelta(days=10), at - timedelta(hours=1))
    order(world, "naltrexone_xr", "380", at - timedelta(hours=2))
    return record_injection(
        by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal", now=at
    ).dose


def intake_with(world: World, opioids: list[dict[str, str]], at: datetime) -> None:
    """An intake recorded by the nurse at `at` listing `opioids` (one without `last_use_at`: time unknown)."""
    record_intake(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        data=Posted(IntakeIn, {"pregnant": "no", "opioids": opioids}),
        now=at,
    )


def cows_24(world: World, at: datetime) -> None:
    """The nurse's COWS for Alice filled at `at`: 24 (moderately severe withdrawal)."""
    from keel.assessments.services import submit_assessment

    nine = ("pulse", "sweating", "pupils", "aches", "nose_eyes", "gi_upset", "tremor", "yawning", "anxiety")
    submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="cows",
        answers={**dict.fromkeys(nine, 2), "restlessness": 3, "gooseflesh": 3},
        filled_at=at,
    )
