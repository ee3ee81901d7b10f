"""A refused disclosure's audit reason, which the sharing services write by joining fields and the core's
refusals, is said in the reader's language on the audit page (issue #17); a reason with any part that is not
theirs is shown as written, never half translated."""

from __future__ import annotations

import pytest
from django.utils import translation

from keel.web.audit_words import reason_words

CASES = [
    ("refused: recipient_name, purpose", "rechazado; revise: destinatario, propósito"),
    ("The patient revoked this consent.", "El paciente revocó este consentimiento."),
    (
        "consent: This consent ended on 2027-05-31.",
        "consentimiento: Este consentimiento terminó el 2027-05-31.",
    ),
    ("consent: The consent does not cover: record.", "consentimiento: El consentimiento no cubre: record."),
]


@pytest.mark.parametrize(("reason", "spanish"), CASES)
def test_a_sharing_refusal_in_spanish(reason: str, spanish: str) -> None:
    with translation.override("es"):
        assert reason_words(reason) == spanish


def test_a_joined_mismatch_is_said_part_by_part() -> None:
    reason = "; ".join(
        [
            "recipient_name is not the recipient this consent names",
            "purpose is not the purpose this consent names",
        ]
    )
    with translation.override("es"):
        said = reason_words(reason)
    assert said.startswith("destinatario: ")
    assert "; propósito: " in said
    assert "consent names" not in said


@pytest.mark.parametrize(
    "reason",
    [
        "refused: recipient_name, salary",  # a field that is not one of theirs
        "recipient_name: what a person typed",  # a problem that is not the core's
        "The consent does not cover: x.; hello",
    ],
)
def test_a_reason_with_a_foreign_part_is_shown_as_written(reason: str) -> None:
    with translation.override("es"):
        assert reason_words(reason) == reason


def test_the_english_page_says_the_fields_in_words() -> None:
    with translation.override("en"):
        assert reason_words("refused: recipient_name, purpose") == "refused; check: recipient, purpose"
