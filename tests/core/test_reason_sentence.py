"""Lane shape24: the refusal sentence `REASON_NO_SUBSTANCE` says the rule `reason_problem` applies ("at least
3 words, or 2 words if one is a clinical word"), and the API's descriptions of a reason field say it from
there."""

import pytest
from django.utils import translation

from keel.core.rules.window import (
    REASON_MIN_SUBSTANCE,
    REASON_MIN_WORDS,
    REASON_NO_SUBSTANCE,
    _terse_shapes,
    reason_problem,
)
from keel.core.text import skeleton, words_of
from keel.sharing.schemas import EmergencyIn
from keel.treatment.schemas import LastUseCorrectionIn

PASSING = [
    "spat out",
    "Opioid overdose",
    "dose spilled",
    "typo in mg",
    "lost her phone",
    "Patient unconscious in ED, needs methadone dose confirmed",
]


@pytest.mark.parametrize("reason", PASSING)
def test_what_passes_is_what_the_sentence_says(reason: str) -> None:
    assert reason_problem(reason) == ""
    words = {skeleton(w) for w in words_of(reason) if len(w) >= 2}
    clinical = words & _terse_shapes()
    assert len(words) >= REASON_MIN_WORDS or (len(words) >= REASON_MIN_SUBSTANCE and clinical), reason


@pytest.mark.parametrize("reason", ["now", "lost phone", "gave dose ok", "overdose lol"])
def test_a_short_reason_is_refused_with_the_sentence(reason: str) -> None:
    assert reason_problem(reason) == REASON_NO_SUBSTANCE


def test_the_api_descriptions_say_the_sentence() -> None:
    for schema in (EmergencyIn, LastUseCorrectionIn):
        description = schema.model_fields["reason"].description
        assert description is not None and description.endswith(REASON_NO_SUBSTANCE), schema


def test_the_sentence_is_said_in_spanish_and_is_no_reason() -> None:
    with translation.override("es"):
        spanish = translation.gettext(REASON_NO_SUBSTANCE)
    assert spanish != REASON_NO_SUBSTANCE
    assert reason_problem(spanish) != ""
    assert reason_problem(REASON_NO_SUBSTANCE) != ""
