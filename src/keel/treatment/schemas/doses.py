"""The treatment API's doses at the window: a dose recorded or held, its corrections (amendments), a
prescriber's overrides, XR-naltrexone injections, and the dosing list's rows; and their bodies.
"""

from __future__ import annotations

from typing import TypedDict

from pydantic import Field

from keel.core import episodes
from keel.schemas import In, Out
from keel.treatment import queries
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
)
from keel.treatment.schemas.decisions import ReasonOut, StoredDecision

# correction 9: the machine's day and the day every screen shows, side by side
TREATMENT_DAY = (
    "1 on the first dose day of this episode; the day-1 / day-2 limits read it (a naltrexone injection's: "
    "the days since the last injection, 1 for the first)"
)
DAY_IN_TREATMENT = (
    "the day in treatment every screen shows: treatment_day counted from the program's admission day number "
    "(0 or 1, take-home policy `admission_day_number`)"
)


class AmendmentOut(Out):
    corrected_mg: str | None  # decimal text; null: a void
    voided: bool
    reason: str
    at: str  # ISO datetime


class DoseOut(Out):
    id: int
    date: str  # the local date, ISO
    sequence: int
    status: str
    amount_mg: str  # decimal text, as given
    effective_mg: str  # decimal text, after corrections
    treatment_day: int | None = Field(description=TREATMENT_DAY)
    day_in_treatment: int | None = Field(description=DAY_IN_TREATMENT)
    decision: StoredDecision
    override_id: int | None
    redose_override_id: int | None = Field(
        default=None,
        description="the early re-dose override that lifted the re-dose interval for this dose (beside "
        "`override_id`, a limit override, when the dose needed both)",
    )
    amendments: list[AmendmentOut]
    correction_version: int = Field(
        description="the version of this dose's corrections: send it as `correction_version` with a "
        "correction or void (the id of the correction in force, 0 for none)"
    )
    recorded_at: str  # ISO datetime

    @classmethod
    def of(cls, d: DoseRecord, admission_day_number: int) -> DoseOut:
        """The dose, its day in treatment counted from `admission_day_number` (`take_homes`)."""
        return cls(**_dose_fields(d, admission_day_number))


class DoseRecordedOut(Out):
    """Lane tok27 (review 26a's principle): a dose recorded by a staff member's API token (a dispensing
    system), answered with what the system needs to reconcile the dose it gave and to have a person correct
    it: never the order's decision, the treatment day, the corrections or an override, which stay in Keel
    where a staff member signed in reads them (`api_auth.may_hear_the_record` chooses)."""

    id: int
    date: str  # the local date, ISO
    sequence: int
    status: str
    amount_mg: str  # decimal text, as given
    recorded_at: str  # ISO datetime

    @classmethod
    def of(cls, d: DoseRecord) -> DoseRecordedOut:
        return cls(
            id=d.pk,
            date=d.local_date.isoformat(),
            sequence=d.sequence,
            status=d.status,
            amount_mg=str(d.amount_mg),
            recorded_at=d.recorded_at.isoformat(),
        )


class _DoseFields(TypedDict):
    """`DoseOut`'s fields of a dose (`InjectionOut`'s with its site)."""

    id: int
    date: str
    sequence: int
    status: str
    amount_mg: str
    effective_mg: str
    treatment_day: int | None
    day_in_treatment: int | None
    decision: StoredDecision
    override_id: int | None
    redose_override_id: int | None
    amendments: list[AmendmentOut]
    correction_version: int
    recorded_at: str


def _dose_fields(d: DoseRecord, admission_day_number: int) -> _DoseFields:
    return {
        "id": d.pk,
        "date": d.local_date.isoformat(),
        "sequence": d.sequence,
        "status": d.status,
        "amount_mg": str(d.amount_mg),
        "effective_mg": str(queries.effective_mg(d)),
        "treatment_day": d.treatment_day,
        "day_in_treatment": episodes.counted_day(d.treatment_day, admission_day_number),
        "decision": d.decision,
        "override_id": d.override_id,
        "redose_override_id": d.redose_override_id,
        "amendments": [
            AmendmentOut(
                corrected_mg=None if a.corrected_mg is None else str(a.corrected_mg),
                voided=a.voided,
                reason=a.reason,
                at=a.amended_at.isoformat(),
            )
            for a in d.amendments.all()
        ],
        "correction_version": queries.correction_version(d),
        "recorded_at": d.recorded_at.isoformat(),
    }


