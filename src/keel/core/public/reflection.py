"""'Why it happens': a short reflection on one's own risk and protective factors. Stores nothing.

Factors from NIDA's Drugs, Brains, and Behavior (`nida-dbb`: genes account for about half of the risk; mental
health conditions, early use and the people around you matter; protective factors lower risk) and the CDC's
work on adverse childhood experiences (`cdc-aces`).
"""

from __future__ import annotations

from dataclasses import dataclass

RISKS = ("family", "trauma", "mental_health", "stress", "people", "early_use", "pain_pills")
PROTECTIONS = ("support", "stable_home", "purpose", "mental_health_care", "safe_people", "coping")
SOURCES = ("nida-dbb", "cdc-aces")


@dataclass(frozen=True)
class Reflection:
    risks: tuple[str, ...]
    protections: tuple[str, ...]
    sources: tuple[str, ...] = SOURCES

    @property
    def summary(self) -> str:
        """more_risk, balanced, more_protection or none (how the two lists compare, nothing more)."""
        if not self.risks and not self.protections:
            return "none"
        if len(self.risks) > len(self.protections):
            return "more_risk"
        if len(self.risks) < len(self.protections):
            return "more_protection"
        return "balanced"


def reflect(chosen: list[str]) -> Reflection:
    picked = set(chosen)
    return Reflection(tuple(r for r in RISKS if r in picked), tuple(p for p in PROTECTIONS if p in picked))
