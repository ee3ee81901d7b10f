"""Reminders outside the app: a person chooses a channel for one of their reminders (through the access
policy, audited), the worker sends the due ones at the person's local time (once per reminder and local
day), and one tap on the link in any message stops that reminder's messages."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keel.access.policy import Area, PatientNotFound, own_patient_or_404
from keel.audit.models import Action
from keel.audit.services import record_for_patient
from keel.core.reminders import due_day
from keel.patients.models import zone_of
from keel.recovery.models import Reminder
from keel.reminders import channels
from keel.reminders.models import Channel, Delivery, ReminderSend, SendStatus

logger = logging.getLogger("keel.reminders")
NONE = "app"  # the choice "only in the app": no delivery


class ChannelInvalid(ValueError):
    """The channel named is not one Keel offers (the field is `channel`)."""


def choose_channel(user: Any, *, reminder_id: int, channel: str) -> Delivery | None:
    """The signed-in person's reminder `reminder_id` also goes out by `channel` ("email", "sms"), or
    only in the app ("app"); audited. Someone else's reminder is not found."""
    if channel not in (NONE, *Channel.values):
        raise ChannelInvalid(f"must be one of {NONE}, {', '.join(Channel.values)}")
    with transaction.atomic():
        patient = own_patient_or_404(
            user, area=Area.RECOVERY, action=Action.UPDATE, target_type="reminder", audit_success=False
        )
        reminder = Reminder.objects.filter(patient=patient, pk=reminder_id).first()
        if reminder is None:
            raise PatientNotFound()
        delivery: Delivery | None = None
        if channel == NONE:
            Delivery.objects.filter(reminder=reminder).delete()
        else:
            delivery, _created = Delivery.objects.update_or_create(
                reminder=reminder, defaults={"channel": channel}
            )
        record_for_patient(
            user, patient, Action.UPDATE, "reminder_channel", reminder.pk, detail={"channel": channel}
        )
    return delivery


def stop(token: str) -> bool:
    """Stop the messages of the reminder whose link this is; False for a token that is no one's (also once
    stopped: the token goes with the delivery). The reminder itself stays in the app."""
    with transaction.atomic():
        delivery = Delivery.objects.select_related("reminder__patient").filter(stop_token=token).first()
        if delivery is None:
            return False
        patient, reminder_id = delivery.reminder.patient, delivery.reminder_id
        delivery.delete()
        record_for_patient(None, patient, Action.UPDATE, "reminder_channel", reminder_id, reason="stop link")
    return True


def stop_url(delivery: Delivery) -> str:
    return settings.KEEL_PUBLIC_URL.rstrip("/") + reverse("reminders:stop", args=[delivery.stop_token])


def message_for(delivery: Delivery, to: str) -> channels.Message:
    """The words of a reminder: no health information (not its kind, no medication, no program, no name),
    only that the person asked for a reminder now, where to open Keel, and how to stop it."""
    link = stop_url(delivery)
    home = settings.KEEL_PUBLIC_URL.rstrip("/") + "/"
    body = _(
        "Hello. This is the reminder you asked for at this time.\n\nOpen Keel: %(home)s\n\n"
        "To stop this reminder: %(stop)s"
    ) % {"home": home, "stop": link}
    return channels.Message(to=to, subject=_("Your reminder"), body=body, stop_url=link)


def _address(delivery: Delivery) -> str:
    patient = delivery.reminder.patient
    if delivery.channel == Channel.EMAIL:
        return patient.user.email if patient.user else ""
    return patient.phone


def send_due(*, now: datetime | None = None) -> int:
    """Send every delivered reminder whose local time has come (within the late window of
    keel.core.reminders) and that has not gone out that local day; returns how many were sent. Each is
    claimed by inserting its (reminder, day) row first; a failure is recorded (its class) and logged."""
    now = now or timezone.now()
    sms = channels.sms_sender()
    sent = 0
    deliveries = Delivery.objects.filter(reminder__active=True).select_related(
        "reminder__patient__program", "reminder__patient__user"
    )
    for delivery in deliveries:
        reminder = delivery.reminder
        day = due_day(reminder.at, zone_of(reminder.patient), now)
        if day is None or reminder.done_on == day:
            continue
        if ReminderSend.objects.filter(reminder=reminder, local_date=day).exists():
            continue
        to = _address(delivery)
        usable = bool(to) and (delivery.channel == Channel.EMAIL or sms is not None)
        try:
            with transaction.atomic():
                row = ReminderSend.objects.create(
                    reminder=reminder,
                    local_date=day,
                    channel=delivery.channel,
                    status=SendStatus.SENT if usable else SendStatus.NO_ADDRESS,
                    sent_at=now,
                )
        except IntegrityError:
            continue  # another worker has it
        if not usable:
            continue
        try:
            with translation.override(reminder.patient.preferred_language):
                message = message_for(delivery, to)
            if delivery.channel == Channel.EMAIL:
                channels.send_email(message)
            elif sms is not None:
                sms.send(message)
        except Exception as exc:
            row.status, row.error = SendStatus.FAILED, type(exc).__name__[:200]
            row.save(update_fields=["status", "error"])
            logger.error("Reminder %s was not sent (%s).", reminder.pk, row.error)
            continue
        sent += 1
    return sent
