"""The treatment API's rule decisions: a decision made now (`DecisionOut`, `Decision.as_dict()`), a decision
as a row stored it (`StoredDecision`, free-form), the rules' list and a stateless rule's body (`RuleIn`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from keel.core.decision import Decision
from keel.schemas import In, Out
from keel.treatment.schemas.policy import PolicyValue

# A decision as a row stored it (`Decision.as_dict()` of the rule version that ran then, or `{}`).
StoredDecision = dict[str, Any]


class ReasonOut(Out):
    text: str  # English; the pages translate
    sources: list[str]


class DecisionOut(Out):
    """`keel.core.decision.Decision.as_dict()`, made now."""

    rule: str
    version: str
    decision: str
    reasons: list[ReasonOut]
    sources: list[str]
    policy: dict[str, PolicyValue]  # the policy values the rule ran with
    details: dict[str, Any]  # free-form: each rule's own other outputs (max supply, due dates, factors...)

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        return cls.model_validate(decision.as_dict())


class RuleSummaryOut(Out):
    name: str
    version: str
    summary: str


class RuleIn(In):
    input: dict[str, Any] = Field(description="the rule's inputs (see GET /rules/{name})")
    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="stricter values than your program's policy, for this evaluation only (never looser)",
    )
    program: str | None = Field(default=None, description="your program's slug, if you work in several")
