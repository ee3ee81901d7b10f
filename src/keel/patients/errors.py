"""The errors the patients app's writes share (its services and `keel.patients.photos`), in a module of their
own so that neither imports the other for them."""

from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.core.words import gettext_noop as N_


class NotAllowed(AccessNotAllowed, PermissionError):
    """An in-scope action this role may not take (403, audited)."""


# Lane fix38b: a code voided as it is stored (`common.store_one_live_code`) is never handed to the desk.
CODE_NOT_MADE = N_("The code could not be made. No code was given: try again.")


class CodeNotMade(Exception):
    """A desk code (activation, password reset, self-guided link) voided as it was stored, its giver having
    lost the record meanwhile (the CREATE row's `voided_at_store`, lane fix37l; the service's `made` False):
    it never works, so it is not shown. Raised by the adapters once the transaction that stored and voided it
    is committed (the trail keeps both): the API answers 409 (`keel.api`), the pages 409 with the words, the
    command line exits 1."""

    def __init__(self) -> None:
        super().__init__(CODE_NOT_MADE)
