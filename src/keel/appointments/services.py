"""Appointments (issue #19): the care team schedules, moves and closes a patient's appointments (through the
access policy, audited); the patient chooses appointment reminders; the worker sends each due reminder once
(per appointment, slot and move), by the channels of `keel.reminders`, with no health information; one tap
on the link in any message stops appointment reminders."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area, PatientNotFound
from keel.accounts.models import STAFF_ROLES, ProgramMembership, Role, User
from keel.appointments.models import Appointment, AppointmentSend, Kind, ReminderChoice, Status
from keel.audit.models import Action
from keel.audit.services import record_for_patient
from keel.core.appointments import (
    HOURS_BEFORE_CHOICES,
    LocalTimeMissing,
    due_slots,
    local_instant,
    status_change_problem,
    wall_clock_time,
)
from keel.core.rules.inputs import FURTHEST_DAYS, FieldError, FieldsInvalid, record_id
from keel.core.words import gettext_noop as N_
from keel.patients.models import Enrollment, EnrollmentStatus, Patient, zone_of
from keel.reminders import channels, sending
from keel.reminders.models import Channel, SendStatus

logger = logging.getLogger("keel.appointments")
# The claim, the retries and the lease of the sends, shared with a person's own reminders.
SENDS = sending.Sends(model=AppointmentSend, noun="Appointment reminder", log_id="pk", logger=logger)
OFF = "off"  # the reminder choice "no appointment reminders"
MAX_MINUTES = 8 * 60  # an appointment is at most a working day long
# and at most two years ahead: `FURTHEST_DAYS`, every planned day's ceiling (keel.core.rules.inputs)
TAKEN = N_("this person already has an appointment at this time")
MISSING = N_("this time does not exist that day (the clocks change); pick another")
# Why a reminder channel cannot reach the person (the pages say each in plain words).
NO_SMS = "text messages are not set up at this clinic"
NO_EMAIL = "this account has no email address"
NO_PHONE = "there is no phone number for this person"


class AppointmentInvalid(FieldsInvalid):
    """Bad input to an appointment write, each field named."""


def _scoped(by: User, patient_id: int, action: Action, target_id: int | None = None) -> Patient:
    """The patient whose visits are booked or changed: the roles that schedule, on the care team. Not through
    emergency access (review 19b): break-the-glass reads a record and takes the point-of-care measures; a
    person's schedule of visits (and the reminders it sends) is the care team's (403, audited "emergency
    access: may not book or change appointments"). Reading the appointments stays open to it."""
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        action,
        area=Area.CLINICAL,
        target_type="appointment",
        target_id=target_id,
        allowed=policy.can_schedule_appointment(by),
        what="schedule appointments",
        emergency_what="book or change appointments",
        audit_success=False,
    )


def _times(
    patient: Patient, day: str, start: str, end: str, now: datetime, errors: list[FieldError]
) -> tuple[datetime, datetime] | None:
    """The start and end of a visit given as local date, start and end times in the program's zone."""
    zone = zone_of(patient)
    on: date | None = None
    try:
        on = date.fromisoformat(str(day).strip())
    except ValueError:
        errors.append(FieldError("date", N_("a date like 2027-03-15")))
    clock: dict[str, time] = {}
    for name, raw, example in (("start", start, "09:30"), ("end", end, "10:30")):
        try:  # local wall-clock times only: "09:30Z" or "09:30+05:00" is refused, not read as local
            clock[name] = wall_clock_time(raw)
        except ValueError:
            errors.append(
                FieldError.said(name, N_("a local time like %(example)s (no UTC offset)"), example=example)
            )
    if on is None or len(clock) < 2:
        return None
    if not now.date() - timedelta(days=1) <= on <= now.date() + timedelta(days=FURTHEST_DAYS):
        errors.append(
            FieldError.said("date", N_("within the next %(furthest_days)s days"), furthest_days=FURTHEST_DAYS)
        )
        return None
    try:
        starts_at = local_instant(on, clock["start"], zone)
    except LocalTimeMissing:
        errors.append(FieldError("start", MISSING))
        return None
    try:
        ends_at = local_instant(on, clock["end"], zone)
    except LocalTimeMissing:
        errors.append(FieldError("end", MISSING))
        return None
    if starts_at <= now:
        errors.append(FieldError("start", N_("must be in the future")))
    if ends_at <= starts_at:
        errors.append(FieldError("end", N_("must be after the start")))
    elif ends_at - starts_at > timedelta(minutes=MAX_MINUTES):
        errors.append(FieldError("end", N_("an appointment is at most 8 hours long")))
    return starts_at, ends_at


