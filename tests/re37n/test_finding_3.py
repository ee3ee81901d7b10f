"""re37n finding 3 (words): since fix37h reads the use as told (`LastUses.told`), an ordinary buprenorphine
fill in hand beside an intake listing buprenorphine without a time is refused with UNKNOWN_TIME, whose remedy
is "...or the time of her last use is recorded". The nurse records it (two days ago) and methadone is still
refused: the fill in hand blocks it (rightly). Before fix37h the later fill won the merge and the refusal
named the fill (ELSEWHERE). The refusal should name the source that still blocks once the time is known."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from keel.core.rules.agonists import UNKNOWN_TIME
from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.treatment.test_low_dose_fill_fix37h import _intake, _told
from tests.treatment.test_switching_fix37c import _filled, _methadone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_fill_in_hand_is_not_refused_as_a_time_not_known(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=0, low_dose=False)  # buprenorphine 16 mg filled today for a week
    _intake(world, now, None)  # an hour ago: buprenorphine, time not known
    with pytest.raises(DoseBlocked) as first:
        _methadone(world, now)
    _told(world, now, hours_ago=48)  # the remedy the refusal gives: the time of her last use recorded
    with pytest.raises(DoseBlocked):
        _methadone(world, now)  # still refused (the fill in hand): right, but not what she was told
    assert UNKNOWN_TIME not in [r.template for r in first.value.decision.reasons], (
        "refused as 'time not known ... or the time of her last use is recorded' while a fill in hand blocks"
    )
