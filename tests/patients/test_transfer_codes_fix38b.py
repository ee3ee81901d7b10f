"""Lane fix38b item 2: a transfer ("transferred", `episodes.discharge`) is a disclosure to the receiving
program under consent and the end of the episode; the record stays in its program and no one leaves its care
team. So every code given for her stays given by someone who may still give it
(`policy.may_still_give_code_for`), the rule that voids a code on every path that takes that away
(`issued_codes.void_codes_issued_by`). These tests pin that premise: should a transfer ever move the record or
its team, they fail and the voiding must follow it."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from keel.access import policy
from keel.patients.models import CareTeamMember, Patient
from tests.accounts.test_leaver_codes_fix37e import _issue, _works
from tests.conftest import World
from tests.patients.test_transfer_disclosure import NOW, _consent, _transfer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _transferred_after_a_code(world: World) -> str:
    code = _issue("reset", world.staff["nurse"], world.alice)
    response = _transfer(world, consent=_consent(world))
    assert response.status_code == 200, response.content
    return code


def test_a_transfer_keeps_the_record_in_its_program(world: World) -> None:
    _transferred_after_a_code(world)
    assert Patient.objects.get(pk=world.alice.pk).program_id == world.riverside.pk


def test_a_transfer_keeps_the_giver_on_the_care_team(world: World) -> None:
    _transferred_after_a_code(world)
    assert CareTeamMember.objects.filter(patient=world.alice, user=world.staff["nurse"]).exists()


def test_after_a_transfer_the_giver_may_still_give_her_a_code(world: World) -> None:
    _transferred_after_a_code(world)
    assert policy.may_still_give_code_for(world.staff["nurse"], Patient.objects.get(pk=world.alice.pk))


def test_after_a_transfer_the_code_she_was_given_still_works(world: World) -> None:
    code = _transferred_after_a_code(world)
    assert _works("reset", code, world)
