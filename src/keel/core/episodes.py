"""Episodes of methadone treatment: the one definition of the treatment day and the days in treatment.

An episode starts with the first observed dose on or after the start of the person's current enrollment (an
admission or a readmission); a readmission starts a new episode, so the induction rules apply again. The
treatment day is 1 on the episode's first dose day. The days in treatment used for take-home doses count
from the same day: whether that day is day 0 or day 1 is program policy (`admission_day_number`, reference
correction 9), and every screen and the API show the same number because they all call these functions.
"""

from __future__ import annotations

from datetime import date


def treatment_day(first_dose_on: date | None, today: date) -> int:
    """1 on the episode's first dose day (and before any dose: today would be day 1)."""
    if first_dose_on is None or first_dose_on > today:
        return 1
    return (today - first_dose_on).days + 1


def days_in_treatment(first_dose_on: date | None, today: date, admission_day_number: int) -> int:
    """Days in treatment for take-home doses: the episode's first dose day is day 0 or day 1 (policy)."""
    return treatment_day(first_dose_on, today) - 1 + admission_day_number
