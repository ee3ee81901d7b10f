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
from functools import cache

from confusable_homoglyphs import categories as _categories
from confusable_homoglyphs import confusables as _confusables

__all__ = [
    "INVISIBLE_CATEGORIES",
    "mixed_script_words",
    "script_of",
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


def words_of(text: object, *, glued_to_digits: bool = True) -> list[str]:
    """The words of `shown_text(text)`, in order and case-folded: a word is a run of letters (and the marks
    on them); anything else (spaces, digits, quotes, brackets, every other punctuation and symbol) separates
    words, so `"urgent"`, `(urgent)` and `urgent` are one word, and `test1`, `test2` are both "test". With
    `glued_to_digits=False`, letters touching a digit are part of a number, a unit or a code, no word: "1st",
    "2nd", "10mg", "test1", "l3sson" (review 22p)."""
    words: list[str] = []
    current: list[str] = []
    glued = False
    previous = ""
    for c in shown_text(text) + " ":
        category = unicodedata.category(c)
        if category.startswith("L") or (current and category.startswith("M")):
            glued = glued or (not current and previous == "Nd")
            current.append(c)
        else:
            if current and (glued_to_digits or not (glued or category == "Nd")):
                words.append("".join(current).casefold())
            current = []
            glued = False
        previous = category
    return words


def script_of(c: str) -> str:
    """The script of a character as Unicode's Scripts.txt names it ("LATIN", "CYRILLIC", "LISU", "HAN",
    "HIRAGANA"; "COMMON" for digits and punctuation, "INHERITED" for most combining marks), read from the data
    `confusable_homoglyphs` ships with UTS #39's confusables."""
    return str(_categories.alias(c))


# UTS #39's "highly restrictive" level: a word is in one script, or mixes only the scripts one language writes
# together (Japanese: Latin, Han, Hiragana, Katakana; Chinese: Latin, Han, Bopomofo; Korean: Latin, Han,
# Hangul). Any other mix ("urgent" with a Cyrillic U+0435, "TEST" with a Lisu or Cherokee letter) is a word
# made to pass for another, never typed (review 21p; review 22p: scripts outside Latin, Cyrillic, Greek).
_WRITTEN_TOGETHER = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_NO_SCRIPT = frozenset({"COMMON", "INHERITED", "Unknown"})


def mixed_script_words(words: Iterable[str]) -> list[str]:
    """Those of `words` whose letters mix scripts beyond UTS #39's highly restrictive level (`script_of`):
    "urgent" with a Cyrillic U+0435 for its "e", "TEST" with a Lisu or Cherokee "T". A word in one script, or
    mixing the scripts of one language (Japanese kana and kanji, "CT検査"), is none of them."""
    mixed: list[str] = []
    for w in words:
        scripts = {script_of(c) for c in w if c.isalpha()} - _NO_SCRIPT
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _WRITTEN_TOGETHER):
            mixed.append(w)
    return mixed


_DIRECTION_MARKS = "\u200e\u200f"


@cache
def _prototypes() -> dict[int, str]:
    """UTS #39's confusables (the data `confusable_homoglyphs` ships) as a translation table: each character
    to the prototype it is drawn like (Cyrillic U+0430, Lisu U+A4EE, Cherokee U+13AA, mathematical bold
    letters: "a"-like; "m": "rn"). The package keeps each source-prototype pair both ways, so the prototype of
    a class is found again: a sequence of several characters (sources are single code points), else the
    member drawn from most others, else (a pair) the Latin one, else the lower code point; the choice only
    names the class, every member maps to it."""
    data: dict[str, list[dict[str, str]]] = _confusables.confusables_data
    parent: dict[str, str] = {}
    degree: dict[str, int] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for source, glyphs in data.items():
        for glyph in glyphs:  # the data wraps right-to-left letters in direction marks, to print them
            a, b = find(source.strip(_DIRECTION_MARKS)), find(glyph["c"].strip(_DIRECTION_MARKS))
            degree[source.strip(_DIRECTION_MARKS)] = len(glyphs)
            if a != b:
                parent[a] = b
    classes: dict[str, list[str]] = {}
    for member in parent:
        classes.setdefault(find(member), []).append(member)

    def rank(member: str) -> tuple[bool, int, bool, str]:
        return (len(member) > 1, degree.get(member, 0), script_of(member[0]) == "LATIN", member)

    table: dict[int, str] = {}
    for members in classes.values():
        prototype = max(members, key=rank)
        table.update({ord(m): prototype for m in members if len(m) == 1 and m != prototype})
    return table


# What UTS #39's data keeps apart but a reader does not (review 21y's table, where the data differs): Greek
# kappa, chi, epsilon, Armenian men and keh, Cyrillic small palochka, dotless j and ezh, each as the Latin
# letter it passes for in a word; and every Latin small capital as its letter (`_small_capitals`).
_BEYOND_UTS39 = {
    ord(a): b for a, b in zip("\u03ba\u03c7\u03b5\u0574\u0584\u04cf\u0237\u0292", "kxeuplj3", strict=True)
}


@cache
def _small_capitals() -> dict[int, str]:
    """Every "LATIN LETTER SMALL CAPITAL X" (U+1D00 "\u1d00", U+A731 "\ua731"...) as "x", by its Unicode name,
    so a small capital not yet in the confusables data folds too."""
    table: dict[int, str] = {}
    for code in range(0x80, 0x20000):
        name = unicodedata.name(chr(code), "")
        letter = name.removeprefix("LATIN LETTER SMALL CAPITAL ")
        if letter != name and len(letter) == 1:
            table[code] = letter.lower()
    return table


def _unmarked(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.category(c).startswith("M")
    )


def skeleton(word: str) -> str:
    """`word` as it is compared, never shown (UTS #39's skeleton, case-folded and without marks): decomposed
    (NFD), its marks dropped, each letter mapped to the prototype Unicode's confusables data says it is drawn
    like (`_prototypes`), case-folded, twice (a Lisu or Cherokee capital maps to a Latin capital, folded to
    the small letter); and "i" as "l" (words are case-folded before they are compared, and a capital "I" is
    drawn as an "l": "schooI" is "school"). Two words that look the same, or differ only by an accent or a
    dot below, have one skeleton: "ur\u0261ent", "\u057drgent", "\u00fargent", "te\u0323st" are "urgent"
    and "test"; Lisu, Cherokee, small-capital and mathematical letters fold too. For telling repeated words
    apart and refusing look-alikes only: the text shown and stored is `shown_text`."""
    folded = word.casefold()
    for _ in range(2):
        folded = _unmarked(folded).translate(_BEYOND_UTS39).translate(_small_capitals())
        folded = folded.translate(_prototypes()).casefold()
    return _unmarked(folded).replace("i", "l")
