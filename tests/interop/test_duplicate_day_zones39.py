"""Lane zones39 (1): `keel interop duplicate-imports` says the day each filing was received on its
PROGRAM's clock (`patients.models.day_in`), not the server's (KEEL_TIME_ZONE, here UTC). The program is in
Pacific/Auckland: 12:30 UTC is already the next day there, in winter and in summer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keel.interop.models import ImportedResponse
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.interop.test_duplicate_imports_priv34 import _again, _filed, _run
from tests.interop.test_duplicate_imports_priv34 import at_0001 as at_0001  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)
AUCKLAND = "Pacific/Auckland"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.usefixtures("at_0001")
def test_a_filing_received_near_midnight_is_listed_on_the_programs_day(world: World, settings: Any) -> None:
    settings.TIME_ZONE = "UTC"
    world.riverside.time_zone = AUCKLAND
    world.riverside.save(update_fields=["time_zone"])
    first = _filed(world)
    day = timezone.now().astimezone(ZoneInfo("UTC")).date() - timedelta(days=1)
    late = datetime.combine(day, time(12, 30), tzinfo=ZoneInfo("UTC"))
    ImportedResponse.objects.filter(pk=first.pk).update(received_at=late)
    first.refresh_from_db()
    _again(first, minutes=5)
    there = late.astimezone(ZoneInfo(AUCKLAND)).date()
    assert there != day
    out = _run()
    assert out.count(f"received {there.isoformat()}") == 2, out
    assert f"received {day.isoformat()}" not in out
