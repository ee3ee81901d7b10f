"""Lane fix36c (review 35f, left): a dose given on both a limit override (the day's total) and an early
re-dose override (the interval) names both: `DoseRecord.override` the limit one as before and
`DoseRecord.redose_override` the early re-dose one, both in the dose's API answer (`DoseOut`). A re-dose
override that lifted nothing (the dose past the interval) is not named. Relative dates."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.test import Client

from keel.treatment.schemas.doses import DoseOut
from tests.conftest import World, sign_in
from tests.treatment.test_redose_override_meth35 import SPLIT, steady
from tests.treatment.test_titration_meth35 import at, give, override

pytestmark = pytest.mark.django_db


def _both(world: World) -> tuple[object, object, object]:
    """The lead's example: 30 mg at 09:00, 20 mg at 09:10 on a 50 mg limit override and a re-dose override."""
    today = steady(world)
    limit = override(world, at(world, today, 8), max_total_mg="50", reason=SPLIT)
    redose = override(world, at(world, today, 8, 5), kind="redose", reason=SPLIT)
    give(world, "30", at(world, today))
    return limit, redose, give(world, "20", at(world, today, 9, 10)).dose


def test_the_dose_names_the_limit_override(world: World) -> None:
    limit, _, dose = _both(world)
    assert dose.override_id == limit.pk  # type: ignore[attr-defined]


def test_the_dose_names_the_early_re_dose_override_too(world: World) -> None:
    _, redose, dose = _both(world)
    assert dose.redose_override_id == redose.pk  # type: ignore[attr-defined]


def test_the_doses_answer_carries_both(world: World) -> None:
    limit, redose, dose = _both(world)
    out = DoseOut.of(dose, 1)  # type: ignore[arg-type]
    assert (out.override_id, out.redose_override_id) == (limit.pk, redose.pk)  # type: ignore[attr-defined]


def test_the_api_answers_both(world: World) -> None:
    today = steady(world)
    limit = override(world, at(world, today, 8), max_total_mg="50", reason=SPLIT)
    redose = override(world, at(world, today, 8, 5), kind="redose", reason=SPLIT)
    give(world, "30", at(world, today))
    with time_machine.travel(at(world, today, 9, 10), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        body = {"medication": "methadone", "amount_mg": "20", "sequence": 2}
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses", json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 201, response.content[:300]
    assert (response.json()["override_id"], response.json()["redose_override_id"]) == (limit.pk, redose.pk)


def test_a_re_dose_override_alone_is_named_in_both_places(world: World) -> None:
    today = steady(world)
    redose = override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    dose = give(world, "15", at(world, today, 9, 10)).dose
    assert (dose.override_id, dose.redose_override_id) == (redose.pk, redose.pk)


def test_a_re_dose_override_that_lifted_nothing_is_not_named(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), max_total_mg="50", reason=SPLIT)
    override(world, at(world, today, 8, 5), kind="redose", reason=SPLIT)
    give(world, "30", at(world, today, 8, 30))
    dose = give(world, "20", at(world, today, 15)).dose  # 6.5 hours later: past the interval
    assert dose.redose_override_id is None
