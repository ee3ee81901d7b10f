"""Clinical decision rules: pure, versioned functions that return a Decision with reasons, sources and the
policy values used. Callable statelessly: `keel rule NAME --input JSON`, `POST /api/v1/rules/{name}`."""

from __future__ import annotations

from typing import Any

from keel.core.rules import buprenorphine, early_warning, methadone, naltrexone, overdose, qtc
from keel.core.rules.base import Rule

RULES: dict[str, Rule[Any, Any]] = {  # rules of every input and policy type
    rule.name: rule
    for rule in (
        buprenorphine.READINESS,
        buprenorphine.DOSE_LIMIT,
        buprenorphine.HOME_START,
        methadone.DOSE_CHECK,
        methadone.TAKE_HOME,
        naltrexone.READINESS,
        qtc.QTC,
        overdose.OVERDOSE,
        early_warning.EARLY_WARNING,
    )
}


class UnknownRule(KeyError):
    def __str__(self) -> str:
        return f"unknown rule {self.args[0]!r}; known: {', '.join(sorted(RULES))}"


def get(name: str) -> Rule[Any, Any]:
    if name not in RULES:
        raise UnknownRule(name)
    return RULES[name]
