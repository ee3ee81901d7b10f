"""The audit page says "through emergency access" once: a marked row whose reason is only the services'
default "emergency access" shows the mark alone; any other reason is shown as written, with the mark after
it. The mark comes from the sealed field only (review 18b): typed text proves nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from keel.web.audit_words import event_row


def _row(reason: str, marked: bool) -> dict[str, Any]:
    event = SimpleNamespace(
        id=1,
        occurred_at=None,
        actor_id=3,
        actor_role="nurse",
        action="read",
        target_type="patient",
        target_id=1,
        patient_id=1,
        outcome="done",
        reason=reason,
        through_emergency=marked,
    )
    return event_row(event)


def test_a_marked_default_reason_is_not_repeated() -> None:
    assert _row("emergency access", marked=True)["reason"] == ""


def test_a_marked_default_reason_keeps_its_mark() -> None:
    assert _row("emergency access", marked=True)["emergency"] == "through emergency access"


def test_a_marked_row_with_its_own_reason_keeps_the_reason() -> None:
    assert _row("dose refused: held today", marked=True)["reason"] != ""


def test_typed_emergency_words_on_an_unmarked_row_are_shown_as_written() -> None:
    assert _row("emergency access", marked=False)["reason"] != ""


def test_typed_emergency_words_on_an_unmarked_row_carry_no_mark() -> None:
    assert _row("emergency access", marked=False)["emergency"] == ""
