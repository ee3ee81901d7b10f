"""Review 19: appointment reminders after the person's episode of care ended."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from keel.patients.schemas import DischargeIn
from tests.review19.conftest import EVE_18H, book


@pytest.mark.parametrize("reason", ["deceased", "left"])
def test_no_appointment_reminder_goes_out_after_the_episode_of_care_ended(reminded: Any, reason: str) -> None:
    """Attack: Alice has a visit booked for 2027-03-10; on 2027-03-02 she is discharged (she died, or left
    care). Discharge stops her orders and take-home plans but leaves the visit scheduled, and the worker
    still emails her an appointment reminder with the clinic's stop link: after a death, the family reading
    her email or phone learn she was in treatment. Safe: no reminder for a person who is no longer in care
    (or discharge cancels the coming visits)."""
    from keel.appointments import services
    from keel.patients import services as patients

    book(reminded)
    with time_machine.travel(datetime(2027, 3, 2, 15, tzinfo=UTC), tick=False):
        patients.discharge(
            by=reminded.staff["prescriber"],
            patient_id=reminded.alice.pk,
            data=DischargeIn.posted({"reason": reason}),
        )
    assert services.send_due(now=EVE_18H) == 0
