"""rev39b hole 2: a result struck as entered in error is withheld from the person herself on every route of
her own copy (lane fix38d, review 38d hole 4; `assessments.queries.withheld_from_her`: "none of its answers,
total, band, reasons or flags reach her, for a strike is most often a filing on the wrong person"). Her
timeline, read by her own id (the page `patients/<id>/timeline/` and `GET /api/v1/patients/<id>/timeline`),
is another route to the same result: it shows her the struck screen's flag with its reasons, "Positive
suicide screen · PHQ-9 total 27 of 27: severe depression symptoms ... Question 9 (thoughts of death or
self-harm) was answered above 0", another person's answers told to her as hers.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev39b.test_hole_1 import _struck_screen


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


# What the struck screen said: its total and band, its item 9, and the flag it raised.
STRUCK_WORDS = ("27 of 27", "severe depression", "Question 9", "Positive suicide screen")


def _her_client(world: Any) -> Client:
    return sign_in(Client(), world.alice.user)


def test_her_timeline_page_does_not_show_her_a_struck_result(world: Any) -> None:
    _struck_screen(world)
    response = _her_client(world).get(f"/patients/{world.alice.pk}/timeline/")
    # 403 accepted by lane fixpriv39 with the integrator's permission (status only): a staff view refused to
    # her own account (ownapi39 for the API, fixpriv39 for the pages)
    assert response.status_code in (200, 403, 404)
    body = response.content.decode()
    assert [w for w in STRUCK_WORDS if w in body] == []


def test_her_timeline_by_the_api_does_not_show_her_a_struck_result(world: Any) -> None:
    _struck_screen(world)
    response = _her_client(world).get(f"/api/v1/patients/{world.alice.pk}/timeline")
    # 403 accepted by lane fixpriv39 with the integrator's permission (status only): a staff view refused to
    # her own account (ownapi39 for the API, fixpriv39 for the pages)
    assert response.status_code in (200, 403, 404)
    body = response.content.decode()
    assert [w for w in STRUCK_WORDS if w in body] == []
