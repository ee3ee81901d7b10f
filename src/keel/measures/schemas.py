"""What the measures API sends: `queries.Report.as_dict` (the dict the CLI's --json prints too), with every
count that is 1-10, and every cell it could be worked out from, as the text "<11" unless raw counts were
asked for. The schemas forbid extra keys, so a key added to that dict and not here fails loudly instead of
leaving the API silently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ninja import Schema
from pydantic import Field

from keel.schemas import Out

Suppressed = Literal["<11"]  # queries.SUPPRESSED: a small count, or a cell it could be worked out from
Count = int | Suppressed
Figure = float | Suppressed | None  # a percent or median days; null: nothing to compute it from


class MonthOut(Out):
    month: str  # YYYY-MM
    numerator: Count
    denominator: Count
    pending: Count
    percent: Figure
    median_days: Figure  # the days measure only


class MeasureOut(Out):
    code: str
    title: str
    version: str
    unit: Literal["percent", "days"]
    value: Figure
    numerator: Count
    denominator: Count
    pending: Count
    excluded: dict[str, Count]  # people left out, by reason
    params: dict[str, int | str]  # the window, the gap and the days, as the measure ran
    sources: list[str]
    definition: str
    series: list[MonthOut]


class MeasuresOut(Out):
    program: str  # slug
    as_of: str  # ISO date
    start: str  # ISO date
    end: str  # ISO date
    people: Count
    small_counts: str  # "raw", or the suppression rule in words
    measures: list[MeasureOut]

    @classmethod
    def of(cls, body: Mapping[str, object]) -> MeasuresOut:
        return cls.model_validate(body)


class WindowIn(Schema):
    start: str | None = Field(
        None, description="first day of the window (YYYY-MM-DD; default: 11 months ago, 1st)"
    )
    end: str | None = Field(
        None, description="last day of the window (YYYY-MM-DD; default and latest: today)"
    )
    max_gap: str | None = Field(
        None, description="longest gap in medication, in days, that keeps an episode going"
    )
    counts: str | None = Field(
        None,
        description='"raw": counts from 1 to 10 unsuppressed (recorded on the audit row); otherwise they '
        'and the cells they could be worked out from are "<11" (CMS cell-size rule)',
    )
