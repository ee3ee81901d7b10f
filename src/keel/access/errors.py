"""The one "not allowed" error: a caller the access policy lets see a record (or none) but not do this.

Each app's own refusal (`keel.patients.errors.NotAllowed`, `ClinicalNotAllowed` below,
`keel.accounts.staff.NotAllowed`, ...) subclasses `NotAllowed`, keeping its own other bases (Django's
`PermissionDenied`, so that a page answers 403, or `PermissionError`), so an app's code still catches its own
kind. The JSON API answers every one of them with one handler (`keel.api.on_not_allowed`): 403, the error's
message as the body's `message`. The denial itself is audited where it is raised, never here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class NotAllowed(Exception):
    """The caller's role (or relation to the record) may not take this action: 403 on the API."""


class ClinicalNotAllowed(NotAllowed, PermissionDenied):
    """The record is in scope but this role may not do this clinical action to it (a patient filing COWS, a
    nurse writing an order): a page answers 403 (Django's `PermissionDenied`), the API 403. Raised by the
    assessments and treatment apps alike (`keel.assessments.services.NotAllowed` is this class)."""
