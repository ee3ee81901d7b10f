"""Lane fix36a (review 35h hole 3): "Days from intake to first dose" reads each admission to medication
against the care period it opened, never a counseling episode of the same day: a counseling admission made
by mistake and ended the same day, then an admission to office-based buprenorphine, is no medication
admission "left without a first dose"."""

from __future__ import annotations

from typing import Any

from keel.patients.models import EndReason
from tests.review35c._setup import episode, fill, order, person, report


def _counseling_then_obot(world: Any, mrn: str) -> Any:
    p = person(world, mrn)
    episode(world, p, -20, ended=-20, reason=EndReason.OTHER, kind="counseling")  # admitted by mistake
    episode(world, p, -20, kind="obot")
    return p


def test_the_medication_admission_after_a_same_day_counseling_episode_started(world: Any) -> None:
    p = _counseling_then_obot(world, "RV-COUNSEL")
    fill(world, p, order(world, p, -20), -18, 18)  # her first buprenorphine, 2 days after intake
    assert report(world).measure("intake_to_first_dose").numerator == 1


def test_it_counts_the_days_from_the_medication_admission(world: Any) -> None:
    p = _counseling_then_obot(world, "RV-COUNSEL")
    fill(world, p, order(world, p, -20), -18, 18)
    assert report(world).measure("intake_to_first_dose").value == 2


def test_without_a_first_dose_she_is_still_waiting_not_never_started(world: Any) -> None:
    _counseling_then_obot(world, "RV-COUNSEL")
    assert report(world).measure("intake_to_first_dose").pending == 1
