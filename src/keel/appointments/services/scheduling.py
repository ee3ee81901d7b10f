"""The care team schedules, moves and closes a patient's appointments, through the access policy, audited."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import STAFF_ROLES, ProgramMembership, Role, User
from keel.appointments.models import Appointment, Kind, Status
from keel.audit.models import Action
from keel.audit.services import record_for_patient
from keel.core.appointments import (
    LocalTimeMissing,
    local_instant,
    status_change_problem,
    wall_clock_time,
)
from keel.core.rules.inputs import FURTHEST_DAYS, FieldError, FieldsInvalid, record_id
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, zone_of

MAX_MINUTES = 8 * 60  # an appointment is at most a working day long
# and at most two years ahead: `FURTHEST_DAYS`, every planned day's ceiling (keel.core.rules.inputs)
TAKEN = N_("this person already has an appointment at this time")
MISSING = N_("this time does not exist that day (the clocks change); pick another")


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
