from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import BaseModel, Field

from keel.assessments.models import Assessment, AssessmentCorrection
from keel.schemas import In, IsoDateTime


class ScoreIn(In):
    answers: dict[str, Any] = Field(description="item linkId -> answer value (the option's ordinal value)")
    extras: dict[str, Any] = Field(default_factory=dict, description="inputs some instruments need, e.g. sex")


class AssessmentIn(ScoreIn):
    instrument: str = Field(max_length=32)
    filled_at: IsoDateTime | None = Field(default=None, description="when it was administered (default: now)")


class BandOut(BaseModel):
    code: str
    label: str


class ResultOut(BaseModel):
    # Extra keys ignored, not forbidden: a result as scored or stored may carry `said` (reasons as templates),
    # which the API does not send.

    instrument: str
    version: str
    total: int | None
    band: BandOut | None
    flags: list[str]
    composites: dict[str, int]
    reasons: list[str]
    sources: list[str]


class AssessmentCorrectionIn(In):
    entered_in_error: bool = Field(
        default=False,
        description="true: the result was entered in error (the wrong person, the wrong form) and no longer "
        "stands; nothing can follow it",
    )
    answers: dict[str, object] | None = Field(
        default=None,
        description="the corrected answers, every item (scored again); not with entered_in_error",
    )
    extras: dict[str, object] | None = Field(
        default=None,
        description="the corrected inputs (default: those in force, the latest correction's or as entered)",
    )
    reason: str = Field(description="why the result is corrected: what was wrong (required)")
    correction_version: int = Field(
        ge=0,
        description="required: the version of the result you read, as the assessment gives it "
        "(`correction_version`: the id of the correction in force, 0 for none). A correction written since "
        "refuses this one (409: read the result again, then correct it); left out, 422 naming "
        "correction_version (clin34)",
    )


class AssessmentCorrectionOut(BaseModel):
    id: int
    assessment_id: int
    entered_in_error: bool
    total: int | None
    band: str
    corrected_by_id: int
    corrected_by_role: str = Field(
        description="the corrector's role when she corrected it (a role code); empty for a correction made "
        "before Keel kept it (review 35d)"
    )
    corrected_at: datetime

    @classmethod
    def of(cls, c: AssessmentCorrection) -> AssessmentCorrectionOut:
        return cls(
            id=c.pk,
            assessment_id=c.assessment_id,
            entered_in_error=c.entered_in_error,
            total=c.total,
            band=c.band,
            corrected_by_id=c.corrected_by_id,
            corrected_by_role=c.corrected_by_role,
            corrected_at=c.corrected_at,
        )


class AssessmentOut(BaseModel):
    id: int
    patient_id: int
    instrument: str
    instrument_version: str
    scorer_version: str
    answers: dict[str, Any]
    extras: dict[str, Any]
    filled_at: datetime
    filled_by_id: int
    entered_at: datetime = Field(
        description="when it was entered in the record (`filled_at` is its time of scoring); lane fixrec39"
    )
    entered_late: bool = Field(
        description="a late entry: entered on a later minute than a time of scoring the author typed "
        "(AHIMA late-entry guidance, CMS Program Integrity Manual 3.3.2.5), as the result page says"
    )
    result: ResultOut  # as corrected (review 33c hole 4)
    status: str = Field(
        description="final, amended (corrected: the answers and result are the corrected ones) "
        "or entered-in-error (it no longer stands)"
    )
    correction_version: int = Field(
        description="the version of these answers: the id of the correction in force, 0 for none. Send it "
        "as `correction_version` with a correction (POST .../corrections): one written since is refused, 409"
    )

    @classmethod
    def of(cls, a: Assessment) -> AssessmentOut:
        return cls(
            id=a.pk,
            patient_id=a.patient_id,
            instrument=a.instrument,
            instrument_version=a.instrument_version,
            scorer_version=a.scorer_version,
            answers=a.answers,
            extras=a.extras,
            filled_at=a.filled_at,
            filled_by_id=a.filled_by_id,
            entered_at=a.created_at,
            entered_late=a.entered_late,
            result=ResultOut.model_validate(a.result),
            status=status_of(a),
            correction_version=a.correction.pk if a.correction is not None else 0,
        )


def status_of(a: Assessment) -> str:
    """An assessment's status as FHIR says it (read through `queries.with_corrections`)."""
    if a.entered_in_error:
        return "entered-in-error"
    return "amended" if a.corrected else "final"


class ExtraOut(BaseModel):
    name: str
    kind: str
    required: bool
    choices: list[str]
    help: str


class InstrumentOut(BaseModel):
    code: str
    version: str
    title: str
    items: int
    self_report: bool
    extras: list[ExtraOut]


class AssessmentFilter(Schema):
    instrument: str | None = None
