"""Review 32d hole 3: a weekend run of four bottles went home three days ago; that dose is corrected down to
40 mg today (the take-back from today: today's and tomorrow's bottles at home, called back). Nobody brings
them in. Two days later the same dose is corrected to 60 mg (still too low for the 80 mg bottles): the end is
said again from the record (`reword._from_record`), finds no bottle at home from that day on (their days are
gone) and falls to the "none at home" words: the record page and the API now say the bottles "were brought
back", though no bottle was ever recorded brought back (`returned_days` empty)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from keel.treatment.models import TakeHomePlan
from tests.conftest import World
from tests.factories import corrected, handed_out_today
from tests.review32d._setup import four_bottles_home_three_days_ago


def _down_then_again_two_days_later(world: World) -> TakeHomePlan:
    """80 mg three days ago, four bottles home; corrected to 40 mg today, to 60 mg two days later. Plan."""
    plan, dose, _today = four_bottles_home_three_days_ago(world)
    corrected(world, dose, corrected_mg="40")
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=True):
        corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan


def test_no_bottle_was_recorded_brought_back(world: World) -> None:
    plan = _down_then_again_two_days_later(world)
    assert not plan.returned_days


def test_end_never_says_brought_back_when_none_came_back(world: World) -> None:
    plan = _down_then_again_two_days_later(world)
    assert "were brought back" not in plan.end_reason


def _kept_back_at_home_then_again_three_days_later(world: World) -> TakeHomePlan:
    """The keep back's twin: today 80 mg at the window, two bottles home; corrected to 40 mg today (kept
    back, bottles at home, called back); three days later corrected to 60 mg. The plan."""
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=True):
        corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan


def test_kept_back_end_never_says_not_handed_out_of_bottles_that_left(world: World) -> None:
    plan = _kept_back_at_home_then_again_three_days_later(world)
    assert "were not handed out" not in plan.end_reason
