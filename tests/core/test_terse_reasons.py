"""Lane fix23e: a terse reason passes only when every word of substance carries meaning (`reason_problem`):
a clinical word beside any other word is no reason."""

import pytest

from keel.core.reasons import reason_problem


@pytest.mark.parametrize("reason", ["overdose lol", "fentanyl yes", "dose thing", "wrong one", "typo fix"])
def test_a_clinical_word_beside_any_word_is_refused(reason: str) -> None:
    assert reason_problem(reason) != ""


@pytest.mark.parametrize(
    "reason",
    [
        "Opioid overdose",
        "Fentanyl overdose",
        "Sobredosis, inconsciente",
        "Overdose, unresponsive",
        "wrong patient",
        "pharmacy count",
        "vomited dose",
        "dose spilled",
        "entered twice",
        "spat out",
    ],
)
def test_a_terse_reason_whose_words_all_carry_meaning_passes(reason: str) -> None:
    assert reason_problem(reason) == ""


@pytest.mark.parametrize("reason", ["out back", "extra half", "doble media"])
def test_modifiers_alone_are_no_reason(reason: str) -> None:
    assert reason_problem(reason) != ""


@pytest.mark.parametrize("reason", ["gave dose ok", "dose TBD", "overdose later"])
def test_a_filler_beside_clinical_words_is_no_terse_reason(reason: str) -> None:
    assert reason_problem(reason) != ""


def test_a_word_that_only_joins_clinical_words_is_kept() -> None:
    assert reason_problem("typo in mg") == ""
