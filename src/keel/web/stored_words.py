"""A stored sentence read back in the reader's language (moved here from `treatment.words` by lane words35,
so that a flag's reasons and a result's read it too without an import cycle): a decision, a flag or a
result keeps each reason's English text (the API's words); a page finds the catalogue's template the text
was written from and says it with its parts put back, words translated, numbers kept. A text the catalogue
has no template for (what a person typed, an older wording it no longer holds) is shown as it was stored."""

from __future__ import annotations

import functools
import re

from django.utils.translation import get_language, trans_real
from django.utils.translation import gettext as _

from keel.core.decision import LIST_SEPARATOR


def listed_words(value: str) -> str:
    """A text parameter in the reader's language: a list ("a; b") part by part, each its own entry. An ISO day
    stays ISO here (the API's and the CLI's words); a page says it in words (`reason_shown`, lane words34)."""
    return (
        LIST_SEPARATOR.join(_(part) if part else "" for part in value.split(LIST_SEPARATOR)) if value else ""
    )


# A stored decision (a dose's check, a take-home decision, a QTc's) keeps each reason's English text only (the
# API's words); a page shows it in the reader's language by finding the catalogue's template it was written
# from. A template needs this many letters of its own (not only its parts) to be told from the others.
_PART = re.compile(r"%\((\w+)\)s")
_MIN_OWN_WORDS = 8


@functools.lru_cache(maxsize=4)
def _templates(language: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """The catalogue's templates with parts (`%(name)s`), each with the English it starts with and a pattern
    its English text matches, the ones with the most words of their own first. `language` keys the cache:
    the catalogue read is the active one."""
    catalogue = getattr(trans_real.catalog(), "_catalog", None)
    found = []
    for msgid in catalogue.keys() if catalogue is not None else ():
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        own = _PART.sub("", msgid)
        if len(own.strip()) < _MIN_OWN_WORDS or re.search(r"%(?!\(\w+\)s)", msgid):
            continue  # too little of its own, or a part other than %(name)s (never a stored reason's)
        pieces = _PART.split(msgid)  # literal, name, literal, name, ..., literal
        pattern = "".join(
            re.escape(piece)
            if i % 2 == 0
            else f"(?P<{piece}>.+?)"
            if piece not in pieces[1:i:2]
            else f"(?P={piece})"
            for i, piece in enumerate(pieces)
        )
        found.append((len(own), pieces[0], msgid, re.compile(pattern, re.DOTALL)))
    found.sort(key=lambda t: -t[0])
    return tuple((start, msgid, pattern) for _own, start, msgid, pattern in found)


@functools.lru_cache(maxsize=2048)
def _stored_text(language: str, text: str) -> str:
    whole = _(text)
    if whole != text:
        return whole
    for start, msgid, pattern in _templates(language):
        if not text.startswith(start):
            continue
        matched = pattern.fullmatch(text)
        if matched is None:
            continue
        try:
            return _(msgid) % {k: listed_words(v) for k, v in matched.groupdict().items()}
        except (KeyError, TypeError, ValueError):  # a translation with a broken part: the English is right
            return text
    return text


def stored_reason_text(reason: object) -> str:
    """A stored decision's reason (`{"text": ..., "sources": [...]}`) in the reader's language: its English
    text read back through the catalogue's template it was written from (its parts, words or numbers, put
    back in their places); a text the catalogue has no template for (what a person typed, an older wording)
    as it was stored. Never a code: a reason that is not a mapping with a text shows nothing."""
    text = reason.get("text") if isinstance(reason, dict) else None
    if not isinstance(text, str) or not text:
        return ""
    language = get_language() or "en"
    if language.split("-")[0] == "en":
        return text
    return _stored_text(language, text)
