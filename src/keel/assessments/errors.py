"""Errors of a correction of an assessment (review 33c hole 4), raised by the services and said by the
pages and the API: a bad field (422 naming it) and a second "entered in error" (409)."""

from __future__ import annotations

from keel.core.rules.inputs import FieldsInvalid
from keel.recovery.common import StaleEdit


class AssessmentInvalid(FieldsInvalid):
    """Bad input to a correction of an assessment: each field named as the client sent it (422)."""


class AlreadyEnteredInError(StaleEdit):
    """The result was already marked entered in error (by another hand, or a double submit): nothing follows
    it, so a second mark or a correction of it is refused (409, naming `entered_in_error`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="entered_in_error")


class CorrectionChanged(StaleEdit):
    """The result was corrected since the writer read it (lane fix33h, review 33e hole 2): a correction from
    a page opened before would put back the answers the other one fixed; refused (409, naming
    `correction_version`) so the writer sees the answers in force first."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="correction_version")
