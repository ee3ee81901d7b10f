"""Appointment shapes shared by the API and the pages (local dates and times in the program's zone)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from keel.accounts.names import staff_name
from keel.appointments.models import Appointment
from keel.patients.models import zone_of
from keel.schemas import In


class AppointmentIn(In):
    date: str = Field(description="the local date in the program's time zone, e.g. 2027-03-15")
    start: str = Field(description="the local start time, e.g. 09:30")
    end: str = Field(description="the local end time the same day, e.g. 10:30")
    kind: str = Field(description="counseling, prescriber, group or intake")
    with_id: int | None = Field(default=None, description="the staff member it is with (optional)")


class RescheduleIn(In):
    date: str
    start: str
    end: str


class StatusIn(In):
    status: str = Field(description="scheduled, cancelled, attended or missed")


class ReminderChoiceIn(In):
    channel: str = Field(description="email, sms, or off (no appointment reminders)")
    day_before_at: str | None = Field(default=None, description="the day before at this local time, HH:MM")
    hours_before: int | None = Field(default=None, description="this many hours before: 1, 2, 3 or 6")


class AppointmentOut(BaseModel):
    id: int
    date: str
    start: str
    end: str
    starts_at: str  # ISO 8601 with the offset
    kind: str
    kind_label: str
    with_id: int | None
    with_name: str = Field(
        description="who it is with, as a person reads it: the staff member's full name, else their role "
        '("Nurse (no name on file)"), in the request\'s language; empty for no one; never a username'
    )
    status: str

    @classmethod
    def of(cls, row: Appointment) -> AppointmentOut:
        zone = zone_of(row.patient)
        start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
        who = row.with_user
        return cls(
            id=row.pk,
            date=start.date().isoformat(),
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
            starts_at=start.isoformat(),
            kind=row.kind,
            kind_label=str(row.get_kind_display()),
            with_id=who.pk if who else None,
            with_name=staff_name(who),  # a person reads it: never a username (lane words33)
            status=row.status,
        )


class ReminderChoiceOut(BaseModel):
    channel: str
    day_before_at: str | None
    hours_before: int | None


class MyAppointmentsOut(BaseModel):
    appointments: list[AppointmentOut]  # the coming ones, soonest first
    reminders: ReminderChoiceOut | None  # None: never chosen
