"""Hole 1: a prescriber's start override ("A first dose before the verdict is ready", "Allow up to this total
today": 2 mg) lets the nurse give more buprenorphine the same day, past that total, while the readiness
verdict still says wait. Methadone taken 30 h ago (the wait is 72 h) and heroin 14 h ago: the prescriber
allows a 2 mg test dose; two hours later the nurse records 6 mg more (day total 8 mg) and it is given
("allowed"): no readiness, no override covers 8 mg. Cause: `treatment.services.start._start_gate_read`
gates only the day's first dose (`ctx.given_today_mg == 0`), so the override's total is read for the first
dose alone; review 21x closed the same door for a low-dose step (`any_dose`), not for a start override."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from keel.treatment.services.common import DoseBlocked, DoseOutcome
from tests.conftest import World
from tests.review34c._setup import a_day, at, cows, dose, intake, order, override

pytestmark = pytest.mark.django_db


def _dose_on_override(world: World) -> tuple[DoseOutcome, datetime]:
    """Buprenorphine 8 mg written; the intake says methadone 30 h and heroin 14 h ago (not ready: 72 h for
    methadone); COWS 14; a start override up to 2 mg today; 2 mg given at 09:00. The first dose's outcome and
    the time two hours later (a fresh COWS 14 scored just before it)."""
    t = at(a_day(world), 9)
    order(world, "buprenorphine", "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14), methadone=t - timedelta(hours=30))
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication="buprenorphine", kind="start", mg="2")
    first = dose(world, "2", t, medication="buprenorphine")
    later = t + timedelta(hours=2)
    cows(world, later - timedelta(minutes=5))
    return first, later


def test_control_the_override_gives_the_2_mg_test_dose(world: World) -> None:
    first, _later = _dose_on_override(world)
    assert first.dose.amount_mg == 2


def test_control_without_the_override_the_first_dose_waits(world: World) -> None:
    t = at(a_day(world), 9)
    order(world, "buprenorphine", "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14), methadone=t - timedelta(hours=30))
    cows(world, t - timedelta(minutes=10))
    with pytest.raises(DoseBlocked):
        dose(world, "2", t, medication="buprenorphine")


def test_more_than_the_start_override_total_the_same_day_waits_for_readiness(world: World) -> None:
    _first, later = _dose_on_override(world)
    with pytest.raises(DoseBlocked):
        dose(world, "6", later, medication="buprenorphine")
