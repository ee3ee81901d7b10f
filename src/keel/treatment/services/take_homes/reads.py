"""A take-home day as the window reads it: an observed methadone dose on a day a bottle covers is refused
unless today's bottle came back unopened (`take_home_day_problem`, `TAKE_HOME_DAY`)."""

from __future__ import annotations

from datetime import date

from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import EnrollmentStatus, Patient, zone_of
from keel.treatment.models import Medication
from keel.treatment.queries import as_handed_out, episode_take_home_plans, plan_days

TAKE_HOME_DAY = FieldError(
    "bottle_returned",
    N_("today is a take-home day: give an observed dose only when today's bottle is returned unopened"),
)


def take_home_day_problem(
    patient: Patient, medication: str, today: date, bottle_returned: bool
) -> FieldError | None:
    """An observed methadone dose on a day a take-home bottle covers is refused unless the nurse records that
    the bottle for today was returned unopened (issue #13): otherwise the person may take two doses."""
    if medication != Medication.METHADONE or bottle_returned:
        return None
    enrollment = patient.enrollments.filter(status=EnrollmentStatus.ACTIVE).order_by("-started_on").first()
    if enrollment is None:
        return None
    plans = episode_take_home_plans([patient.pk], {patient.pk: (enrollment.pk, enrollment.started_on)})
    as_handed_out(plans, zone_of(patient), today)  # session 24: a run that never left covers nothing
    if any(today in plan_days(p) for p in plans):
        return TAKE_HOME_DAY
    return None
