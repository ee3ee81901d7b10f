"""re37n finding 4 (clinical over-block, fix37h regression): a low-dose start given at the window (no
pharmacy fill). Her day-1 step (0.5 mg) given here two hours ago; the counselor's intake an hour later
records her answer "buprenorphine: this morning" (a few minutes before the step's recorded time). Before
fix37h the dose given here hid the told time; now `LastUses.told` reads it as a use elsewhere, so the low-dose
exemption (`low_dose = not elsewhere or planned`) is lost and methadone needs a switch override, though the
only buprenorphine she had is the schedule's step given here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import Intake
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.review36f._setup import order
from tests.treatment.test_switching_fix37c import STEPS, _methadone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_her_step_given_here_told_again_at_an_intake_keeps_the_low_dose_exemption(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        schedule=STEPS,
        now=now - timedelta(hours=5),
        starts_on=today,
    )
    given_on(world, bup, today, 0.5, 1, at=now - timedelta(hours=2))  # day 1's step, here
    Intake.objects.create(  # her answer at the intake: buprenorphine "this morning", minutes before the step
        patient=world.alice,
        values={"opioids": [{"opioid": "buprenorphine", "last_use_at": (now - timedelta(hours=2, minutes=5)).isoformat()}]},
        overdose_risk={},
        recorded_by=world.staff["counselor"],
        recorded_at=now - timedelta(hours=1),
    )
    order(world, "methadone", "30", now - timedelta(hours=1))
    try:
        _methadone(world, now)
    except DoseBlocked as blocked:
        pytest.fail(f"the step given here, told again, refused as a second agonist elsewhere: {blocked}")
