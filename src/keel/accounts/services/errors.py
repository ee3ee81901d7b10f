"""The error every account operation raises on bad input (`AccountError`), said in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext

from keel.core.rules.inputs import FieldError


class AccountError(Exception):
    """Bad input to an account operation; `field` names what was wrong. `message` says it in English (the
    CLI's words, the API's to an English reader); `said()` in the active language: `message` is then words
    marked `N_` with %(name)s parts given as `params`."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        self.template = message
        self.params = {key: f"{value}" for key, value in params.items()}
        self.message = message % self.params if params else message
        super().__init__(f"{field}: {self.message}")
        self.field = field

    def said(self) -> str:
        """The problem in the active language (its English where the catalogue has no entry for it)."""
        try:
            return gettext(self.template) % self.params if self.params else gettext(self.template)
        except (KeyError, ValueError, TypeError):  # a translation that lost a part: the English is right
            return self.message

    def field_error(self) -> FieldError:
        """The same problem as a `FieldError` (its words said on a page, or in the API's 422, by `said`)."""
        if self.params:
            return FieldError(self.field, self.message, self.template, tuple(self.params.items()))
        return FieldError(self.field, self.message)
