"""Review 19: closing an appointment (attended, missed) and a send interrupted mid-way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest

from tests.review19.conftest import BOOKED_AT, EVE_18H, book


@pytest.mark.parametrize("status", ["attended", "missed"])
def test_a_visit_that_has_not_begun_cannot_be_marked_attended_or_missed(reminded: Any, status: str) -> None:
    """Attack: on 2027-03-01 the nurse marks Alice's visit of 2027-03-10 attended (or missed). The service
    accepts any status at any time, so the record says she came to (or missed) a visit that has not
    happened, and the missed-visit count a clinician reads is wrong. Safe: 422 naming status until the
    visit has begun."""
    from keel.appointments import services

    visit = book(reminded)
    with pytest.raises(services.AppointmentInvalid) as refused:
        services.set_status(
            by=reminded.staff["nurse"],
            patient_id=reminded.alice.pk,
            appointment_id=visit.pk,
            status=status,
            now=BOOKED_AT + timedelta(hours=1),
        )
    assert refused.value.errors[0].field == "status"


def test_a_reminder_whose_worker_stopped_mid_send_is_tried_again(reminded: Any) -> None:
    """Attack: the worker is stopped (SystemExit from a restart) while sending a reminder, after it
    inserted the (appointment, slot, start) row as "sending". `_attempt` catches Exception only, so the row
    stays "sending" for ever: no retry, no report, and the person gets no reminder. Safe: a send left
    "sending" for a while is retried (or reported) within the late window."""
    from keel.appointments import services
    from keel.reminders import channels

    book(reminded)
    with mock.patch.object(channels, "send_email", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=EVE_18H)
    later = [services.send_due(now=EVE_18H + timedelta(minutes=m)) for m in (5, 15, 30, 60)]
    assert sum(later) == 1


def test_a_cancelled_visit_cannot_be_scheduled_again_after_its_time_has_passed(reminded: Any) -> None:
    """Attack: two days after a cancelled visit's time, the nurse sets it back to "scheduled". The service
    accepts it: a visit in the past now reads as scheduled (neither attended nor missed), and the list of
    the person's visits shows a booking that never can happen. Safe: 422 naming status (book a new visit
    instead)."""
    from keel.appointments import services

    visit = book(reminded)
    services.set_status(
        by=reminded.staff["nurse"],
        patient_id=reminded.alice.pk,
        appointment_id=visit.pk,
        status="cancelled",
        now=BOOKED_AT,
    )
    with pytest.raises(services.AppointmentInvalid) as refused:
        services.set_status(
            by=reminded.staff["nurse"],
            patient_id=reminded.alice.pk,
            appointment_id=visit.pk,
            status="scheduled",
            now=visit.starts_at + timedelta(days=2),
        )
    assert refused.value.errors[0].field == "status"
