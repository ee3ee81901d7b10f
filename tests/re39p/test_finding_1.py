"""Finding 1 (re39p): the struck result's score reaches her through the flag text on the care team's pages
her own session opens (/patients/<her id>/ and its timeline). Her own views withhold everything of a result
struck as entered in error (`queries.withheld_from_her`, lane fix38d: most often another person's screen)."""

from typing import Any

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.re39p._world import corrected_and_struck, her_session


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.parametrize("page", ["/patients/{pk}/", "/patients/{pk}/timeline/"])
def test_struck_result_score_never_reaches_her_through_a_flag(world: Any, page: str) -> None:
    corrected_and_struck(world)
    r = her_session(world).get(page.format(pk=world.alice.pk))
    body = r.content.decode()
    assert "20 of 27" not in body  # the struck result's total
    assert (
        "Question 9 (thoughts of death or self-harm) was answered above 0" not in body or r.status_code != 200
    )
