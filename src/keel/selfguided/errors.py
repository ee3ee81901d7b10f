"""Errors of an account of one's own that both its services and its queries raise."""

from __future__ import annotations

from keel.core.rules.inputs import FieldsInvalid


class SelfGuidedInvalid(FieldsInvalid):
    """Bad input to a self-guided account operation; each field is named."""


class TooManyTries(Exception):
    """Too many codes tried from this account lately."""
