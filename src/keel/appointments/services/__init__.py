"""Appointments (issue #19), one module per subdomain (callers import this package): the care team
schedules, moves and closes a patient's appointments (`scheduling`: through the access policy, audited); the
patient chooses appointment reminders (`reminder_choice`); the worker sends each due reminder once (per
appointment, slot and move), by the channels of `keel.reminders`, with no health information (`sends`); one
tap on the link in any message stops appointment reminders."""

from __future__ import annotations

from keel.appointments.services.reminder_choice import (
    NO_EMAIL,
    NO_PHONE,
    NO_SMS,
    OFF,
    cancel_coming,
    choose_reminders,
    message_for,
    own_patient,
    stop,
    stop_url,
)
from keel.appointments.services.scheduling import (
    MAX_MINUTES,
    MISSING,
    TAKEN,
    AppointmentInvalid,
    reschedule,
    schedule,
    set_status,
)
from keel.appointments.services.sends import LOOKAHEAD, SENDS, send_due

__all__ = [
    "LOOKAHEAD",
    "MAX_MINUTES",
    "MISSING",
    "NO_EMAIL",
    "NO_PHONE",
    "NO_SMS",
    "OFF",
    "SENDS",
    "TAKEN",
    "AppointmentInvalid",
    "cancel_coming",
    "choose_reminders",
    "message_for",
    "own_patient",
    "reschedule",
    "schedule",
    "send_due",
    "set_status",
    "stop",
    "stop_url",
]
