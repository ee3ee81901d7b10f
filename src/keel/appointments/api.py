"""API: a patient's appointments (the care team, through the policy) and one's own, with reminders."""

from __future__ import annotations

from ninja import Router, Status

from keel.access.http import AuthenticatedApiRequest
from keel.appointments import queries, services
from keel.appointments.models import ReminderChoice
from keel.appointments.schemas import (
    AppointmentIn,
    AppointmentOut,
    MyAppointmentsOut,
    ReminderChoiceIn,
    ReminderChoiceOut,
    RescheduleIn,
    StatusIn,
)

router = Router(tags=["appointments"])


@router.get(
    "/patients/{patient_id}/appointments",
    response=list[AppointmentOut],
    summary="A patient's appointments (local times in the program's zone)",
)
def list_appointments(request: AuthenticatedApiRequest, patient_id: int) -> list[AppointmentOut]:
    found = queries.patient_appointments(request.auth, patient_id)
    return [AppointmentOut.of(row) for row in found.appointments]


@router.post(
    "/patients/{patient_id}/appointments",
    response={201: AppointmentOut},
    summary="Schedule an appointment",
)
def schedule_appointment(
    request: AuthenticatedApiRequest, patient_id: int, payload: AppointmentIn
) -> Status[AppointmentOut]:
    row = services.schedule(
        by=request.auth,
        patient_id=patient_id,
        day=payload.date,
        start=payload.start,
        end=payload.end,
        kind=payload.kind,
        with_id=payload.with_id,
    )
    return Status(201, AppointmentOut.of(row))


@router.post(
    "/patients/{patient_id}/appointments/{appointment_id}/status",
    response=AppointmentOut,
    summary="Cancel an appointment, or mark it attended or missed",
)
def set_appointment_status(
    request: AuthenticatedApiRequest, patient_id: int, appointment_id: int, payload: StatusIn
) -> AppointmentOut:
    row = services.set_status(
        by=request.auth, patient_id=patient_id, appointment_id=appointment_id, status=payload.status
    )
    return AppointmentOut.of(row)


@router.post(
    "/patients/{patient_id}/appointments/{appointment_id}/reschedule",
    response=AppointmentOut,
    summary="Move an appointment to another local date and time",
)
def reschedule_appointment(
    request: AuthenticatedApiRequest, patient_id: int, appointment_id: int, payload: RescheduleIn
) -> AppointmentOut:
    row = services.reschedule(
        by=request.auth,
        patient_id=patient_id,
        appointment_id=appointment_id,
        day=payload.date,
        start=payload.start,
        end=payload.end,
    )
    return AppointmentOut.of(row)


@router.get(
    "/me/appointments",
    response=MyAppointmentsOut,
    summary="My coming appointments and my appointment reminders",
)
def my_appointments(request: AuthenticatedApiRequest) -> MyAppointmentsOut:
    mine = queries.my_appointments(request.auth)
    choice = mine.reminders
    return MyAppointmentsOut(
        appointments=[AppointmentOut.of(row) for row in mine.upcoming],
        reminders=_choice(choice) if choice else None,
    )


@router.put(
    "/me/appointment-reminders",
    response=ReminderChoiceOut,
    summary="Choose appointment reminders (channel off: none)",
)
def set_my_appointment_reminders(
    request: AuthenticatedApiRequest, payload: ReminderChoiceIn
) -> ReminderChoiceOut:
    choice = services.choose_reminders(
        request.auth,
        channel=payload.channel,
        day_before_at=payload.day_before_at,
        hours_before=payload.hours_before,
    )
    return (
        _choice(choice)
        if choice
        else ReminderChoiceOut(channel=services.OFF, day_before_at=None, hours_before=None)
    )


def _choice(choice: ReminderChoice) -> ReminderChoiceOut:
    at = choice.day_before_at
    return ReminderChoiceOut(
        channel=choice.channel,
        day_before_at=at.strftime("%H:%M") if at else None,
        hours_before=choice.hours_before,
    )
