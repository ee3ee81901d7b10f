"""Hole 1: a person who died is counted as retained on medication after her death.

What the user did: a buprenorphine patient (office-based) picked up a 30-day pharmacy fill the day she was
admitted, 60 days ago; she died 10 days later and the desk ended her episode "Died". The director opened her
month's measures.
What happened: retention at 30 days counts her as retained (numerator 1): the fill's 30 days' supply is read
as 30 covered days although she died on day 10.
What should happen: no day after a recorded death is a day of medication; she is not retained at 30 days
(whether she is then a failure or left out of the denominator is the decision asked in HOLES.md).
"""

from __future__ import annotations

from typing import Any

from keel.patients.models import EndReason

from ._setup import episode, fill, order, person, report


def test_a_fill_does_not_retain_a_person_past_her_death(world: Any) -> None:
    p = person(world, "RV-DIED")
    episode(world, p, -60, ended=-50, reason=EndReason.DECEASED, kind="obot")
    fill(world, p, order(world, p, -60), -60, 30)
    assert report(world).measure("retention_30").numerator == 0
