"""Reads of appointments, through the access policy, one audit row each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import STAFF_ROLES, Role, User
from keel.appointments.models import Appointment, ReminderChoice, Status
from keel.appointments.services import own_patient
from keel.audit.models import Action
from keel.patients.models import Patient


@dataclass(frozen=True)
class PatientAppointments:
    patient: Patient
    appointments: list[Appointment]  # oldest first


def patient_appointments(user: User, patient_id: int | str) -> PatientAppointments:
    """A patient's appointments for the care team (the clinical area of the record), audited as one read."""
    patient = policy.get_patient_for_action_or_404(
        user,
        patient_id,
        Action.READ,
        area=Area.CLINICAL,
        target_type="appointment_list",
        emergency_access=True,
    )
    rows = list(patient.appointments.select_related("with_user"))  # each knows its patient: no query per row
    return PatientAppointments(patient, rows)


def bookable_staff(program_id: int) -> QuerySet[User]:
    """Whom an appointment of the program's patients may be with: its active staff, auditors aside, by name
    (read when the page is drawn)."""
    return User.objects.filter(
        programs=program_id, is_active=True, role__in=list(STAFF_ROLES - {Role.AUDITOR})
    ).order_by("last_name", "first_name", "username")


@dataclass(frozen=True)
class MyAppointments:
    patient: Patient
    upcoming: list[Appointment]  # scheduled, not yet over, soonest first
    reminders: ReminderChoice | None


def my_appointments(user: User, *, now: datetime | None = None) -> MyAppointments:
    """The signed-in patient's coming appointments and their reminder choice, audited as one read."""
    now = now or timezone.now()
    patient = own_patient(user, Action.READ)
    rows = list(
        patient.appointments.filter(
            status=Status.SCHEDULED, ends_at__gt=now - timedelta(minutes=1)
        ).select_related("with_user")
    )
    choice = ReminderChoice.objects.filter(patient=patient).first()
    return MyAppointments(patient, rows, choice)


def stop_link_known(token: str) -> bool:
    """Whether a stop link names an appointment reminder choice Keel made (its page is offered only then)."""
    return ReminderChoice.objects.filter(stop_token=token).exists()
