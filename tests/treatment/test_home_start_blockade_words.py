"""Session 37's look at the home start inside an XR-naltrexone blockade (lane fix36i's refusal): the person's
own page says the blockade's facts in plain words, never the staff's ("switch override", "XR-naltrexone"); the
API keeps the rule's reasons as a machine reads them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.treatment.readiness import home_start
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.review36f._setup import injected

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _home_start_inside_a_blockade(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=6))
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        home_start=True,
        now=now - timedelta(hours=1),
    )


def _page(world: World, language: str = "en") -> str:
    client = sign_in(Client(), world.alice.user)
    return client.get("/me/home-start/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_her_page_says_the_shot_blocks_opioids_in_plain_words(world: World) -> None:
    _home_start_inside_a_blockade(world)
    assert "You had a naltrexone shot on" in _page(world)


def test_her_page_says_to_wait_for_her_prescriber(world: World) -> None:
    _home_start_inside_a_blockade(world)
    assert "until your prescriber decides it with you" in _page(world)


@pytest.mark.parametrize("staff_words", ["switch override", "XR-naltrexone", "a prescriber records"])
def test_her_page_has_no_staff_words(world: World, staff_words: str) -> None:
    _home_start_inside_a_blockade(world)
    assert staff_words not in _page(world)


def test_her_page_in_spanish(world: World) -> None:
    _home_start_inside_a_blockade(world)
    assert "Usted recibió una inyección de naltrexona el" in _page(world, "es")


def test_the_api_keeps_the_rules_reasons(world: World) -> None:
    _home_start_inside_a_blockade(world)
    reasons = home_start(world.alice.user, timezone.now()).decision.reasons  # type: ignore[union-attr]
    assert "switch override" in reasons[-1].text
