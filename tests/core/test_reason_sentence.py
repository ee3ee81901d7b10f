"""Lane shape24, with lane fix24r's refusals: the refusal sentence `REASON_NO_SUBSTANCE` says the rule
`reason_problem` applies, each refusal is one of the check's own sentences, and the API's descriptions of a
reason field say the rule from one place (`REASON_FIELD_HELP`)."""

import pytest
from django.utils import translation

from keel.core.reasons import (
    REASON_FIELD_HELP,
    REASON_HINTS,
    REASON_MIN_SUBSTANCE,
    REASON_MIN_WORDS,
    REASON_NO_SUBSTANCE,
    reason_problem,
)
from keel.core.reasons.vocabulary import _terse_shapes
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


def test_a_short_reason_of_too_few_words_is_refused_with_the_sentence() -> None:
    assert reason_problem("lost phone") == REASON_NO_SUBSTANCE


@pytest.mark.parametrize("reason", ["now", "gave dose ok", "overdose lol"])
def test_a_short_reason_is_refused_with_one_of_the_checks_sentences(reason: str) -> None:
    """Lane fix24r (review 24r hole 10): each refusal names what failed (Keel's own words, a filler, too few
    words), never a measure the text already meets: one of the check's own sentences (`REASON_HINTS`)."""
    assert reason_problem(reason) in REASON_HINTS


def test_the_api_descriptions_say_the_rule_from_one_place() -> None:
    for schema in (EmergencyIn, LastUseCorrectionIn):
        description = schema.model_fields["reason"].description
        assert description is not None and description.endswith(REASON_FIELD_HELP), schema


def test_the_sentence_is_said_in_spanish_and_is_no_reason() -> None:
    with translation.override("es"):
        spanish = translation.gettext(REASON_NO_SUBSTANCE)
    assert spanish != REASON_NO_SUBSTANCE
    assert reason_problem(spanish) != ""
    assert reason_problem(REASON_NO_SUBSTANCE) != ""
