"""Re-attack 39m: the control of finding 1 (passes): the window itself refuses 80 mg at 07:00 after 80 mg at
23:00 the evening before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.re39m._setup import dose, on_eighty
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_the_window_refuses_80_mg_at_07_00_after_80_mg_at_23_00(world: World) -> None:
    yesterday = days_ago(3)
    on_eighty(world, yesterday)
    dose(world, at(yesterday, 23))
    with pytest.raises(DoseBlocked):
        dose(world, at(yesterday + timedelta(days=1), 7))
