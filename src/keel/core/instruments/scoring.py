"""The one generic scorer: validate items and extra inputs, sum the ordinal values, interpret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keel.core.instruments import registry
from keel.core.instruments.interpretation import CONSISTENCY, CROSS_CHECKS, INTERPRETERS, extra_errors
from keel.core.instruments.model import InvalidAnswers, Result


def score(code: str, answers: Mapping[str, Any], extras: Mapping[str, Any] | None = None) -> Result:
    """Score one response. Raises UnknownInstrument, or InvalidAnswers naming every bad item and input."""
    instrument = registry.get(code)
    errors = instrument.item_errors(answers)
    if not errors and code in CONSISTENCY:
        errors += CONSISTENCY[code](answers)
    extra_values, extra_problems = extra_errors(code, extras or {})
    errors += extra_problems
    if not errors and code in CROSS_CHECKS:
        errors += CROSS_CHECKS[code](answers, extra_values)
    if errors:
        raise InvalidAnswers(errors)
    values = {k: int(v) for k, v in answers.items() if v is not None}
    meaning = INTERPRETERS[code](values, sum(values.values()), extra_values)
    return Result(
        instrument=instrument.code,
        version=instrument.version,
        total=meaning.total,
        band=meaning.band,
        flags=meaning.flags,
        composites=dict(meaning.composites),
        reasons=meaning.reasons,
        sources=meaning.sources,
        said=meaning.said,
    )
