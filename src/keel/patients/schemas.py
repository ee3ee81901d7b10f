from __future__ import annotations

from datetime import date

from ninja import Schema


class EnrollmentOut(Schema):
    id: int
    program: str
    started_on: date
    ended_on: date | None
    end_reason: str
    status: str


class CareTeamMemberOut(Schema):
    id: int
    name: str
    role: str


class PatientOut(Schema):
    id: int
    display_name: str
    program: str
    areas: list[str]
    record_number: str | None = None
    date_of_birth: date | None = None
    pronouns: str | None = None
    enrollment_status: str | None = None


class PatientDetailOut(PatientOut):
    enrollments: list[EnrollmentOut]
    care_team: list[CareTeamMemberOut]
