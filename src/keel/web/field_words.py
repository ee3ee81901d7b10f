"""A field's problem in the reader's language (issue #17: the core's words marked at their source).

Keel's services and the core name each bad field in English (`FieldError.reason`: what the API, the CLI and
the audit trail carry) and mark those words for the catalogue with `N_`; a reason built from a template keeps
it (`FieldError.said`). Every page that shows a field's problem says it through `said`, so a Spanish page
never shows an English reason that has a translation."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext

from keel.core.decision import LIST_SEPARATOR
from keel.core.rules.inputs import FieldError


def said(error: FieldError) -> str:
    """The problem in the active language: the template translated with its parts, or the reason's own entry;
    a reason with no entry (what a validator said) as it is."""
    if error.template:
        try:
            return gettext(error.template) % {k: _words(v) for k, v in error.params}
        except (KeyError, ValueError, TypeError):  # a translation that lost a part: the English is right
            return error.reason
    return gettext(error.reason) if error.reason else error.reason


def _words(value: str) -> str:
    """A part of a reason in the reader's language: a list ("a; b") part by part, each its own entry (the
    convention of `keel.core.decision.Reason`); a number, a date or a code has none and stays as it is."""
    return LIST_SEPARATOR.join(gettext(part) if part else "" for part in value.split(LIST_SEPARATOR))


def by_field(errors: Iterable[FieldError]) -> dict[str, str]:
    """Each field's problem, said (the last one for a field named twice, as a dict of reasons did)."""
    return {e.field: said(e) for e in errors}


def joined(errors: Iterable[FieldError], sep: str = " ") -> str:
    return sep.join(said(e) for e in errors)
