"""A refusal's reasons in one passage (issue #13): a next step several reasons share is said once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.core.decision import Reason
from keel.treatment.words import reasons_text
from tests.conftest import sign_in
from tests.review13d.common import at, order

THEN = "Needs a prescriber's override for today, with a reason."
D = date(2026, 11, 2)


def _over(what: str, then: str = THEN) -> Reason:
    return Reason.said("%(what)s is over its limit. %(then)s", ("src",), what=what, then=then)


def test_a_shared_next_step_is_said_once() -> None:
    assert reasons_text([_over("The dose"), _over("The day's total")]).count(THEN) == 1


def test_the_shared_next_step_comes_last() -> None:
    assert reasons_text([_over("The dose"), _over("The day's total")]).endswith(THEN)


def test_each_reason_is_kept() -> None:
    said = reasons_text([_over("The dose"), _over("The day's total")])
    assert "The dose is over" in said
    assert "The day's total is over" in said


def test_different_next_steps_are_each_said() -> None:
    other = "A prescriber documented a reason (logged)."
    assert reasons_text([_over("The dose", other), _over("The day's total")]).count(other) == 1


def test_a_reason_without_a_next_step_is_unchanged() -> None:
    plain = Reason.said("No order is active for %(what)s.", ("src",), what="methadone")
    assert reasons_text([plain]) == "No order is active for methadone."


@pytest.mark.django_db
def test_the_refused_row_says_the_override_once(world: Any) -> None:
    """Day one of methadone, 60 mg typed: over the first dose and the day's total, one sentence to act on."""
    order(world, "methadone", "30", at(D, 8))
    with time_machine.travel(at(D, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "60", "medication": "methadone", "sequence": "1"},
            HTTP_HX_REQUEST="true",
        )
    body = response.content.decode()
    assert body.count("Needs a prescriber") == 1, body
