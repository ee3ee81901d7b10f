"""The consent's words for people, translated: `keel.core.sharing` stores the English texts with each consent
and marks them at their source (`N_`, which `keel makemessages` reads); these helpers translate them for a
page. `tests/sharing/test_core_words_translated.py` checks that each has a Spanish translation."""

from __future__ import annotations

from django.utils.translation import gettext

from keel.core import sharing as core


def categories() -> list[tuple[str, str]]:
    """What a consent may name: the progress report's sections and the whole record."""
    return [(code, gettext(text)) for code, text in core.CONSENT_CATEGORIES.items()]


def purposes() -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in core.PURPOSES.items()]


def emergency_categories() -> list[tuple[str, str]]:
    return [(code, gettext(core.CATEGORIES[code])) for code in core.EMERGENCY_CATEGORIES]


def medical_roles() -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in core.MEDICAL_ROLES.items()]


def representatives() -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in core.REPRESENTATIVES.items()]


def representative(code: str) -> str:
    return gettext(core.REPRESENTATIVES[code]) if code in core.REPRESENTATIVES else ""


def statements() -> list[str]:
    return [gettext(s) for s in core.STATEMENTS]


def category(code: str) -> str:
    return gettext(core.CONSENT_CATEGORIES.get(code, code))


def purpose(code: str) -> str:
    return gettext(core.PURPOSES.get(code, code))
