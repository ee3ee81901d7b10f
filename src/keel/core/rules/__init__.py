"""Clinical decision rules: pure, versioned functions that return a Decision with reasons, sources and the
policy values used. Callable statelessly: `keel rule NAME --input JSON`, `POST /api/v1/rules/{name}`."""

from __future__ import annotations

from keel.core.rules import buprenorphine, early_warning, methadone, naltrexone, overdose, qtc
from keel.core.rules.base import AnyRule

_ALL: tuple[AnyRule, ...] = (  # rules of every input and policy type
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
RULES: dict[str, AnyRule] = {rule.name: rule for rule in _ALL}


class UnknownRule(KeyError):
    def __str__(self) -> str:
        return f"unknown rule {self.args[0]!r}; known: {', '.join(sorted(RULES))}"


def get(name: str) -> AnyRule:
    if name not in RULES:
        raise UnknownRule(name)
    return RULES[name]
