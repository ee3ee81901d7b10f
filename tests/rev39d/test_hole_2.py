"""rev39d hole 2: a QuestionnaireResponse import `authored` "0001-01-01T00:00:00+14:00" (a date and time
with its zone, the earliest day; an EHR's "unknown" placeholder date with its local offset) is a 500
(OverflowError taking it to the program's day), not the 422 naming `authored` that any other date before
her birth gets (review 33d H4: answers outside the person's life are not hers). House rule: bad input is a
422 naming the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from keel.assessments.models import Assessment
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev39d._imports import post, prescriber, response


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.parametrize("authored", ["0001-01-01T00:00:00+14:00", "0001-01-01T05:00:00+10:00"])
def test_authored_on_the_first_day_of_year_one_is_a_422_naming_authored(world: Any, authored: str) -> None:
    answer = post(prescriber(world), world, response(authored=authored))
    assert answer.status_code == 422, answer.status_code
    assert "authored" in [e["field"] for e in answer.json()["errors"]]
    assert not Assessment.objects.filter(patient=world.alice).exists()


def test_a_day_before_her_birth_is_the_same_422(world: Any) -> None:
    """The guard the overflow walks around, holding for an ordinary date before her birth."""
    answer = post(prescriber(world), world, response(authored="1900-01-01T00:00:00+14:00"))
    assert answer.status_code == 422
    assert "authored" in [e["field"] for e in answer.json()["errors"]]
