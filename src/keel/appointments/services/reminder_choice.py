"""The patient's choice of appointment reminders, and the one tap on a message's link that stops them."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area, PatientNotFound
from keel.accounts.models import User
from keel.appointments.models import Appointment, ReminderChoice, Status
from keel.appointments.services.scheduling import AppointmentInvalid
from keel.audit.models import Action
from keel.audit.services import record_for_patient
from keel.core.appointments import (
    HOURS_BEFORE_CHOICES,
    wall_clock_time,
)
from keel.core.rules.inputs import FieldError, record_id
from keel.core.words import gettext_noop as N_
from keel.patients.models import Enrollment, EnrollmentStatus, Patient, zone_of
from keel.reminders import channels
from keel.reminders.models import Channel

OFF = "off"  # the reminder choice "no appointment reminders"

NO_SMS = "text messages are not set up at this clinic"
NO_EMAIL = "this account has no email address"
NO_PHONE = "there is no phone number for this person"


def choose_reminders(
    user: User,
    *,
    channel: str,
    day_before_at: str | None = None,  # "HH:MM", read here with its own error words
    hours_before: int | str | None = None,  # the API's number, or the form's <select> text
) -> ReminderChoice | None:
    """The signed-in patient's appointment reminders: by `channel` ("email", "sms") the day before at
    `day_before_at` (their local time, "HH:MM") and/or `hours_before` hours before; "off" for none. A
    channel that cannot reach them (text messages not set up, no email address or phone number) is refused.
    Audited."""
    errors: list[FieldError] = []
    if channel not in (OFF, *Channel.values):
        errors.append(
            FieldError.said(
                "channel", N_("one of %(off)s, %(items)s"), off=OFF, items=", ".join(Channel.values)
            )
        )
    at: time | None = None
    if day_before_at not in (None, ""):
        try:
            at = wall_clock_time(day_before_at)
        except ValueError:
            errors.append(FieldError("day_before_at", N_("a local time like 18:00 (no UTC offset)")))
    hours: int | None = None
    if hours_before not in (None, ""):
        hours = record_id(hours_before)
        if hours not in HOURS_BEFORE_CHOICES:
            errors.append(
                FieldError.said(
                    "hours_before",
                    N_("one of %(items)s"),
                    items=", ".join(str(h) for h in HOURS_BEFORE_CHOICES),
                )
            )
    if channel != OFF and not errors and at is None and hours is None:
        errors.append(FieldError("day_before_at", N_("choose the day before, hours before, or both")))
    if errors:
        raise AppointmentInvalid(errors)
    with transaction.atomic():
        patient = own_patient(user, Action.UPDATE, audit_success=False)
        unreachable = _unreachable(patient, channel)
        if unreachable:
            raise AppointmentInvalid([FieldError("channel", unreachable)])
        choice: ReminderChoice | None = None
        if channel == OFF:
            ReminderChoice.objects.filter(patient=patient).delete()
        else:
            choice, _created = ReminderChoice.objects.update_or_create(
                patient=patient,
                defaults={"channel": channel, "day_before_at": at, "hours_before": hours},
            )
        record_for_patient(
            user, patient, Action.UPDATE, "appointment_reminders", patient.pk, detail={"channel": channel}
        )
    return choice


def _unreachable(patient: Patient, channel: str) -> str:
    """Why `channel` cannot reach this person ("" when it can, or for "off")."""
    if channel == Channel.SMS:
        if channels.sms_sender() is None:
            return NO_SMS
        if not patient.phone:
            return NO_PHONE
    if channel == Channel.EMAIL and not (patient.user and patient.user.email):
        return NO_EMAIL
    return ""


def cancel_coming(*, by: User, patient: Patient, now: datetime | None = None) -> list[int]:
    """Cancel the person's scheduled appointments still to come, each audited (on discharge: no visit and
    no reminder of one after the episode of care ended). The caller has checked `by` may end the episode
    and holds the transaction. Returns the ids cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Appointment.objects.select_for_update()
            .filter(patient=patient, status=Status.SCHEDULED, starts_at__gt=now)
            .values_list("pk", flat=True)
        )
        Appointment.objects.filter(pk__in=ids).update(status=Status.CANCELLED, updated_at=now)
        for pk in ids:
            record_for_patient(
                by,
                patient,
                Action.UPDATE,
                "appointment",
                pk,
                reason="discharged",
                detail={"status": Status.CANCELLED},
            )
    return ids


def _remindable() -> Q:
    """Whose appointment reminders may go out: an active account of a person in care now (not after a
    discharge, a death or a deactivated account)."""
    in_care = Enrollment.objects.filter(patient=OuterRef("patient"), status=EnrollmentStatus.ACTIVE)
    return Q(patient__user__is_active=True) & Q(Exists(in_care))


def own_patient(user: User, action: Action, *, audit_success: bool = True) -> Patient:
    """A patient's own record (appointments are a program's: a self-guided account has none)."""
    if not policy.is_program_patient(user):
        raise PatientNotFound()
    return policy.own_patient_or_404(
        user, area=Area.CLINICAL, action=action, target_type="appointment", audit_success=audit_success
    )


def stop(token: str) -> bool:
    """Stop appointment reminders for the person whose link this is; False for a token that is no one's."""
    with transaction.atomic():
        choice = ReminderChoice.objects.select_related("patient").filter(stop_token=token).first()
        if choice is None:
            return False
        patient = choice.patient
        choice.delete()
        record_for_patient(
            None, patient, Action.UPDATE, "appointment_reminders", patient.pk, reason="stop link"
        )
    return True


def stop_url(choice: ReminderChoice) -> str:
    return settings.KEEL_PUBLIC_URL.rstrip("/") + reverse("appointments:stop", args=[choice.stop_token])


def message_for(choice: ReminderChoice, appointment: Appointment, to: str) -> channels.Message:
    """The words of an appointment reminder, in the active language: only that there is an appointment at
    a local date and time, where to sign in, and how to stop these reminders. No kind of visit, no staff
    name, no program, no name of the person, no product name; the time is not last in its sentence (the
    English "a.m." would take a second full stop)."""
    local = appointment.starts_at.astimezone(zone_of(appointment.patient))
    link = stop_url(choice)
    body = _(
        "Hello. You have an appointment at %(time)s on %(date)s.\n\nOpen your account: %(home)s\n\n"
        "To stop appointment reminders: %(stop)s"
    ) % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "TIME_FORMAT"),
        "home": channels.account_url("appointments:mine"),
        "stop": link,
    }
    return channels.Message(to=to, subject=_("Your appointment reminder"), body=body, stop_url=link)


def _address(choice: ReminderChoice, patient: Patient) -> str:
    if choice.channel == Channel.EMAIL:
        return patient.user.email if patient.user else ""
    return patient.phone
