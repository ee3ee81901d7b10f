"""The take-home review: days in treatment (counted from the episode's first observed dose), the
federal supply now, the open concerns to acknowledge (flags and missed observed doses), the closure days
to come and the bottles that count against a new supply (review 19a)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.core import episodes
from keel.core.rules.methadone import TAKE_HOME, federal_max_supply
from keel.core.rules.policy import Setting
from keel.patients.models import Patient, PatientFlag, local_today, zone_of
from keel.treatment.models import Medication
from keel.treatment.queries.contexts import dose_context
from keel.treatment.queries.policy import effective_policies, effective_policy, policy_of_rows
from keel.treatment.queries.take_home_plans import held_bottles

MISSED_CONCERN_DAYS = 7  # a missed observed dose this far back is a take-home concern (review 13d)


def take_home_days_in_treatment(patient: Patient, today: date) -> int:
    """Days in treatment for take-home doses: the one definition (`keel.core.episodes`), counted from the
    methadone episode's first observed dose, not from admission. Every screen and the API call this."""
    ctx = dose_context(patient, Medication.METHADONE, today)
    return episodes.days_in_treatment(ctx.first_dose_on, today, admission_day_number(patient))


def admission_day_number(patient: Patient) -> int:
    """Whether the episode's first dose day is day 0 or day 1 for the person's program (the take-home policy's
    `admission_day_number`): what every shown day in treatment counts from (`episodes.counted_day`)."""
    return int(effective_policy(patient, TAKE_HOME)["admission_day_number"])


def admission_day_numbers(patients: Iterable[Patient]) -> dict[int, int]:
    """`admission_day_number` of each of these people (keyed by id), read together in one statement
    (`effective_policies`): a list counts every row's day in treatment with a fixed number of statements."""
    found = effective_policies(patients, TAKE_HOME.name)
    return {pk: _day_number(policy) for pk, policy in found.items()}


# `admission_day_number` as two expressions of a statement that reads the person as `p` (the window's row,
# `queries.window.row`): the person's active override and their program's setting, as stored (NULL: none).
# `admission_day_of` answers from them what `admission_day_number` answers. Constant text only.
ADMISSION_DAY_SQL = (
    '(SELECT o."value" FROM "treatment_patientpolicyoverride" o WHERE o."patient_id" = p."id" '
    'AND o."revoked_at" IS NULL AND o."rule" = \'take-home-eligibility\' '
    "AND o.\"field\" = 'admission_day_number')",
    '(SELECT s."value" FROM "treatment_policysetting" s WHERE s."program_id" = p."program_id" '
    "AND s.\"rule\" = 'take-home-eligibility' AND s.\"field\" = 'admission_day_number')",
)


def admission_day_of(override: object, setting: object) -> int:
    """`admission_day_number` from `ADMISSION_DAY_SQL`'s two values (the override, the program's setting)."""
    stored = [(1, override), (0, setting)]
    field = "admission_day_number"
    found = [(kind, TAKE_HOME.name, field, value) for kind, value in stored if value is not None]
    return _day_number(policy_of_rows(TAKE_HOME.name, found))


def _day_number(found: Mapping[str, Setting]) -> int:
    """The policy's `admission_day_number` (a number: its bounds admit 0 or 1)."""
    value = found["admission_day_number"]
    if not isinstance(value, int | float):
        raise TypeError(f"admission_day_number is not a number: {value!r}")
    return int(value)


@dataclass(frozen=True)
class TakeHomeConcern:
    """Something open that weighs against take-homes; the prescriber acknowledges each by its id."""

    id: str
    kind: str  # a flag kind, or "missed_doses"
    raised_on: str  # ISO date


def take_home_concerns(patient: Patient, today: date) -> list[TakeHomeConcern]:
    """Every open flag (a dose held, reported use, a positive screen, missed medication...) and missed
    observed methadone doses before today: each must be acknowledged before a supply is given."""
    concerns = [
        TakeHomeConcern(str(f.pk), f.kind, f.raised_at.astimezone(zone_of(patient)).date().isoformat())
        for f in PatientFlag.objects.filter(patient=patient, resolved_at__isnull=True).order_by(
            "raised_at", "id"
        )
    ]
    ctx = dose_context(patient, Medication.METHADONE, today)
    if ctx.missed_days_in_a_row:
        last = today - timedelta(days=1)
        concerns.append(TakeHomeConcern(f"missed-{last.isoformat()}", "missed_doses", last.isoformat()))
    # Review 13d: a missed observed dose earlier in the week (not in a row up to yesterday) is a concern too:
    # regular attendance is a criterion of 42 CFR 8.12(i), and a miss three days ago is not ignored because
    # the person came back since. A take-home or closure day is not a miss.
    closed = {date.fromisoformat(d) for d in patient.program.closure_days or []}
    for back in range(ctx.missed_days_in_a_row + 1, MISSED_CONCERN_DAYS + 1):
        day = today - timedelta(days=back)
        if ctx.first_dose_on is None or day < ctx.first_dose_on:
            break
        if day not in ctx.observed and day not in ctx.take_home_days and day not in closed:
            concerns.append(TakeHomeConcern(f"missed-{day.isoformat()}", "missed_doses", day.isoformat()))
    return concerns


@dataclass(frozen=True)
class TakeHomeReview:
    """What the prescriber sees before deciding: the days in treatment, the federal supply now, the open
    concerns to acknowledge and the program's closure days still to come."""

    days_in_treatment: int
    federal_max_days: int
    concerns: list[TakeHomeConcern]
    closure_days: list[str]
    bottles_held: list[str] = field(default_factory=list)  # ISO days: counted against the supply now


def _bottles_counted(patient: Patient, today: date) -> list[str]:
    """Review 19a: the bottle days from today on that count against a new supply (`held_bottles`: the plans
    standing and the bottles handed out of plans that ended, not brought back), as the supply check reads
    them."""
    enrollment = patient.enrollments.filter(status="active").order_by("-started_on").first()
    episode = (enrollment.pk, enrollment.started_on) if enrollment is not None else None
    days = set().union(*held_bottles(patient, episode, today).values())
    return [d.isoformat() for d in sorted(days)]


def take_home_review(patient: Patient, now: datetime | None = None) -> TakeHomeReview:
    today = local_today(patient, now or timezone.now())
    days = take_home_days_in_treatment(patient, today)
    return TakeHomeReview(
        days_in_treatment=days,
        federal_max_days=federal_max_supply(days),
        concerns=take_home_concerns(patient, today),
        closure_days=[d for d in sorted(patient.program.closure_days or []) if d >= today.isoformat()],
        bottles_held=_bottles_counted(patient, today),
    )


def take_home_review_for(user: User, *, patient_id: int, now: datetime | None = None) -> TakeHomeReview:
    """The review, read through the policy (clinical area, audited)."""
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="take_home_review")
    return take_home_review(patient, now)
