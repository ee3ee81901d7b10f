"""Hole 3: a readmission on the day the last episode ended is reported as "never started".

What the user did: a person in the methadone program (OTP) switched to office-based buprenorphine: the desk
ended the OTP episode 20 days ago and, the same day, admitted her to an OBOT episode (the readmission form
allows a start on the day the last episode ended). Her first buprenorphine fill was 2 days later; she is in
care today. The director opened "Days from intake to first dose".
What happened: the readmission is read against the care period that ended that day (`_care_left_on` takes the
first care period holding the admission day), so her fill "came after her care ended" and the admission is
counted as never started; the measure's started count (numerator) is 1, not 2.
What should happen: each admission is read against the care period it opened: the readmission started, 2 days
after intake (numerator 2).
"""

from __future__ import annotations

from typing import Any

from keel.patients.models import EndReason

from ._setup import episode, fill, order, person, report


def test_a_same_day_readmission_that_started_is_counted_as_started(world: Any) -> None:
    p = person(world, "RV-SWITCH")
    episode(world, p, -40, ended=-20, reason=EndReason.OTHER, kind="otp")
    episode(world, p, -20, kind="obot")
    rx = order(world, p, -40)
    fill(world, p, rx, -38, 18)  # covers days -38 .. -21
    fill(world, p, rx, -18, 18)  # covers -18 .. -1
    assert report(world).measure("intake_to_first_dose").numerator == 2
