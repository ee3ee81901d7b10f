from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import BaseModel, Field

from keel.assessments.models import Assessment
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
    result: ResultOut

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
            result=ResultOut.model_validate(a.result),
        )


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
