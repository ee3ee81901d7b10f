"""Hole 1 (high): an intake that lists methadone "from the street" with no time of last use is masked by an
older methadone dose given at the clinic: XR-naltrexone is injected as "eligible" on a use whose time nobody
knows (precipitated withdrawal)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.injections import record_injection
from tests.conftest import World
from tests.factories import given_on
from tests.review36f._setup import intake_with, order


def test_an_intakes_methadone_without_a_time_still_stops_the_first_injection(world: World) -> None:
    alice, now = world.alice, timezone.now()
    methadone = order(world, "methadone", "30", now - timedelta(days=40), days_before=0)
    given_on(world, methadone, local_today(alice, now) - timedelta(days=20), 30, 1)  # the clinic's last dose
    # Today's intake: heroin ten days ago, and street methadone too, she cannot say when.
    intake_with(
        world,
        [
            {"opioid": "heroin", "last_use_at": (now - timedelta(days=10)).isoformat()},
            {"opioid": "methadone"},
        ],
        now - timedelta(hours=1),
    )
    order(world, "naltrexone_xr", "380", now - timedelta(minutes=30))
    with pytest.raises(TreatmentInvalid):  # "record the time of last use of each opioid first"
        record_injection(by=world.staff["nurse"], patient_id=alice.pk, site="left_gluteal", now=now)


def test_an_intakes_methadone_without_a_time_still_holds_the_buprenorphine_start(world: World) -> None:
    """The same masking on the other switch: a standard buprenorphine start reads "ready" on the clinic's
    8-day-old methadone dose while today's intake says she also used street methadone, time not known."""
    from keel.assessments.services import submit_assessment
    from keel.treatment.readiness import buprenorphine_readiness

    alice, now = world.alice, timezone.now()
    methadone = order(world, "methadone", "30", now - timedelta(days=40))
    given_on(world, methadone, local_today(alice, now) - timedelta(days=8), 30, 1)
    intake_with(
        world,
        [{"opioid": "heroin", "last_use_at": (now - timedelta(days=2)).isoformat()}, {"opioid": "methadone"}],
        now - timedelta(hours=1),
    )
    nine = ("pulse", "sweating", "pupils", "aches", "nose_eyes", "gi_upset", "tremor", "yawning", "anxiety")
    submit_assessment(
        by=world.staff["nurse"],
        patient_id=alice.pk,
        instrument="cows",
        answers={**dict.fromkeys(nine, 2), "restlessness": 3, "gooseflesh": 3},
        filled_at=now - timedelta(minutes=10),
    )
    read = buprenorphine_readiness(alice, now)
    assert read.missing == ("last_use_time",), read.readiness and read.readiness.decision
