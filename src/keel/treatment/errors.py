"""Errors of the treatment services (shared by the policy store and the medication services)."""

from __future__ import annotations

from keel.core.rules.inputs import InvalidInput


class TreatmentInvalid(InvalidInput):
    """Bad input to a treatment write or a policy change; fields are named as the client sent them."""
