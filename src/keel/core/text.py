"""Text a person typed, as a reader sees it: the one measure of how much of it is visible.

A typed reason's minimum ("describe the emergency (at least 10 characters)", an override's reason of
substance, a disclosure's purpose) stands for accountability: someone wrote why. Whitespace folding alone lets
a reason be made of characters no one sees: zero-width spaces and joiners (Cf), the byte order mark (Cf),
right-to-left and left-to-right marks (Cf), controls (Cc), no-break and other spaces (Zs), line and paragraph
separators (Zl, Zp), combining marks with nothing under them (Mn, Mc, Me), unassigned, private-use and
surrogate code points (Cn, Co, Cs), and the few letters and symbols drawn as blanks (the Hangul fillers, the
blank braille pattern, the musical null notehead). `visible_length` counts what is left, a run
of spaces between two visible characters counting as the one space whitespace folding leaves (so ordinary text
measures as `len(" ".join(text.split()))` did); every typed reason's minimum in Keel is measured with it
(review 19b: twelve zero-width spaces passed the emergency's 10-character minimum). Emoji count: a person may
write one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = [
    "INVISIBLE_CATEGORIES",
    "mixed_script_words",
    "shown_text",
    "skeleton",
    "visible_length",
    "words_of",
]

# Characters that draw nothing on their own: format, control, space and separator characters, and marks
# (which draw only on the character before them, so they add nothing a reader counts).
# Code points no font draws at all: unassigned (Cn), private use (Co) and surrogates (Cs) (review 19d).
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Mc", "Me", "Cn", "Co", "Cs"})
# Letters and symbols that fonts draw blank (their categories say visible): Hangul fillers, braille blank,
# the musical null notehead (U+1D159, review 19d).
_SPACES = frozenset({"Zs", "Zl", "Zp"})
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\U0001d159")


def visible_length(text: object) -> int:
    """How many characters of `text` a reader sees (0 for anything that is not text), a run of spaces
    between visible characters counted once: "found unresponsive" is 18, "\u200b" * 12 is 0, "e" and a
    combining accent is 1, "a\u200bb" is 2, "a\u00a0\u00a0b" is 3, "👍" is 1."""
    if not isinstance(text, str):
        return 0
    seen = 0
    gap = False
    for c in text:
        category = unicodedata.category(c)
        if c not in _BLANK and category not in INVISIBLE_CATEGORIES:
            seen += 1 + (gap and seen > 0)
            gap = False
        elif category in _SPACES or c.isspace():
            gap = True
    return seen


# Code points that draw nothing yet are no format character (review 21y): the combining grapheme joiner, the
# variation selectors (and their supplement), the Mongolian free variation selectors; with `_BLANK`.
_IGNORABLE = frozenset(
    "\u034f\u180b\u180c\u180d\u180e\u180f"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)


def _drawn(c: str) -> bool:
    """Whether `c` stays in shown text: not a format character (Cf: zero-width spaces and joiners, the soft
    hyphen, direction marks and overrides), not a default-ignorable mark or selector, not a blank letter."""
    return unicodedata.category(c) != "Cf" and c not in _IGNORABLE and c not in _BLANK


def shown_text(text: object) -> str:
    """`text` as it is shown, compared and stored: NFKC-normalised (a full-width or ligature letter is the
    letter, an accent typed as a combining mark joins its letter) with every format character (Cf: zero-width
    spaces and joiners, the soft hyphen, the word joiner, direction marks and overrides), every
    default-ignorable selector or joiner (U+034F, variation selectors, Mongolian free variation selectors) and
    every blank letter (Hangul fillers) dropped, before and after normalising, so two words that look the same
    are the same (review 21p: "urgent" and "urgent" with a zero-width space were two words; review 21y, 21z:
    "Po\u00adlice" is "Police"). The one normalising function: every reason, name and recipient is split after
    it. "" for anything that is not text."""
    if not isinstance(text, str):
        return ""
    kept = "".join(c for c in text if _drawn(c))
    return "".join(c for c in unicodedata.normalize("NFKC", kept) if _drawn(c))


def words_of(text: object) -> list[str]:
    """The words of `shown_text(text)`, in order and case-folded: a word is a run of letters (and the marks
    on them); anything else (spaces, digits, quotes, brackets, every other punctuation and symbol) separates
    words, so `"urgent"`, `(urgent)` and `urgent` are one word, and `test1`, `test2` are both "test"."""
    words: list[str] = []
    current: list[str] = []
    for c in shown_text(text):
        category = unicodedata.category(c)
        if category.startswith("L") or (current and category.startswith("M")):
            current.append(c)
        elif current:
            words.append("".join(current).casefold())
            current = []
    if current:
        words.append("".join(current).casefold())
    return words


# Scripts whose letters look alike (Latin "e", Cyrillic U+0435, Greek U+03B5): a word mixing them is made
# to pass for another word, never typed (review 21p: "urgent" with a Cyrillic U+0435 for its "e").
_LOOK_ALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})


def _script(c: str) -> str:
    """The script of a letter as its Unicode name starts ("LATIN SMALL LETTER E": LATIN)."""
    return unicodedata.name(c, "").split(" ", 1)[0]


# Letters of other scripts (and of Latin's own extensions) drawn like a plain Latin letter: a word is
# compared by its skeleton (UTS #39's idea, a small table), so "ur\u0261ent" (script g) and "\u057drgent"
# (Armenian seh) are "urgent" (review 21y).
_SKELETON = str.maketrans(
    # Cyrillic, Greek, Armenian, then IPA and Latin extended letters; then the Latin letter each looks like
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u051b\u051d\u04cf\u04bb\u0457"
    "\u03bf\u03b1\u03bd\u03b9\u03ba\u03c1\u03c5\u03c7\u03b5\u03c4"
    "\u057d\u0585\u0578\u0570\u0581\u0566\u0561\u057c\u0574\u0584"
    "\u0261\u0251\u0269\u026a\u028f\u0274\u0280\u1d00\u1d04\u1d05\u1d07\u1d0b\u1d0d\u1d0f\u1d18\u1d1b"
    "\u1d1c\u1d20\u1d21\u1d22\u0131\u0237\u01c0\u0292",
    "aeopcyxijsdqwlhioavikpuxetuonhgqwnupgaiiynracdekmoptuvwzijl3",
)


def skeleton(word: str) -> str:
    """`word` with each letter that is drawn like a Latin one (Cyrillic, Greek, Armenian, IPA) as that Latin
    letter: two words that look the same have one skeleton ("ur\u0261ent", "\u057drgent": "urgent")."""
    return word.translate(_SKELETON)


def mixed_script_words(words: Iterable[str]) -> list[str]:
    """Those of `words` whose letters mix Latin, Cyrillic and Greek (look-alikes: "urgent" with a Cyrillic
    U+0435 for its "e"). A word in one script, or mixing others (Japanese kana and kanji), is none of them."""
    return [w for w in words if len({_script(c) for c in w if c.isalpha()} & _LOOK_ALIKE_SCRIPTS) > 1]
