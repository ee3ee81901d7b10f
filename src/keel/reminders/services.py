"""Reminders outside the app: a person chooses a channel for one of their reminders (through the access
policy, audited), the worker sends the due ones at the person's local time (once per reminder and local
day), and one tap on the link in any message stops that reminder's messages.

Every reminder (medication, check-in, appointment) links to the sign-in page with the person's page as `next`
(a neutral title for a link preview on a shared phone), never to the public help pages; stop pages use the
bare `web/neutral.html` layout; no reminder goes to an inactive account or, for appointments, to someone no
longer in care (discharge cancels coming visits). Appointment reminders (`keel.appointments`) go out through
these channels from the same worker loop, once per (appointment, slot, version): the version moves with each
reschedule. A send left "sending" past `KEEL_REMINDER_SEND_LEASE_SECONDS` (its worker stopped) counts as a
failed attempt. Times are local wall-clock HH:MM (`wall_clock_time`), never an offset."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keel.access.policy import Area, PatientNotFound, own_patient_or_404
from keel.audit.models import Action
from keel.audit.services import record_for_patient
from keel.core.reminders import due_day
from keel.jobs.schedule import backoff
from keel.patients.models import zone_of
from keel.recovery.models import Reminder
from keel.reminders import channels
from keel.reminders.models import Channel, Delivery, ReminderSend, SendStatus

if TYPE_CHECKING:
    from keel.accounts.models import User

logger = logging.getLogger("keel.reminders")
NONE = "app"  # the choice "only in the app": no delivery


class ChannelInvalid(ValueError):
    """The channel named is not one Keel offers (the field is `channel`)."""


def choose_channel(user: User, *, reminder_id: int, channel: str) -> Delivery | None:
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
    only that the person asked for a reminder now, where to sign in, and how to stop it. No product name."""
    link = stop_url(delivery)
    body = _(
        "Hello. This is the reminder you asked for at this time.\n\nOpen your account: %(home)s\n\n"
        "To stop this reminder: %(stop)s"
    ) % {"home": channels.account_url("recovery:reminders"), "stop": link}
    return channels.Message(to=to, subject=_("Your reminder"), body=body, stop_url=link)


def _address(delivery: Delivery) -> str:
    patient = delivery.reminder.patient
    if delivery.channel == Channel.EMAIL:
        return patient.user.email if patient.user else ""
    return patient.phone


def send_due(*, now: datetime | None = None) -> int:
    """Send every delivered reminder whose local time has come (within the late window of
    keel.core.reminders) and that has not gone out that local day, then the retries that are due; returns
    how many were sent. Each is claimed by inserting its (reminder, day) row first; a retry by one
    conditional update. A failure is recorded (its class only) and tried again after the delays of
    keel.jobs.schedule, up to KEEL_REMINDER_MAX_ATTEMPTS, or marked failed at once when the provider refused
    it for good (channels.is_permanent)."""
    now = now or timezone.now()
    sms = channels.sms_sender()
    sent = 0
    # Not to an account the clinic turned off: its owner can no longer sign in to stop or change them.
    deliveries = Delivery.objects.filter(
        reminder__active=True, reminder__patient__user__is_active=True
    ).select_related("reminder__patient__program", "reminder__patient__user")
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
                    status=SendStatus.SENDING if usable else SendStatus.NO_ADDRESS,
                    attempts=1 if usable else 0,
                    sent_at=now,
                )
        except IntegrityError:
            continue  # another worker has it
        if usable and _attempt(row, delivery, to, sms, now):
            sent += 1
    return sent + _retry_due(sms, now)


def _retry_due(sms: channels.SmsSender | None, now: datetime) -> int:
    """The failed sends whose next attempt is due: each claimed by one worker (RETRYING -> SENDING, one
    conditional update), then sent unless the person stopped it, marked it done or changed the channel
    meanwhile."""
    sent = 0
    due = ReminderSend.objects.filter(status=SendStatus.RETRYING, next_try_at__lte=now)
    for row_id in list(due.values_list("pk", flat=True)):
        claimed = ReminderSend.objects.filter(
            pk=row_id, status=SendStatus.RETRYING, next_try_at__lte=now
        ).update(status=SendStatus.SENDING, attempts=F("attempts") + 1, next_try_at=None)
        if not claimed:
            continue  # another worker has this attempt
        row = ReminderSend.objects.select_related("reminder__patient__user").get(pk=row_id)
        reminder = row.reminder
        delivery = Delivery.objects.filter(reminder=reminder).first()
        if (
            delivery is None
            or delivery.channel != row.channel
            or not reminder.active
            or reminder.patient.user is None
            or not reminder.patient.user.is_active
            or reminder.done_on == row.local_date
        ):
            _finish(row, SendStatus.STOPPED, now)
            continue
        delivery.reminder = reminder
        to = _address(delivery)
        if not to or (row.channel == Channel.SMS and sms is None):
            _finish(row, SendStatus.NO_ADDRESS, now)
            continue
        if _attempt(row, delivery, to, sms, now):
            sent += 1
    return sent


def _finish(row: ReminderSend, status: str, now: datetime, error: str | None = None) -> None:
    fields: dict[str, Any] = {"status": status, "finished_at": now, "next_try_at": None}
    if error is not None:
        fields["error"] = error
    ReminderSend.objects.filter(pk=row.pk, status=SendStatus.SENDING).update(**fields)


def _attempt(
    row: ReminderSend, delivery: Delivery, to: str, sms: channels.SmsSender | None, now: datetime
) -> bool:
    """One attempt of a claimed (SENDING) send; True when it went out."""
    reminder = delivery.reminder
    try:
        with translation.override(reminder.patient.preferred_language):
            message = message_for(delivery, to)
        if delivery.channel == Channel.EMAIL:
            channels.send_email(message)
        elif sms is not None:
            sms.send(message)
    except Exception as exc:
        error = type(exc).__name__[:200]  # the class only: an exception's text may quote the address
        attempts = ReminderSend.objects.values_list("attempts", flat=True).get(pk=row.pk)
        delay = (
            None
            if channels.is_permanent(exc)
            else backoff(attempts, max_attempts=settings.KEEL_REMINDER_MAX_ATTEMPTS)
        )
        if delay is None:
            _finish(row, SendStatus.FAILED, now, error)
            logger.error("Reminder %s was not sent after %d attempt(s) (%s).", reminder.pk, attempts, error)
        else:
            ReminderSend.objects.filter(pk=row.pk, status=SendStatus.SENDING).update(
                status=SendStatus.RETRYING, error=error, next_try_at=now + delay
            )
            logger.warning(
                "Reminder %s was not sent (attempt %d, %s); trying again in %s.",
                reminder.pk,
                attempts,
                error,
                delay,
            )
        return False
    _finish(row, SendStatus.SENT, now, "")
    return True
