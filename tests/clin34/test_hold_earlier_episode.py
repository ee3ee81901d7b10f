"""Lane clin34, 3: a hold from a closed episode stands after a readmission (a prescriber must release it), and
the refusal at the window and the API says when it was held: "held on <day> during an earlier episode"; the
day in the reader's words on the page, English and Spanish; nothing said for a hold of this episode."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client

from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.patients.services.episodes import discharge, readmit
from keel.treatment import services
from tests.conftest import World, sign_in
from tests.treatment.test_window_guards import NOON, api, blocked, give, order

EARLIER = "during an earlier episode of care; a prescriber must release it"


def _held_then_readmitted(world: World) -> None:
    """Held (sedated) on Nov. 25, discharged that day, readmitted two days later with a new order."""
    order(world, mg=30)
    give(world, day=-1, amount_mg="30")
    give(world, sedated=True)
    prescriber = world.staff["prescriber"]
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        discharge(by=prescriber, patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"}))
    with time_machine.travel(NOON + timedelta(days=2), tick=False):
        readmit(
            by=prescriber,
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
        services.prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg=30)


def _refusal(world: World, day: int = 2) -> str:
    with time_machine.travel(NOON + timedelta(days=day), tick=False):
        try:
            services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
        except services.DoseBlocked as exc:
            return str(exc)
    raise AssertionError("not refused")


def test_the_hold_still_stands_after_a_readmission(world: World) -> None:
    _held_then_readmitted(world)
    assert blocked(give, world, day=2, amount_mg="30") == "held_earlier"


def test_the_refusal_says_when_and_that_it_was_an_earlier_episode(world: World) -> None:
    _held_then_readmitted(world)
    assert f"Held on 2026-11-25 {EARLIER}" in _refusal(world)


def test_a_hold_of_this_episode_says_nothing_of_an_earlier_one(world: World) -> None:
    order(world, mg=30)
    give(world, day=-1, amount_mg="30")
    give(world, sedated=True)
    assert "earlier episode" not in _refusal(world, day=1)


def test_the_api_says_so(world: World) -> None:
    _held_then_readmitted(world)
    body: dict[str, Any] = {"amount_mg": "30", "medication": "methadone", "sequence": 1}
    response = api(world, "nurse", "doses", body, at=NOON + timedelta(days=2))
    assert response.status_code == 409 and EARLIER in response.content.decode()


def _window(world: World, language: str = "en") -> str:
    with time_machine.travel(NOON + timedelta(days=2), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.cookies["django_language"] = language
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "30", "medication": "methadone", "sequence": "1"},
            HTTP_ACCEPT_LANGUAGE=language,
            HTTP_HX_REQUEST="true",
        )
    return response.content.decode()


def test_the_window_says_the_day_in_words(world: World) -> None:
    _held_then_readmitted(world)
    page = _window(world)
    assert f"Held on Nov. 25, 2026 {EARLIER}" in page and "2026-11-25" not in page


def test_the_window_says_it_in_spanish(world: World) -> None:
    _held_then_readmitted(world)
    page = _window(world, "es")
    assert "25 de noviembre de 2026" in page and "episodio de atención anterior" in page
