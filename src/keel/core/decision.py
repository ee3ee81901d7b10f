"""The shape every clinical recommendation returns: a verdict with its reasons and source ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """One step of a decision, in plain words, with the ids of the sources behind it."""

    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """A rule's output: what it recommends, why, from which sources, and the policy values it used."""

    rule: str
    version: str
    decision: str
    reasons: tuple[Reason, ...]
    policy: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # other outputs (e.g. max supply, due dates, flags)

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for reason in self.reasons:
            for source in reason.sources:
                seen.setdefault(source, None)
        return tuple(seen)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "version": self.version,
            "decision": self.decision,
            "reasons": [{"text": r.text, "sources": list(r.sources)} for r in self.reasons],
            "sources": list(self.sources),
            "policy": dict(self.policy),
            "details": dict(self.details),
        }
