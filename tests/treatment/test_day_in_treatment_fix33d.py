"""Lane fix33d (review 33c hole 3): the medication page says one day in treatment, the program's count
(`episodes.counted_day` with `admission_day_number`): the status line, the dose list and the take-home
review agree whether the first dose day is day 0 (the default) or day 1."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from keel.core import episodes
from keel.treatment.services.policy import set_value
from tests.conftest import World
from tests.review33c._setup import three_observed_days

pytestmark = pytest.mark.django_db


def _page(world: World, signed_in: Callable[[str], Client]) -> str:
    three_observed_days(world)
    url = reverse("treatment:medication", args=[world.alice.pk])
    return signed_in("prescriber").get(url).content.decode()


def _day_one(world: World) -> None:
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="take-home-eligibility",
        field="admission_day_number",
        value=1,
        reason="program decision after the medical director's review",
    )


def _counts(html: str) -> tuple[str, str]:
    status = re.search(r"treatment day (\d+)", html)
    take_home = re.search(r"Day (\d+) in treatment", html)
    assert status and take_home
    return status.group(1), take_home.group(1)


def test_by_default_the_first_dose_day_is_day_zero(world: World, signed_in: Callable[[str], Client]) -> None:
    assert _counts(_page(world, signed_in)) == ("3", "3")


def test_a_program_counting_from_day_one_says_so_everywhere(
    world: World, signed_in: Callable[[str], Client]
) -> None:
    _day_one(world)
    assert _counts(_page(world, signed_in)) == ("4", "4")


def test_the_dose_list_counts_the_same_way(world: World, signed_in: Callable[[str], Client]) -> None:
    """The oldest dose (the episode's first) is day 0 by default, the newest (yesterday) day 2."""
    html = _page(world, signed_in)
    assert {int(n) for n in re.findall(r"\(day (\d+)\)", html)} == {0, 1, 2}


def test_the_core_count_is_the_take_home_count() -> None:
    from datetime import date, timedelta

    first = date.today() - timedelta(days=5)
    for number in (0, 1):
        today = first + timedelta(days=5)
        shown = episodes.counted_day(episodes.treatment_day(first, today), number)
        assert shown == episodes.days_in_treatment(first, today, number)
