"""The worker sends each due appointment reminder once (per appointment, slot and move), by the channels
of `keel.reminders`, with no health information."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import translation

from keel.appointments.models import Appointment, AppointmentSend, ReminderChoice, Status
from keel.appointments.services.reminder_choice import _address, _remindable, message_for
from keel.core.appointments import (
    due_slots,
)
from keel.reminders import channels, sending
from keel.reminders.models import Channel, SendStatus

logger = logging.getLogger("keel.appointments")
# The claim, the retries and the lease of the sends, shared with a person's own reminders.
SENDS = sending.Sends(model=AppointmentSend, noun="Appointment reminder", log_id="pk", logger=logger)

# How far ahead the worker looks: the day-before reminder of an appointment just after midnight can be due
# up to two days (and an hour, across a DST change) before it.
LOOKAHEAD = timedelta(days=3)


def send_due(*, now: datetime | None = None) -> int:
    """Send every due appointment reminder (keel.core.appointments.due_slots) of a scheduled appointment
    whose patient chose reminders, each once per (appointment, slot, version): the row is inserted before
    the message goes out, so two workers never send it twice. Then the sends whose worker stopped mid-send
    are counted as failed attempts, and the retries that are due go out. Returns how many went out. Each
    step reads the clock when it is made (`sending.clock`: the real time, or the fixed `now` a test passes);
    a claimed send is read again before it goes out (cancelled, moved, stopped meanwhile: not sent)."""
    start = sending.clock(now)
    sms = channels.sms_sender()
    sent = 0
    upcoming = (
        Appointment.objects.filter(
            status=Status.SCHEDULED,
            starts_at__gt=start,
            starts_at__lte=start + LOOKAHEAD,
            patient__appointment_reminders__isnull=False,
        )
        .filter(_remindable())
        .select_related("patient__program", "patient__user", "patient__appointment_reminders")
    )
    for appointment in upcoming:
        patient = appointment.patient
        choice = patient.appointment_reminders
        at = sending.clock(now)
        zone = sending.zone_or_skip(patient)
        if zone is None:
            continue
        slots = due_slots(
            appointment.starts_at,
            zone,
            at,
            day_before_at=choice.day_before_at,
            hours_before=choice.hours_before,
        )
        for slot in slots:
            if AppointmentSend.objects.filter(
                appointment=appointment, slot=slot, version=appointment.version
            ).exists():
                continue
            to = _address(choice, patient)
            usable = bool(to) and (choice.channel == Channel.EMAIL or sms is not None)
            row = SENDS.claim_new(
                usable=usable,
                now=sending.clock(now),
                appointment=appointment,
                slot=slot,
                starts_at=appointment.starts_at,
                version=appointment.version,
                channel=choice.channel,
            )
            if row is None:
                continue  # another worker has it
            if usable and _send_claimed(row.pk, sms, now):
                sent += 1
    SENDS.recover_lost(sending.clock(now))
    return sent + SENDS.retry_due(now, lambda row_id: _try_again(row_id, sms, now))


def _try_again(row_id: int, sms: channels.SmsSender | None, now: datetime | None) -> bool:
    """A claimed retry (see `_send_claimed`)."""
    return _send_claimed(row_id, sms, now)


def _send_claimed(row_id: int, sms: channels.SmsSender | None, now: datetime | None) -> bool:
    """A claimed send, read again: not sent when the appointment was cancelled, moved or has begun, the
    person stopped or changed their reminders, or the slot's time is past the late window (the same
    window as a person's own reminders, keel.core.reminders.LATE_WINDOW: a send lost with its worker in the
    evening is not sent in the night)."""
    row = (
        AppointmentSend.objects.select_related("appointment__patient__program", "appointment__patient__user")
        .filter(pk=row_id)
        .first()
    )
    if row is None:
        return False  # gone meanwhile
    appointment = row.appointment
    choice = ReminderChoice.objects.filter(patient=appointment.patient).first()
    at = sending.clock(now)
    zone = sending.zone_or_skip(appointment.patient)
    if (
        choice is None
        or zone is None
        or not Appointment.objects.filter(_remindable(), pk=appointment.pk).exists()
        or choice.channel != row.channel
        or appointment.status != Status.SCHEDULED
        or appointment.version != row.version
        or row.slot
        not in due_slots(
            appointment.starts_at,
            zone,
            at,
            day_before_at=choice.day_before_at,
            hours_before=choice.hours_before,
        )
    ):
        SENDS.finish(row, SendStatus.STOPPED, at)
        return False
    to = _address(choice, appointment.patient)
    if not to or (row.channel == Channel.SMS and sms is None):
        SENDS.finish(row, SendStatus.NO_ADDRESS, at)
        return False
    return _attempt(row, choice, appointment, to, sms, now)


def _attempt(
    row: AppointmentSend,
    choice: ReminderChoice,
    appointment: Appointment,
    to: str,
    sms: channels.SmsSender | None,
    now: datetime | None,
) -> bool:
    """One attempt of a claimed (SENDING) send; True when it went out. Failures are retried as a
    `reminders.ReminderSend` is (keel.reminders.sending: the class of the error only is kept)."""

    def deliver() -> None:
        with translation.override(appointment.patient.preferred_language):
            message = message_for(choice, appointment, to)
        if row.channel == Channel.EMAIL:
            channels.send_email(message)
        elif sms is not None:
            sms.send(message)

    return SENDS.attempt(row, deliver, now)
