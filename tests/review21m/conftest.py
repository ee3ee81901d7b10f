"""Review 21m's clock, for each of its modules: the last 17:00 UTC before now (noon or 13:00 in New York, the
same day), never in the future."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()
