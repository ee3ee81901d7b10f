"""Hole 2: an admission to counseling only waits for a "first dose" forever.

What the user did: the desk admitted a person to a counseling episode (episode kind "Counseling", no
medication planned) 20 days ago. The director opened "Days from intake to first dose".
What happened: the counseling admission is in the measure's denominator, waiting for a first dose (pending);
once the episode ends it is counted as "never started: care ended before a first dose".
What should happen: the measure is the time from intake to medication; an episode of counseling care is not an
intake to medication and is not counted (neither waiting nor never started).
"""

from __future__ import annotations

from typing import Any

from ._setup import episode, person, report


def test_a_counseling_admission_is_not_waiting_for_a_first_dose(world: Any) -> None:
    p = person(world, "RV-CBT")
    episode(world, p, -20, kind="counseling")
    assert report(world).measure("intake_to_first_dose").denominator == 0
