"""rev39d hole 1: a QuestionnaireResponse import whose `contained` (its subject a `#p` reference), a
contained Patient's `identifier` or `name.given`, or a Bundle's `entry` is a number where FHIR has an
array (a sender's shape mistake) is a 500 (TypeError iterating it), not a 4xx naming what is wrong.
House rule: bad input is a 422 naming the field, never a 500; brief: bad payloads are 4xx, never 500.
Nothing may be filed."""

from __future__ import annotations

from typing import Any

import pytest

from keel.assessments.models import Assessment
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev39d._imports import post, prescriber, response


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def _contained_patient(**patient: Any) -> dict[str, Any]:
    her = {"resourceType": "Patient", "id": "p", "birthDate": "1990-05-17", **patient}
    return response(contained=[her], subject={"reference": "#p"})


SHAPES = {
    "contained a number": response(contained=1, subject={"reference": "#p"}),
    "contained Patient identifier a number": _contained_patient(
        identifier=1, name=[{"family": "Zamorano", "given": ["Alicia"]}]
    ),
    "contained Patient given a number": _contained_patient(name=[{"family": "Zamorano", "given": 5}]),
    "Bundle entry a number": {"resourceType": "Bundle", "type": "collection", "entry": 5},
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_list_sent_as_something_else_is_a_4xx_and_files_nothing(world: Any, shape: str) -> None:
    answer = post(prescriber(world), world, SHAPES[shape])
    assert 400 <= answer.status_code < 500, (shape, answer.status_code)
    assert not Assessment.objects.filter(patient=world.alice).exists()
