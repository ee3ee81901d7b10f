"""Marking the core's plain words for translation without Django.

The core returns English text (the API's language) and, for reasons shown on pages, the template and its
parameters (`keel.core.decision.Reason.said`). `gettext_noop` here has the name Django's `makemessages` looks
for, so the templates and the words used as parameters (an opioid's name, say) land in the Spanish catalogue;
the pages translate them with Django's gettext. It returns its argument unchanged.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """`message`, unchanged; the call marks it for the translation catalogue."""
    return message
