"""The one generic scorer: validate, sum the ordinal values, interpret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keel.core.instruments import registry
from keel.core.instruments.interpretation import INTERPRETERS
from keel.core.instruments.model import Result


def score(code: str, answers: Mapping[str, Any]) -> Result:
    """Score one response. Raises UnknownInstrument or InvalidAnswers (naming every bad item)."""
    instrument = registry.get(code)
    instrument.check(answers)
    values = {
        item.link_id: int(answers[item.link_id]) for item in instrument.items if item.link_id in answers
    }
    total = sum(values.values())
    meaning = INTERPRETERS[code](values, total)
    return Result(
        instrument=instrument.code,
        version=instrument.version,
        total=total,
        band=meaning.band,
        flags=meaning.flags,
        reasons=meaning.reasons,
        sources=meaning.sources,
    )