class InjectionOut(DoseOut):
    site: str  # left_gluteal | right_gluteal

    @classmethod
    def of(cls, d: DoseRecord, admission_day_number: int) -> InjectionOut:
        return cls(**_dose_fields(d, admission_day_number), site=d.site)


class AmendmentSavedOut(Out):
    """The correction just saved, with what it changed of the take-home bottles (review 22t hole 4: taken
    back, who to call; kept back; handed out), each its reason and source ids."""

    id: int
    dose_id: int
    voided: bool
    reason: str
    warnings: list[ReasonOut]

    @classmethod
    def saved(cls, a: DoseAmendment) -> AmendmentSavedOut:
        return cls(
            id=a.pk,
            dose_id=a.dose_id,
            voided=a.voided,
            reason=a.reason,
            warnings=[ReasonOut(text=r.text, sources=list(r.sources)) for r in a.warnings],
        )


class OverrideSavedOut(Out):
    id: int
    date: str  # ISO date
    max_total_mg: str  # decimal text ("0" for an hours, start or interval override)


class OverrideOut(OverrideSavedOut):
    reason: str


class DosingRowOut(Out):
    patient_id: int
    name: str
    medication: str
    ordered_mg: str  # decimal text
    status: str  # due, given, held, take_home
    given_today_mg: str  # decimal text
    treatment_day: int | None = Field(description=TREATMENT_DAY)
    day_in_treatment: int | None = Field(description=DAY_IN_TREATMENT)
    missed_days_in_a_row: int
    next_sequence: int
    last_dose: str | None  # ISO date
    take_home_max_days: int | None
    open_flags: int


class DoseIn(In):
    amount_mg: object = Field(  # a JSON number or text ("30.5"): the service reads it, with its own words
        default=None,
        description="the amount given (mg); required unless sedated (never the ordered dose by default)",
    )
    sequence: int | None = Field(
        default=None,
        description="required: the dose slot of the day (1 for the first); a recorded slot again is a 409",
    )
    sedated: bool = Field(default=False, description="sedated or intoxicated now: the dose is held")
    medication: str = Field(default="methadone", description="methadone or buprenorphine")
    given_at: object = Field(  # ISO text, read by the service ("a date and time like ...")
        default=None, description="when it was given, if earlier today (with its time zone)"
    )
    bottle_returned: bool = Field(
        default=False,
        description="today is a take-home day and today's bottle was returned unopened (else refused, 422)",
    )


class AmendmentIn(In):
    corrected_mg: object = None  # as a dose's amount_mg: read by the service
    void: bool = False
    reason: str
    correction_version: object = Field(  # read by the service: left out, 422 naming it
        default=None,
        description="required: the version of the dose's corrections you read, its `correction_version` "
        "(GET /patients/{id}/medication: the id of the correction in force, 0 for none). A whole number, "
        "else 422; a correction or void written since refuses this one (409 naming correction_version, "
        "nothing written): read the dose again before you correct it",
    )


class OverrideIn(In):
    max_total_mg: object = None  # as a dose's amount_mg: read by the service
    reason: str
    medication: str = Field(
        default="methadone", description="methadone or buprenorphine; naltrexone_xr for kind interval"
    )
    kind: str = Field(
        default="limit",
        description=(
            "limit: past a dose limit today; start: a first buprenorphine dose before 'ready'; "
            "hours: a dose outside the dosing window's hours (no max_total_mg); interval: an XR-naltrexone "
            "injection sooner than the program's minimum interval (no max_total_mg); switch: methadone the "
            "same day as buprenorphine given here (medication methadone, no max_total_mg); redose: a dose of "
            "methadone or buprenorphine sooner than the program's re-dose interval (a split dose, a re-dose "
            "after reassessment; no max_total_mg). A limit override does not lift the re-dose interval"
        ),
    )


class InjectionIn(In):
    site: str = Field(description="left_gluteal or right_gluteal (alternate)")
    naloxone_challenge_negative: bool = Field(
        default=False, description="a naloxone challenge was done today and brought on no withdrawal"
    )
