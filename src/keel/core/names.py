"""A recipient's name compared as words (`name_words`), the one reading of a name Keel's sharing rules use:
a consent's recipient against a request's (`keel.core.sharing.same_name`), a token's bound recipient against
a consent's, and an emergency's recipient against the words that name no medical personnel
(`keel.core.emergency_words`). Moved from `keel.core.sharing` (issue #17) so both modules read it; still
importable from there. And a person's name as the registration desk's duplicate search compares it
(`person_name_key`, review 29b). Plain Python."""

from __future__ import annotations

import re
import unicodedata

from keel.core.text import shown_text


def _is_latin(c: str) -> bool:
    return unicodedata.name(c, "").startswith("LATIN ")


# "Number" and ordinals as Spanish writes them in a name, each read one way (review 22p): "Nº 5", "N.º 5",
# "N° 5" (the degree sign, drawn alike and typed for it), "No. 5", "Núm. 5" and "#5" are "no 5"; "2.ª" and
# "2ª" are "2a"; "3.º", "3º" and "3°" are "3o".
_NUMBER_SIGN = re.compile(r"(?<![^\W\d_])(?:n\s*\.?\s*[º°o]|n[uú]m|#)\s*\.?\s*(?=[0-9])", re.IGNORECASE)
_ORDINAL = re.compile(r"(?<=[0-9])\.?([ºª°])")
# The marks that make a letter of its own in a language Keel speaks, on a Latin letter: Spanish "ñ".
_LETTER_MARKS = {"n": "\u0303", "N": "\u0303"}


def name_words(text: str) -> str:
    """A name compared as words: read as shown (`core.text.shown_text`: NFKC, no format or invisible
    characters, so "Po\u00adlice" is "police"), then case, the accents of Latin letters (Clínica, Clinica;
    José, Jose), spacing and punctuation do not matter, and "number" and ordinals are read one way
    (`_NUMBER_SIGN`, `_ORDINAL`: "Nº 5", "N° 5", "N.º 5", "No. 5"; "2.ª", "2ª"); letters of any script and the
    marks that make them do (kana voicing, Cyrillic й, Hebrew points, Devanagari vowel signs, Thai tone marks:
    review 21z), and so does Spanish "ñ" (`_LETTER_MARKS`): the alphabet Spanish is written in has "ñ" as a
    letter of its own between "n" and "o", so "Peña" and "Pena" are two surnames (and "año" and "ano" two
    words), while an accent on a vowel is a mark on the same letter, often left out in capitals and on
    keyboards (review 22p). A name with no letter or digit has no words (""). The one reading of a name or a
    recipient: a consent's against a request's, an API token's bound recipient against a consent's
    (`accounts.services.token_releases_to`, review 21f), and an emergency's recipient against the words that
    name no medical personnel (`_names`)."""
    text = _ORDINAL.sub(lambda m: {"ª": "a"}.get(m[1], "o"), text if isinstance(text, str) else "")
    text = _NUMBER_SIGN.sub("no ", text)
    kept: list[str] = []
    for c in unicodedata.normalize("NFD", shown_text(text)):
        if unicodedata.combining(c) and kept and _is_latin(kept[-1]) and _LETTER_MARKS.get(kept[-1]) != c:
            continue  # an accent on a Latin letter
        kept.append(c)
    words: list[str] = []
    current: list[str] = []
    for c in unicodedata.normalize("NFC", "".join(kept)).casefold():
        category = unicodedata.category(c)
        if category[0] in "LN" or (current and category[0] == "M"):
            current.append(c)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return " ".join(words)


# Review 29b: the dashes a name is typed with (any Unicode dash punctuation, and the minus sign) read as a
# space; the apostrophe and the marks typed for one (right and left single quotes, the modifier apostrophe,
# the acute and grave accents, the prime, the full-width apostrophe) as nothing.
_APOSTROPHES = frozenset("'\u2019\u2018\u02bc\u00b4`\u2032\u02b9\uff07")


