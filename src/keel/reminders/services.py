"""Reminders outside the app: a person chooses a channel for one of their reminders (through the access
policy, audited), the worker sends the due ones at the person's local time (once per reminder and local
day), and one tap on the link in any message stops that reminder's messages.

Every reminder (medication, check-in, appointment) links to the sign-in page with the person's page as `next`
(a neutral title for a link preview on a shared phone), never to the public help pages; stop pages use the
bare `web/neutral.html` layout; no reminder goes to an inactive account or, for appointments, to someone no
longer in care (discharge cancels coming visits). Appointment reminders (`keel.appointments`) go out through
these channels from the same worker loop, once per (appointment, slot, version): the version moves with each
reschedule. Both loops claim, retry and lease their sends through `keel.reminders.sending`: a send left
"sending" past `KEEL_REMINDER_SEND_LEASE_SECONDS` (its worker stopped mid-send) counts as a failed attempt,
tried again (within the reminder's late window) or marked failed and counted by /healthz. Times are local
wall-clock HH:MM (`wall_clock_time`), never an offset."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from keel.access.policy import Area, own_patient_or_404, row_not_theirs
from keel.audit.models import Action
from keel.audit.services import record_for_patient
from keel.core.reminders import due_day
from keel.recovery.models import Reminder
from keel.reminders import channels, sending
from keel.reminders.models import Channel, Delivery, ReminderSend, SendStatus

if TYPE_CHECKING:
    from keel.accounts.models import User

logger = logging.getLogger("keel.reminders")
NONE = "app"  # the choice "only in the app": no delivery
SENDS = sending.Sends(model=ReminderSend, noun="Reminder", log_id="reminder_id", logger=logger)


class ChannelInvalid(ValueError):
    """The channel named is not one Keel offers (the field is `channel`)."""


def choose_channel(user: User, *, reminder_id: int, channel: str) -> Delivery | None:
    """The signed-in person's reminder `reminder_id` also goes out by `channel` ("email", "sms"), or
    only in the app ("app"); audited. Someone else's reminder, or none: the same audited 404 as a record out
    of reach (`policy.row_not_theirs`, once the transaction is over so its denial row stays)."""
    if channel not in (NONE, *Channel.values):
        raise ChannelInvalid(f"must be one of {NONE}, {', '.join(Channel.values)}")
    with transaction.atomic():
        patient = own_patient_or_404(
            user, area=Area.RECOVERY, action=Action.UPDATE, target_type="reminder", audit_success=False
        )
        reminder = Reminder.objects.filter(patient=patient, pk=reminder_id).first()
        delivery: Delivery | None = None
        if reminder is not None:
            if channel == NONE:
                Delivery.objects.filter(reminder=reminder).delete()
            else:
                delivery, _created = Delivery.objects.update_or_create(
                    reminder=reminder, defaults={"channel": channel}
                )
            record_for_patient(
                user, patient, Action.UPDATE, "reminder_channel", reminder.pk, detail={"channel": channel}
            )
    if reminder is None:
        row_not_theirs(user, patient, "reminder", reminder_id, reason="not this patient's or missing")
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
    keel.core.reminders) and that has not gone out that local day, then recover the sends whose worker
    stopped mid-send, then send the retries that are due; returns how many were sent. Each is claimed by
    inserting its (reminder, day) row first; a retry by one conditional update (keel.reminders.sending: the
    claim, the retries, the lease, shared with appointment reminders). Each step reads the clock when it is
    made (`sending.clock`: the real time, or the fixed `now` a test passes), so a slow loop never claims a
    send "older than the lease"; a claimed send is read again before it goes out (stopped, done, deleted or
    moved meanwhile: not sent)."""
    sms = channels.sms_sender()
    sent = 0
    # Not to an account the clinic turned off: its owner can no longer sign in to stop or change them.
    deliveries = Delivery.objects.filter(
        reminder__active=True, reminder__patient__user__is_active=True
    ).select_related("reminder__patient__program", "reminder__patient__user")
    for delivery in deliveries:
        reminder = delivery.reminder
        at = sending.clock(now)
        zone = sending.zone_or_skip(reminder.patient)
        if zone is None:
            continue
        day = due_day(reminder.at, zone, at)
        if day is None or reminder.done_on == day:
            continue
        if ReminderSend.objects.filter(reminder=reminder, local_date=day).exists():
            continue
        to = _address(delivery)
        usable = bool(to) and (delivery.channel == Channel.EMAIL or sms is not None)
        row = SENDS.claim_new(
            usable=usable, now=at, reminder=reminder, local_date=day, channel=delivery.channel
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
    """A claimed send, read again: sent unless the person deleted the reminder (its sends go with it:
    skipped), stopped it, marked it done or changed the channel or its time meanwhile, or its time is past
    the late window (a send lost long ago with its worker: never hours late)."""
    row = (
        ReminderSend.objects.select_related("reminder__patient__program", "reminder__patient__user")
        .filter(pk=row_id)
        .first()
    )
    if row is None:
        return False  # the reminder was deleted meanwhile, and its sends with it
    reminder = row.reminder
    delivery = Delivery.objects.filter(reminder=reminder).first()
    at = sending.clock(now)
    zone = sending.zone_or_skip(reminder.patient)
    if (
        delivery is None
        or zone is None
        or delivery.channel != row.channel
        or not reminder.active
        or reminder.patient.user is None
        or not reminder.patient.user.is_active
        or reminder.done_on == row.local_date
        or due_day(reminder.at, zone, at) != row.local_date
    ):
        SENDS.finish(row, SendStatus.STOPPED, at)
        return False
    delivery.reminder = reminder
    to = _address(delivery)
    if not to or (row.channel == Channel.SMS and sms is None):
        SENDS.finish(row, SendStatus.NO_ADDRESS, at)
        return False
    return _attempt(row, delivery, to, sms, now)


def _attempt(
    row: ReminderSend, delivery: Delivery, to: str, sms: channels.SmsSender | None, now: datetime | None
) -> bool:
    """One attempt of a claimed (SENDING) send; True when it went out."""

    def deliver() -> None:
        with translation.override(delivery.reminder.patient.preferred_language):
            message = message_for(delivery, to)
        if delivery.channel == Channel.EMAIL:
            channels.send_email(message)
        elif sms is not None:
            sms.send(message)

    return SENDS.attempt(row, deliver, now)
