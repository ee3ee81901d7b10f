"""Review 19: bad input to the appointment and reminder-choice writes (422 naming the field, never a 500,
never a silent default)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import sign_in
from tests.review19.conftest import BOOKED_AT


def test_a_reminder_time_with_a_utc_offset_is_refused_naming_the_field_on_the_api(world: Any) -> None:
    """Attack: PUT /api/v1/me/appointment-reminders with day_before_at "18:00+05:00" (time.fromisoformat
    accepts an offset). SQLite refuses an aware time in a TimeField: ValueError, a 500; PostgreSQL drops
    the offset silently. Safe: 422 naming day_before_at."""
    client = sign_in(Client(), world.alice.user)
    client.raise_request_exception = False
    response = client.put(
        "/api/v1/me/appointment-reminders",
        {"channel": "email", "day_before_at": "18:00+05:00"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "day_before_at"


def test_a_reminder_time_with_a_utc_offset_is_refused_on_the_page(world: Any) -> None:
    """Attack: the same time with an offset posted to the "My appointments" form. Safe: the form answers 422
    with the field's problem, not a server error."""
    client = sign_in(Client(), world.alice.user)
    client.raise_request_exception = False
    response = client.post(
        "/me/appointments/", {"channel": "email", "day_before": "on", "day_before_at": "18:00Z"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize("start", ["09:30+05:00", "09:30Z"])
def test_a_start_time_with_a_utc_offset_is_refused_not_read_as_a_local_time(world: Any, start: str) -> None:
    """Attack: the API is given start "09:30Z" (a client meaning 09:30 UTC, 04:30 in New York). The service
    drops the offset and books 09:30 New York time, five hours off, without a word. Safe: 422 naming start
    (the API takes local wall-clock times only)."""
    with time_machine.travel(BOOKED_AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/appointments",
            {"date": "2027-03-10", "start": start, "end": "10:30", "kind": "counseling"},
            content_type="application/json",
        )
    assert response.status_code == 422


def test_choosing_text_message_reminders_when_the_clinic_has_no_text_messages_is_refused(
    world: Any, settings: Any
) -> None:
    """Attack: the clinic has not configured text messages (KEEL_SMS_BACKEND empty), yet the page offers
    "Text message" and the service accepts it; every reminder is then recorded as no_address and the
    person, who believes reminders are on, gets none. Safe: 422 naming channel (or the choice not
    offered)."""
    from keel.appointments import services

    settings.KEEL_SMS_BACKEND = ""
    world.alice.phone = "+15555550100"
    world.alice.save(update_fields=["phone"])
    with pytest.raises(services.AppointmentInvalid) as refused:
        services.choose_reminders(world.alice.user, channel="sms", day_before_at="18:00")
    assert refused.value.errors[0].field == "channel"


def test_choosing_email_reminders_without_an_email_address_is_refused(world: Any) -> None:
    """Attack: Alice's account has no email address; she chooses email reminders and is told "Saved.".
    Nothing will ever reach her (each send is recorded no_address). Safe: 422 naming channel."""
    from keel.appointments import services

    world.alice.user.email = ""
    world.alice.user.save(update_fields=["email"])
    with pytest.raises(services.AppointmentInvalid) as refused:
        services.choose_reminders(world.alice.user, channel="email", day_before_at="18:00")
    assert refused.value.errors[0].field == "channel"