def person_name_key(name: object) -> str:
    """A person's name as the registration's duplicate search compares it (review 29b): read as shown
    (`core.text.shown_text`), then decomposed (NFKD) and casefolded, with a combining mark dropped only where
    it sits on a Latin letter, so accents, the tilde of "ñ" and letter case do not matter ("María Núñez" is
    "maria nunez": ID cards and keyboards without accents); a mark on a letter of another script is kept,
    since there it makes another letter (kana voicing: "ヤマダ" Yamada is not "ヤマタ" Yamata; Cyrillic "й"
    is not "и"; Thai tone marks, Devanagari virama), as `name_words` keeps it (review 21z, review 30c H1);
    a mark on no letter is dropped. A hyphen or any dash is a space ("García-López", "García López"), an
    apostrophe of any shape is nothing ("O'Brien", "O\u2019Brien", "OBrien"), and runs of spaces are one.
    The key is composed again (NFC), so NFC and NFD input read the same. Unlike `name_words` (a recipient's
    words, where "ñ" is a letter of its own), a duplicate search errs toward seeing the same person: the
    desk then confirms `not_a_duplicate`. "" for anything that is not text."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", shown_text(name)).casefold())
    kept: list[str] = []
    base = ""  # the letter the next combining mark sits on ("" after anything that is not a letter)
    for c in folded:
        if unicodedata.combining(c):
            if base and not _is_latin(base):
                kept.append(c)  # a mark that makes another letter of this script
            continue
        if c in _APOSTROPHES:
            continue
        if unicodedata.category(c)[0] != "M":  # a spacing vowel sign keeps the letter it follows
            base = c if unicodedata.category(c)[0] == "L" else ""
        kept.append(" " if unicodedata.category(c) == "Pd" or c == "\u2212" else c)
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


def names_a_person(name: object) -> bool:
    """Whether a typed name (a signature, a representative's name) has a letter once read as
    `person_name_key` reads it: "--", "''" or "★★" name no one (review 30c H3; a recipient's rule, review
    21z)."""
    return any(unicodedata.category(c)[0] == "L" for c in person_name_key(name))


def same_person_name(typed: object, recorded: object) -> bool:
    """Whether two names are one person's name as `person_name_key` reads them; a name with no letter
    (`names_a_person`) is no one's, so two of them never match (review 30c H3: "--" and "''" both fold to
    "")."""
    return names_a_person(typed) and person_name_key(typed) == person_name_key(recorded)


def sort_key(name: object) -> str:
    """A person's name as lists order it (review 35e hole 3): the one key of every name ordering of people
    (the stored `patients.models.SortNameField`, read in code-point order by the caseload's page in SQL, and
    the caseload's ranking in Python: `careteam.queries` ranking, head, tail, tail_page, others), compared
    code point by code point. Case does not matter (`casefold`) and neither does an accent on a Latin letter
    (NFKD, its marks dropped): "Ángela" is listed with the A names, "Élodie" with the E, "Óscar" before
    "Pablo". Spanish "ñ" is a letter of its own (as in `name_words`, `_LETTER_MARKS`), listed after every
    "n" and before "o" as the Spanish alphabet has it: the key keeps "n" followed by its combining tilde
    (decomposed, U+0303 after every plain letter), so "Nuñez" follows "Nunez" and "Ñúñez" follows every
    name in "N" and comes before "Óscar". Marks on letters of other scripts stay (they make other letters).
    Compatibility forms read as their letters (NFKD: "ﬁ" is "fi"). Not a locale's full collation (that
    needs ICU on both databases); plain Python, so SQLite and PostgreSQL order by the same stored key."""
    text = name if isinstance(name, str) else ""
    if text.isascii():  # no accent, no compatibility form: the fold is the case alone (the common name, fast)
        return text.casefold()
    kept: list[str] = []
    for c in unicodedata.normalize("NFKD", text.casefold()):
        if unicodedata.combining(c) and kept and _is_latin(kept[-1]) and _LETTER_MARKS.get(kept[-1]) != c:
            continue  # an accent on a Latin letter
        kept.append(c)
    return "".join(kept)
