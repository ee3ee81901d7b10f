"""re37m finding 1: a street (reported) buprenorphine use within the switch hours is hidden by a later
low-dose pharmacy fill: the gate reads only the latest buprenorphine use (the fill, in hand through now), so
methadone passes as the 'planned overlap' though an ordinary full-dose buprenorphine was taken hours ago."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.last_use import record_last_use
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.treatment.test_switching_fix37c import _filled, _methadone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_reported_street_buprenorphine_use_beside_a_low_dose_fill_needs_the_switch_override(
    world: World,
) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    record_last_use(  # she says she took a street 8 mg strip three hours ago
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        raw={"opioids": [{"opioid": "buprenorphine", "last_use_at": (now - timedelta(hours=3)).isoformat()}]},
        now=now - timedelta(minutes=30),
    )
    with pytest.raises(DoseBlocked):
        _methadone(world, now)
