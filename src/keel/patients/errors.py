"""The errors the patients app's writes share (its services and `keel.patients.photos`), in a module of their
own so that neither imports the other for them."""


class NotAllowed(PermissionError):
    """An in-scope action this role may not take (403, audited)."""
