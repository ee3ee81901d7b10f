"""How long a double submit of one form can take to arrive (`SAME_FORM_WINDOW`): the one window every write
that has no key of its own tells a second press of the same form by (review 26b H12: the emergency
disclosure; review 36h hole 3: an instrument's result). Not a clinical number: the same facts sent again by
the same person after it are a new record."""

from __future__ import annotations

from datetime import timedelta

SAME_FORM_WINDOW = timedelta(minutes=2)
