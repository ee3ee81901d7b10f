"""Hole 2 (medium): buprenorphine the person has in hand (a pharmacy fill whose supply covers today) does
not count as buprenorphine for the window's "second opioid agonist" gate: methadone is given with no
prescriber's switch override, "within the program's limits"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.fills import record_fill
from tests.conftest import World
from tests.review36f._setup import order


def test_methadone_after_buprenorphine_filled_yesterday_needs_the_switch_override(world: World) -> None:
    alice, nurse, now = world.alice, world.staff["nurse"], timezone.now()
    bup = order(world, "buprenorphine", "16", now - timedelta(days=3), days_before=3)
    yesterday = local_today(alice, now) - timedelta(days=1)
    record_fill(
        by=nurse,
        patient_id=alice.pk,
        order_id=bup.pk,
        filled_on=yesterday.isoformat(),
        days_supply=7,
        source="pharmacy",
        now=now - timedelta(hours=2),
    )
    order(world, "methadone", "30", now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        record_dose(by=nurse, patient_id=alice.pk, amount_mg="30", medication="methadone", now=now)


def test_methadone_two_hours_after_reported_street_buprenorphine_needs_the_switch_override(
    world: World,
) -> None:
    """The same gate on a second opioid reported at check-in: buprenorphine used two hours ago (reported by
    the nurse), then methadone at the window."""
    from tests.review36f._setup import reported

    alice, now = world.alice, timezone.now()
    reported(world, "buprenorphine", now - timedelta(hours=2), now - timedelta(hours=1))
    order(world, "methadone", "30", now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="30", now=now)
