"""What the buprenorphine start page shows of the readiness read: the readiness card, the last-use rows and
the last-use form's fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.http import QueryDict

from keel.accounts.names import staff_name
from keel.core import intake as core_intake
from keel.core.rules.buprenorphine.timing import TimingRow
from keel.treatment import words
from keel.treatment.readiness import LastUse, ReadinessRead
from keel.treatment.views.common import (
    ago,
)


@dataclass(frozen=True)
class CorrectionShown:
    """A prescriber's correction of a time of last use: who, when, the time struck and why."""

    by: str
    on: datetime
    struck: datetime
    reason: str


@dataclass(frozen=True)
class LastUseShown:
    """One opioid's row of the readiness card: its last use (when, how long ago, where Keel knows it from,
    whether it may be corrected and the correction that gave it), the wait the rule asks and its status.
    `mine`: the row of a refused correction, open as typed."""

    code: str
    name: str
    at: datetime | None
    ago: str
    source: str
    correctable: bool
    struck: str  # the time a correction would strike, ISO ("" without one)
    correction: CorrectionShown | None
    wait: str
    status: str
    css: str  # the status's code, for the CSS class ("unknown" before a decision)
    mine: bool = False


@dataclass(frozen=True)
class CowsShown:
    """The COWS the verdict used: its total, when it was scored and how long ago, its status, and how long a
    COWS counts (program policy)."""

    total: int | None
    at: datetime
    ago: str
    status: str
    fresh_hours: float | None


@dataclass(frozen=True)
class ReadinessCard:
    """The readiness card in words: the verdict (its code only names CSS classes; "needs": not decided yet),
    its reasons and sources, each opioid's row, the COWS used, what is still needed, when the times were
    asked, and the report window (hours)."""

    code: str
    verdict: str
    reasons: list[str]
    sources: list[str]
    rows: list[LastUseShown]
    cows: CowsShown | None
    needs: list[str]
    asked_at: datetime | None
    asked_ago: str
    report_hours: float | None


def _hours(policy: Mapping[str, object], name: str) -> float | None:
    """A policy value in hours, as the card shows it; None before the policy is read."""
    value = policy.get(name)
    return value if isinstance(value, int | float) else None


def _last_use_shown(
    code: str, use: LastUse, row: TimingRow | Mapping[str, str], now: datetime
) -> LastUseShown:
    """One opioid's last use on the card: when, how long ago, from which record, its correction, and the
    wait the decision set for it (`row`: empty before a decision)."""
    fix = use.correction
    return LastUseShown(
        code=code,
        name=words.opioid(code),
        at=use.at,
        ago=ago(now - use.at) if use.at else "",
        source=str(words.SOURCES.get(use.source, "")),
        # a reported time (an intake's or a report's, corrected or not) may be corrected; the
        # program's own records may not (issue #13)
        correctable=use.at is not None and use.source in ("intake", "report", "corrected"),
        struck=use.at.isoformat() if use.at else "",
        correction=CorrectionShown(
            by=staff_name(fix.corrected_by),
            on=fix.recorded_at,
            struck=fix.struck_at,
            reason=fix.reason,
        )
        if fix is not None
        else None,
        wait=f"{row['wait_hours']:g}" if row.get("wait_hours") is not None else "",
        status=str(words.STATUS.get(row.get("status", ""), "")),
        css=row.get("status", "unknown"),
    )


def _readiness_view(read: ReadinessRead, now: datetime) -> ReadinessCard:
    """The readiness card in words: the verdict, each opioid's last use and wait, the COWS used and its age,
    and what is still needed. No codes reach the page (the codes only name CSS classes)."""
    decision = read.readiness
    details = {r["opioid"]: r for r in decision.details["opioids"]} if decision else {}
    uses = read.uses.uses if read.uses else {}
    rows = [
        _last_use_shown(code, uses[code], details.get(code, {}), now)  # {}: no decision yet
        for code in core_intake.OPIOIDS
        if code in uses
    ]
    cows = None
    if read.cows is not None:
        status = decision.details["cows"]["status"] if decision else ""
        cows = CowsShown(
            total=read.cows.total,
            at=read.cows.filled_at,
            ago=ago(now - read.cows.filled_at),
            status=str(words.SCORE_STATUS.get(status, "")),
            fresh_hours=_hours(read.policy, "cows_fresh_hours"),
        )
    asked = read.uses.asked_at if read.uses else None
    return ReadinessCard(
        code=decision.decision if decision else "needs",
        verdict=str(words.READINESS.get(decision.decision, "")) if decision else "",
        reasons=[words.reason_shown(r) for r in decision.reasons] if decision else [],
        sources=words.sources(decision),
        rows=rows,
        cows=cows,
        needs=[str(words.NEEDS[m]) for m in read.missing],
        asked_at=asked,
        asked_ago=ago(now - asked) if asked else "",
        report_hours=_hours(read.policy, "last_use_report_hours"),
    )


@dataclass(frozen=True)
class LastUseField:
    """One opioid's field of the last-use form: its code and name, what was typed (after a refused last-use
    form) and its error."""

    code: str
    name: str
    value: str
    error: str


def _last_use_rows(
    form: str, typed: QueryDict | None, field_errors: dict[str, str] | None
) -> list[LastUseField]:
    """The last-use form's rows: each opioid, what was typed (after a refused last-use form), its error."""
    return [
        LastUseField(
            code=code,
            name=name,
            value=(typed.get(f"last_{code}", "") if typed else "") if form == "last_use" else "",
            error=(field_errors or {}).get(f"last_{code}", ""),
        )
        for code, name in words.opioid_choices()
    ]
