"""Issue #19, review 19: discharge cancels the person's coming appointments (each audited), past ones keep
their status, and the worker sends no appointment reminder to someone no longer in care, not even a retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from keel.appointments import services
from keel.appointments.models import Appointment, AppointmentSend, Slot, Status
from keel.audit.models import AuditEvent
from keel.patients import services as patients
from keel.patients.schemas import DischargeIn
from keel.reminders.models import SendStatus
from tests.review19.conftest import BOOKED_AT, EVE_18H, book

pytestmark = pytest.mark.django_db
DISCHARGED_AT = datetime(2027, 3, 2, 15, tzinfo=UTC)


@pytest.fixture
def reminded(world: Any, smtp_server: Any, settings: Any) -> Any:
    """Alice (email address on file) chose appointment reminders by email the day before at 18:00."""
    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    world.alice.user.email = "alice@example.org"
    world.alice.user.save(update_fields=["email"])
    world.box = smtp_server
    world.choice = services.choose_reminders(world.alice.user, channel="email", day_before_at="18:00")
    return world


def _discharge(world: Any) -> None:
    with time_machine.travel(DISCHARGED_AT, tick=False):
        patients.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )


def test_discharge_cancels_the_coming_appointment(reminded: Any) -> None:
    visit = book(reminded)
    _discharge(reminded)
    visit.refresh_from_db()
    assert visit.status == Status.CANCELLED


def test_the_cancellation_is_audited_as_part_of_the_discharge(reminded: Any) -> None:
    visit = book(reminded)
    _discharge(reminded)
    event = AuditEvent.objects.get(target_type="appointment", target_id=str(visit.pk), reason="discharged")
    assert event.actor_id == reminded.staff["prescriber"].pk


def test_a_past_visit_keeps_its_status(reminded: Any) -> None:
    past = book(reminded, day="2027-03-01", start="14:00", end="15:00", now=BOOKED_AT - timedelta(days=1))
    book(reminded)
    _discharge(reminded)
    past.refresh_from_db()
    assert past.status == Status.SCHEDULED


def test_another_persons_visit_is_untouched(reminded: Any) -> None:
    bobs = book(reminded, patient_id=reminded.bob.pk, by=reminded.staff["program_admin"])
    _discharge(reminded)
    bobs.refresh_from_db()
    assert bobs.status == Status.SCHEDULED


def test_no_reminder_of_a_visit_left_scheduled_after_the_episode_ended(reminded: Any) -> None:
    """A visit that is still scheduled (e.g. set back to scheduled by hand) sends nothing while the person
    has no active episode."""
    visit = book(reminded)
    _discharge(reminded)
    Appointment.objects.filter(pk=visit.pk).update(status=Status.SCHEDULED)
    assert services.send_due(now=EVE_18H) == 0


def test_a_pending_retry_stops_after_discharge(reminded: Any) -> None:
    visit = book(reminded)
    row = AppointmentSend.objects.create(
        appointment=visit,
        slot=Slot.DAY_BEFORE_SLOT,
        starts_at=visit.starts_at,
        channel="email",
        status=SendStatus.RETRYING,
        attempts=1,
        sent_at=EVE_18H,
        next_try_at=EVE_18H,
    )
    _discharge(reminded)
    Appointment.objects.filter(pk=visit.pk).update(status=Status.SCHEDULED)
    services.send_due(now=EVE_18H + timedelta(minutes=5))
    row.refresh_from_db()
    assert row.status == SendStatus.STOPPED


def test_a_pending_retry_stops_once_the_account_is_deactivated(reminded: Any) -> None:
    visit = book(reminded)
    row = AppointmentSend.objects.create(
        appointment=visit,
        slot=Slot.DAY_BEFORE_SLOT,
        starts_at=visit.starts_at,
        channel="email",
        status=SendStatus.RETRYING,
        attempts=1,
        sent_at=EVE_18H,
        next_try_at=EVE_18H,
    )
    reminded.alice.user.is_active = False
    reminded.alice.user.save(update_fields=["is_active"])
    services.send_due(now=EVE_18H + timedelta(minutes=5))
    row.refresh_from_db()
    assert row.status == SendStatus.STOPPED


def test_the_account_link_leads_to_my_appointments(reminded: Any) -> None:
    book(reminded)
    services.send_due(now=EVE_18H)
    body = reminded.box.body(reminded.box.messages[-1])
    assert "https://clinic.example/accounts/login/?next=/me/appointments/" in body
