"""Errors of the treatment services (shared by the policy store and the medication services)."""

from __future__ import annotations

from keel.core.rules.inputs import FieldsInvalid


class TreatmentInvalid(FieldsInvalid):
    """Bad input to a treatment write or a policy change."""
