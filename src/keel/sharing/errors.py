"""The sharing refusals, raised by its services and its queries alike (so neither imports the other for
them)."""

from __future__ import annotations

from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.core.rules.inputs import FieldsInvalid


class SharingInvalid(FieldsInvalid):
    """Bad or refused input to a consent, a disclosure or an emergency access, each field named."""


class SharingNotAllowed(AccessNotAllowed):
    """The caller's role may not do this (audited as a denial)."""