def _staff_member(patient: Patient, with_id: int | str | None, errors: list[FieldError]) -> User | None:
    """The staff member the visit is with: none named (empty), else an active staff member of the
    patient's program."""
    if with_id is None or str(with_id).strip() == "":
        return None
    pk = record_id(with_id)
    member = (
        User.objects.filter(
            pk=pk,
            is_active=True,
            role__in=list(STAFF_ROLES - {Role.AUDITOR}),
            pk__in=ProgramMembership.objects.filter(program_id=patient.program_id).values("user_id"),
        ).first()
        if pk is not None
        else None
    )
    if member is None:
        errors.append(FieldError("with_id", N_("choose a staff member of this program")))
    return member


def schedule(
    *,
    by: User,
    patient_id: int,
    day: str,  # the form's raw text: the date and times are read here, with their own error words
    start: str,
    end: str,
    kind: str,
    with_id: int | str | None = None,  # the API's id, or the form's <select> text ("": none)
    now: datetime | None = None,
) -> Appointment:
    """A new appointment (counselors, nurses, prescribers, the program's admins), audited."""
    now = now or timezone.now()
    patient = _scoped(by, patient_id, Action.CREATE)
    errors: list[FieldError] = []
    if kind not in Kind.values:
        errors.append(FieldError.said("kind", N_("one of %(items)s"), items=", ".join(Kind.values)))
    times = _times(patient, day, start, end, now, errors)
    member = _staff_member(patient, with_id, errors)
    if errors or times is None:
        raise AppointmentInvalid(errors)
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                patient=patient,
                starts_at=times[0],
                ends_at=times[1],
                kind=kind,
                with_user=member,
                created_by=by,
                created_at=now,
                updated_at=now,
            )
            record_for_patient(by, patient, Action.CREATE, "appointment", appointment.pk)
    except IntegrityError:  # a double submit, or another visit at that moment
        raise AppointmentInvalid([FieldError("start", TAKEN)]) from None
    return appointment


def _appointment_id(by: User, patient: Patient, appointment_id: int) -> int:
    """The id of this patient's appointment; another patient's or none: the denial is audited and
    PatientNotFound raised (a 404), as for a record out of scope. (Appointments are never deleted.)"""
    pk = record_id(appointment_id)
    if pk is None or not Appointment.objects.filter(patient=patient, pk=pk).exists():
        policy.row_not_theirs(
            by, patient, "appointment", pk or 0, reason="appointment missing or another patient's"
        )
    return pk


def _locked(pk: int) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).get(pk=pk)


def set_status(
    *, by: User, patient_id: int, appointment_id: int, status: str, now: datetime | None = None
) -> Appointment:
    """Cancel an appointment, or mark it attended or missed once it has begun (or scheduled again before its
    time), audited. A cancelled appointment's reminders are not sent."""
    now = now or timezone.now()
    patient = _scoped(by, patient_id, Action.UPDATE, appointment_id)
    if status not in Status.values:
        raise AppointmentInvalid(
            [FieldError.said("status", N_("one of %(items)s"), items=", ".join(Status.values))]
        )
    pk = _appointment_id(by, patient, appointment_id)
    try:
        with transaction.atomic():
            appointment = _locked(pk)
            problem = status_change_problem(appointment.status, status, appointment.starts_at, now)
            if problem is not None:
                raise AppointmentInvalid([FieldError("status", problem)])
            if status != appointment.status:
                appointment.status = status
                appointment.updated_at = now
                appointment.save(update_fields=["status", "updated_at"])
            record_for_patient(
                by, patient, Action.UPDATE, "appointment", appointment.pk, detail={"status": status}
            )
    except IntegrityError:  # scheduled again at a moment another visit now holds
        raise AppointmentInvalid([FieldError("status", TAKEN)]) from None
    return appointment


def reschedule(
    *,
    by: User,
    patient_id: int,
    appointment_id: int,
    day: str,  # raw text, read by _times (as for schedule)
    start: str,
    end: str,
    now: datetime | None = None,
) -> Appointment:
    """Move a scheduled appointment to another local date and time, audited. Each move of the start is a
    new version of the appointment with its own reminders (a move back to an earlier time, too)."""
    now = now or timezone.now()
    patient = _scoped(by, patient_id, Action.UPDATE, appointment_id)
    errors: list[FieldError] = []
    times = _times(patient, day, start, end, now, errors)
    pk = _appointment_id(by, patient, appointment_id)
    if errors or times is None:
        raise AppointmentInvalid(errors)
    try:
        with transaction.atomic():
            appointment = _locked(pk)
            if appointment.status != Status.SCHEDULED:
                raise AppointmentInvalid(
                    [FieldError("status", N_("only a scheduled appointment can be moved"))]
                )
            if appointment.starts_at != times[0]:
                appointment.version += 1
            appointment.starts_at, appointment.ends_at = times
            appointment.updated_at = now
            appointment.save(update_fields=["starts_at", "ends_at", "version", "updated_at"])
            record_for_patient(
                by, patient, Action.UPDATE, "appointment", appointment.pk, reason="rescheduled"
            )
    except IntegrityError:
        raise AppointmentInvalid([FieldError("start", TAKEN)]) from None
    return appointment


# --- The patient's reminder choice -------------------------------------------------------------------


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
