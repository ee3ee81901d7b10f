"""Hole 3: one page, two "days in treatment" for the same person on the same day.

The prescriber's medication page says "Methadone: treatment day 4" (`DoseContext.treatment_day`,
`keel.core.episodes.treatment_day`: the first dose day is day 1) and, a few lines below, "Day 3 in treatment
(counted from the first methadone dose of this episode)" (`take_home_days_in_treatment`,
`episodes.days_in_treatment` with the policy `admission_day_number`, default 0). Both count from the same
first dose. Reference correction 9: whether that day is day 0 or day 1 is program policy, "and every screen
shows the same count". The take-home ladder's 14/30-day steps hang on this number; the prescriber reading
"treatment day 15" is told by the same page that the rule sees day 14.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from tests.review33c._setup import three_observed_days

pytestmark = pytest.mark.django_db


def _page(world: World, signed_in: Callable[[str], Client]) -> str:
    three_observed_days(world)
    url = reverse("treatment:medication", args=[world.alice.pk])
    return signed_in("prescriber").get(url).content.decode()


def test_control_both_counts_are_on_the_page(world: World, signed_in: Callable[[str], Client]) -> None:
    html = _page(world, signed_in)
    assert re.search(r"treatment day (\d+)", html) and re.search(r"Day (\d+) in treatment", html)


def test_the_page_says_one_day_in_treatment(world: World, signed_in: Callable[[str], Client]) -> None:
    html = _page(world, signed_in)
    status_line = re.search(r"treatment day (\d+)", html)
    take_home_line = re.search(r"Day (\d+) in treatment", html)
    assert status_line and take_home_line
    assert status_line.group(1) == take_home_line.group(1)
