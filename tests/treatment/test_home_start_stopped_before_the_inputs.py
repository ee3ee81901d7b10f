"""The person's home-start page after the clinic gave a dose today (or held one) says not to take a first
dose at home, before the times of last use or a withdrawal rating are in (session 20's look: the page asked
"Before your first dose, we need..." and showed the first-dose steps after a dose at the clinic)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.treatment.home_start_states import (
    home_start_order,
    methadone_this_morning,
    pinned_clock,  # noqa: F401 (the fixture: _clock)
)

pytestmark = pytest.mark.django_db


def _page(world: Any, lang: str = "en") -> str:
    client = sign_in(Client(), world.alice.user)
    return client.get("/me/home-start/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_before_any_rating_the_page_says_the_clinic_gave_a_dose(world: Any) -> None:
    home_start_order(world)
    methadone_this_morning(world)
    body = _page(world)
    assert "Your clinic already gave you a dose today" in body
    assert "Before your first dose, we need" not in body
    assert "Rate my withdrawal now" not in body
    assert "First dose: 8 mg under your tongue" not in body
    assert "For trouble breathing, call 911." in body


def test_in_spanish(world: Any) -> None:
    home_start_order(world)
    methadone_this_morning(world)
    body = _page(world, "es")
    assert "Su clínica ya le dio una dosis hoy" in body
    assert "Su plan de primera dosis no es para hoy" in body
    assert "Medir mi abstinencia ahora" not in body


def test_a_dose_held_at_the_clinic_says_so(world: Any) -> None:
    home_start_order(world)
    methadone_this_morning(world, sedated=True)
    body = _page(world)
    assert "Your clinic held your dose today" in body
    assert "Rate my withdrawal now" not in body


def test_without_a_clinic_dose_the_page_still_asks_for_a_rating(world: Any) -> None:
    home_start_order(world)
    body = _page(world)
    assert "Before your first dose, we need" in body
    assert "Rate my withdrawal now" in body
    assert "First dose: 8 mg under your tongue" in body
