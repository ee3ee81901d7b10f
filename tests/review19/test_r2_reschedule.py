"""Review 19: an appointment moved after its reminder went out, then moved back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.review19.conftest import EVE_18H, book


def test_moving_an_appointment_back_to_its_first_time_reminds_the_person_of_that_time(reminded: Any) -> None:
    """Attack: the day-before reminder says 9:30; the desk moves the visit to 11:00 (a reminder says 11
    a.m.), then moves it back to 9:30 the same evening. The send row for (appointment, day_before, 9:30)
    already exists, so no reminder goes out for the move back: the last message the person holds says
    11 a.m. and they arrive 90 minutes late. Safe: the latest reminder always matches the current time
    (a reminder for 9:30 goes out again after the move back)."""
    from keel.appointments import services

    visit = book(reminded)
    services.send_due(now=EVE_18H)
    for start, end, minutes in (("11:00", "12:00", 10), ("09:30", "10:30", 20)):
        services.reschedule(
            by=reminded.staff["nurse"],
            patient_id=reminded.alice.pk,
            appointment_id=visit.pk,
            day="2027-03-10",
            start=start,
            end=end,
            now=EVE_18H + timedelta(minutes=minutes - 5),
        )
        services.send_due(now=EVE_18H + timedelta(minutes=minutes))
    last = reminded.box.body(reminded.box.messages[-1])
    assert "9:30" in last
