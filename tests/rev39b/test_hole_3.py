"""rev39b hole 3: the flags a struck result raised reach the person herself by her own id
(`GET /api/v1/patients/<id>/flags`), with the struck screen's total, band and item 9 in their reasons. Lane
fix38d (review 38d hole 4) withholds a struck result from her own copy, its "reasons or flags" named
(`assessments.queries.withheld_from_her`); the flags list is another route to the same result.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev39b.test_hole_1 import _struck_screen
from tests.rev39b.test_hole_2 import STRUCK_WORDS


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def test_her_flags_by_the_api_do_not_show_her_a_struck_result(world: Any) -> None:
    _struck_screen(world)
    response = sign_in(Client(), world.alice.user).get(f"/api/v1/patients/{world.alice.pk}/flags")
    assert response.status_code in (200, 404)
    body = response.content.decode()
    assert [w for w in STRUCK_WORDS if w in body] == []
