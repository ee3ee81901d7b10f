"""The errors the patients app's writes share (its services and `keel.patients.photos`), in a module of their
own so that neither imports the other for them."""

from keel.access.errors import NotAllowed as AccessNotAllowed


class NotAllowed(AccessNotAllowed, PermissionError):
    """An in-scope action this role may not take (403, audited)."""
