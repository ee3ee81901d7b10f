"""The one test of a typed reason of substance (`reason_problem`), in named steps; the words it reads by are
in `keel.core.reasons.vocabulary`, `vitals` and `sentences`."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from keel.core.reasons import sentences, vocabulary
from keel.core.reasons.sentences import _keels_own, _less_keels_sentences, _only_keels_words
from keel.core.reasons.vitals import _vital_signs
from keel.core.reasons.vocabulary import (
    _FILLER_TEXTS,
    _HEDGES,
    _HEDGES_AND_COUNTS,
    _IS,
    _KEY_RUN,
    _SUBJECT,
    _TYPO_MIN_LETTERS,
    _VOWELS,
    _deletions,
    _key_runs,
    _negation_shapes,
    _no_substance_shapes,
    _plain,
    _record_noun_shapes,
    _record_shapes,
    _shape,
    _terse_deletions,
    _terse_joiner_shapes,
    _terse_modifier_shapes,
    _terse_shapes,
)
from keel.core.text import mixed_script_words, script_of, shown_text, visible_length, words_of


def reason_text(text: object) -> str:
    """A typed reason as it is measured and kept: as it is shown (`keel.core.text.shown_text`: NFKC, no format
    characters, no right-to-left override), its spaces folded. The one cleaning of a reason: every caller of
    `reason_problem` stores this text, so the record is the text the check measured (review 24r)."""
    return " ".join(shown_text(str(text or "")).split())


def reason_problem(text: object) -> str:
    """Why `text` is not a reason of substance ("" when it is), in named steps, each said in its own function:

    1. `reason_text`: measured as it is shown and kept (the one cleaning); `_form_problem`: required, at most
       2000 characters, no word mixing scripts (`mixed_script_words`, UTS #39's highly restrictive level);
    2. `_measure`: Keel's own words left out (`_less_keels_sentences`: a label, title or hint typed back
       whole, "Nature of the emergency: opioid overdose", judges what the person added; review 24r); vital
       signs with their value read as clinical words (`_vital_signs`: "RR 4", "SpO2 80%", "BP 60/30", "GCS
       6"); the text split into words of letters (`words_of`: quotes, brackets, digits and characters no one
       sees make no word different; review 21p); real words (`_real_word`: two letters or more, not one letter
       repeated, no digit glued) told apart by skeleton (Unicode's confusables, marks dropped: accents are
       optional); words of no substance (`_no_substance`: joining words, words about the record, deferrals,
       placeholders, requests, apologies, greetings, test text, lorem ipsum, keys in a row in any layout Keel
       knows, keyboard mash without a vowel); clinical words (`_clinical_shape`: `_TERSE_WORDS`, and one word
       with one typo, `_one_typo`; `_negated_signs`: a negation before a sign, "not breathing", "sin pulso");
    3. the verdict: a reason passes by one of four shapes, `_full` (three different real words, two of
       substance, fifteen characters), `_terse` (two clinical words: "opioid overdose", "no pulse", "dose
       spilt", "RR 4, SpO2 70%"), `_sentence` ("lost her phone") or `_unspaced` (a script written without
       spaces: six different letters; review 22p); else `_refusal` answers what failed, never a measure the
       text already meets (review 24r).

    The one test of a typed reason of substance: overrides, corrections, voids, second-factor resets, policy
    changes, break-the-glass and an emergency disclosure's nature (42 CFR 2.51)."""
    joined = reason_text(text)
    if problem := _form_problem(joined):
        return problem
    if _only_keels_words(joined):  # Keel's words only, any order (review 21y)
        return sentences.REASON_KEELS_OWN
    m = _measure(joined)
    if _unspaced(m) or (_not_only_record_nouns(m) and (_full(m) or _terse(m) or _sentence(m) or _vital(m))):
        return ""
    return _refusal(m)


class _Measure(NamedTuple):
    """What `reason_problem` measured of a reason, Keel's own sentences left out."""

    seen: int  # characters as drawn (a wide character counts two)
    letters: int  # different letters or digits
    unspaced: int  # different letters of a script written without spaces
    real: frozenset[str]  # the skeletons of its real words, with its vital signs and negated signs
    substance: frozenset[str]  # of those, the words of substance
    clinical: frozenset[str]  # of those, the clinical words (`_TERSE_WORDS`, typos, vitals, negated signs)
    keels_own: bool  # more than half its words are in runs copied from one of Keel's sentences
    stripped: bool  # a whole sentence of Keel's was left out
    critical: (
        bool  # a vital sign in its critical range ("RR 4", "SpO2 70%") or a code ("code blue"; review 24s)
    )


def _form_problem(joined: str) -> str:
    """Step 1: the reason's form: present, at most 2000 characters, no word mixing scripts."""
    if not visible_length(joined):  # spaces of no width are no reason (review 19b)
        return sentences.REASON_REQUIRED
    if len(joined) > 2000:
        return sentences.REASON_TOO_LONG
    if mixed_script_words(words_of(joined, glued_to_digits=False)):
        return sentences.REASON_MIXED_SCRIPT
    return ""


def _measure(joined: str) -> _Measure:
    """Step 2: what the reason says, word by word (see `reason_problem`)."""
    joined = _HEDGES_AND_COUNTS.sub(_hedge_or_count, joined)  # "r/o OD", "narcan x2" (review 24s)
    vitals, critical, rest = _vital_signs(joined)
    all_words = words_of(rest, glued_to_digits=False)
    words = _less_keels_sentences(all_words)
    stripped = len(words) < len(all_words)
    shown = " ".join([*words, *vitals]) if stripped else joined
    real_words = [w for w in words if _real_word(w)]
    empty = _no_substance(words)
    clinical = _clinical(real_words, empty)
    negated = _negated_signs(words) | _subject_of_a_sign(words)
    real = {_shape(w) for w in real_words} | negated | vitals
    own = _keels_own(words)
    theirs = [w for w, o in zip(words, own, strict=True) if not o]  # the words outside Keel's runs
    their_substance = {_shape(w) for w in theirs if _real_word(w)} - empty
    their_substance |= {n for n in negated if any(n == f"not:{_clinical_shape(w)}" for w in theirs)} | vitals
    return _Measure(
        seen=visible_length(shown) + sum(unicodedata.east_asian_width(c) in "WF" for c in shown),
        letters=len({c.lower() for c in shown if c.isalnum()}),
        unspaced=len(
            {c for w in words for c in w if c.isalpha() and script_of(c) in vocabulary.UNSPACED_SCRIPTS}
        ),
        real=frozenset(real),
        substance=frozenset(real - empty),
        clinical=frozenset(clinical | negated | vitals),
        # mostly Keel's words, and fewer than two words of substance of the person's own ("the person is not
        # breathing" shares "the person is not" with a page's lead, and is a reason)
        keels_own=2 * sum(own) > len(words) and len(their_substance) < vocabulary.REASON_MIN_SUBSTANCE,
        stripped=stripped,
        critical=critical or bool(real & {_shape("codeblue"), _shape("founddown")}),
    )


def _clinical(real_words: list[str], empty: set[str]) -> set[str]:
    """The skeletons of those of `real_words` (not of `empty`) that are clinical words (`_TERSE_WORDS`), and
    of the clinical word one of them is with one typo (`_clinical_shape`): one typo in a reason, never two
    ("unresponive, OD" is a reason; two mistyped words are not read as clinical)."""
    shapes = {_shape(w): _clinical_shape(w) for w in real_words if _shape(w) not in empty}
    exact = {shape for shape, known in shapes.items() if known == shape}
    typos = {shape: known for shape, known in shapes.items() if known and known != shape}
    return exact | ({*typos.values(), *typos} if len(typos) == 1 else set())


def _full(m: _Measure) -> bool:
    """A reason in full: fifteen characters, four different letters, three different real words, two of
    substance, not mostly Keel's own."""
    return (
        m.seen >= vocabulary.REASON_MIN_CHARS
        and m.letters >= 4
        and len(m.real) >= vocabulary.REASON_MIN_WORDS
        and len(m.substance) >= vocabulary.REASON_MIN_SUBSTANCE
        and not m.keels_own
    )


def _not_only_record_nouns(m: _Measure) -> bool:
    """Whether a real word of `m` is more than a noun of the dose record (`_RECORD_NOUNS`) or a joining word:
    "patient person", "cup bottle", "dose dosing" say no act or sign (review 24s); "because the patient needs
    a dose" says one."""
    return bool(m.real - _record_noun_shapes() - _terse_joiner_shapes())


def _vital(m: _Measure) -> bool:
    """A vital sign in its critical range or a code, alone or with clinical, modifying or joining words only
    ("RR 4", "GCS 3", "SpO2 70%", "pt RR 4", "code blue", "found down"; review 24s): a respiratory rate of 4
    is an emergency on its own."""
    return (
        m.critical
        and m.real - m.clinical <= _terse_modifier_shapes() | _terse_joiner_shapes()
        and not m.keels_own
    )


def _emergency_words(m: _Measure) -> frozenset[str]:
    """The clinical words of `m` that name an emergency: not of a dose record (`_RECORD_WORDS`), not a vital
    sign (in its critical range, `_vital` judges it)."""
    return frozenset(w for w in m.clinical - _record_shapes() if not w.startswith("vital:"))


def _terse(m: _Measure) -> bool:
    """A terse reason (review 23s, lane fix23e, review 24r): from `REASON_MIN_TERSE_CHARS` characters, two
    different words of substance, each real word a clinical word (`_clinical`), a modifier of one
    (`_TERSE_MODIFIERS`) or a joining word (`_TERSE_JOINERS`), and one clinical word at least: "heroin OD",
    "not breathing", "sin pulso", "respiratory distress", "GCS 6, RR 4", "dose spilt", "unresponive, OD"."""
    emergency, terse = vocabulary.REASON_MIN_EMERGENCY_CHARS, vocabulary.REASON_MIN_TERSE_CHARS
    return (
        m.seen >= (emergency if _emergency_words(m) else terse)
        and m.letters >= 4
        and len(m.substance) >= vocabulary.REASON_MIN_SUBSTANCE
        and bool(m.substance & m.clinical)
        and m.real - m.clinical <= _terse_modifier_shapes() | _terse_joiner_shapes()
        and (_emergency_words(m) or not m.real & frozenset(map(_shape, _HEDGES)))
        and not m.keels_own
    )


def _sentence(m: _Measure) -> bool:
    """A short sentence: three different real words, two of substance, the others only joining words, from
    `REASON_MIN_SENTENCE_CHARS` characters ("lost her phone")."""
    return (
        m.seen >= vocabulary.REASON_MIN_SENTENCE_CHARS
        and m.letters >= 4
        and len(m.real) >= vocabulary.REASON_MIN_WORDS
        and len(m.substance) >= vocabulary.REASON_MIN_SUBSTANCE
        and m.real - m.substance <= _terse_joiner_shapes()
        and not m.keels_own
    )


def _unspaced(m: _Measure) -> bool:
    """A reason in a script written without spaces (`UNSPACED_SCRIPTS`): fifteen characters as drawn and
    `REASON_MIN_UNSPACED_LETTERS` different letters of those scripts (review 22p)."""
    return m.seen >= vocabulary.REASON_MIN_CHARS and m.unspaced >= vocabulary.REASON_MIN_UNSPACED_LETTERS


def _refusal(m: _Measure) -> str:
    """Step 3, a refusal: what failed, never a measure the text already meets. Mostly Keel's own words:
    `REASON_KEELS_OWN`; too few words of substance beside a filler, a request, a deferral or keys:
    `REASON_SAYS_NOTHING`; two clinical words too short to read: `REASON_SAY_MORE`; else too few different
    words or characters: `REASON_NO_SUBSTANCE`."""
    if m.keels_own or (m.stripped and not m.real):
        return sentences.REASON_KEELS_OWN
    if len(m.substance) < vocabulary.REASON_MIN_SUBSTANCE and m.real - m.substance - _terse_joiner_shapes():
        return sentences.REASON_SAYS_NOTHING
    if len(m.clinical & m.substance) >= vocabulary.REASON_MIN_SUBSTANCE:
        return sentences.REASON_SAY_MORE
    # then substance is short
    if len(m.real) >= vocabulary.REASON_MIN_WORDS and m.seen >= vocabulary.REASON_MIN_CHARS:
        return sentences.REASON_SAYS_NOTHING
    return sentences.REASON_NO_SUBSTANCE


def _hedge_or_count(match: re.Match[str]) -> str:
    """`_HEDGES_AND_COUNTS`' word for `match`."""
    words = {"ro": " ruleout ", "code": " codeblue ", "down": " founddown "}
    return next((word for group, word in words.items() if match[group]), " again ")


# Review 24s: Spanish "está" ("is", of the person) before a sign, or "en" and a sign ("está inconsciente",
# "está en paro"), says who as "pt" does: a word of substance, a noun of the record (`_RECORD_NOUNS`).


def _subject_of_a_sign(words: list[str]) -> set[str]:
    """`_SUBJECT` when `words` holds "está" (`_IS`) before a clinical word, or before "en" and one."""
    is_, en = frozenset(map(_shape, _IS)), _shape("en")
    for i, word in enumerate(words[:-1]):
        after = words[i + 2] if _shape(words[i + 1]) == en and i + 2 < len(words) else words[i + 1]
        if _shape(word) in is_ and _clinical_shape(after) not in {"", *_record_shapes()}:
            return {_SUBJECT}
    return set()


@lru_cache(maxsize=4096)
def _clinical_shape(word: str) -> str:
    """The skeleton of the clinical word (`_TERSE_WORDS`) `word` is, exactly or with one typo (review 24r):
    for a word of `_TYPO_MIN_LETTERS` letters or more, one letter added, dropped, changed or two next to each
    other swapped ("unresponive", "overdoes", "inconciente"); of five or six, two next to each other swapped
    ("gvien"); "" for any other word. Keys in a row and mash are never a typo of a clinical word."""
    shape = _shape(word)
    if shape in _terse_shapes():
        return shape
    if len(shape) < 5 or _keyboard_run(word) or _mash(word):
        return ""
    near = {k for d in _deletions(shape) for k in _terse_deletions().get(d, ())}
    return next((known for known in sorted(near) if len(known) >= 5 and _one_typo(shape, known)), "")


def _one_typo(typed: str, known: str) -> bool:
    """Whether `typed` is `known` with one typo: two letters next to each other swapped; for a word of
    `_TYPO_MIN_LETTERS` letters or more also one letter changed, added or dropped (optimal string alignment
    distance 1)."""
    if len(typed) == len(known):
        diffs = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
        swapped = len(diffs) == 2 and diffs[1] == diffs[0] + 1 and typed[diffs[0]] == known[diffs[1]]
        swapped = swapped and typed[diffs[1]] == known[diffs[0]]
        return swapped or (len(diffs) == 1 and len(typed) >= _TYPO_MIN_LETTERS)
    if len(typed) < _TYPO_MIN_LETTERS:
        return False
    short, long = sorted((typed, known), key=len)
    i = next((k for k, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return short[i:] == long[i + 1 :]


def _negated_signs(words: list[str]) -> set[str]:
    """The signs of life `words` says are absent: a negation (`_NEGATIONS`) followed by a sign
    (`_NEGATABLE`, or one typo of it), as "not:" and its skeleton ("not breathing": "not:breathing")."""
    negations, negatable = _negation_shapes()
    return {
        f"not:{_clinical_shape(b)}"
        for a, b in pairwise(words)
        if _shape(a) in negations and _clinical_shape(b) in negatable
    }


@lru_cache(maxsize=16384)
def _mash(word: str) -> bool:
    """Whether `word` is keyboard mash: three letters or more of the Latin, Cyrillic or Greek alphabet
    without a vowel ("ksjdf", "lkjsd", "fkjs"), and no clinical abbreviation ("ECG", "CPR")."""
    plain = _plain(word)
    return (
        len(plain) >= _KEY_RUN
        and not _VOWELS & set(plain)
        and all(script_of(c) in {"LATIN", "CYRILLIC", "GREEK"} for c in plain)
        and _shape(word) not in _terse_shapes()
    )


@lru_cache(maxsize=16384)
def _keyboard_run(word: str) -> bool:
    """Whether `word` (case-folded, marks dropped) is one or more runs of at least three keys next to each
    other on one keyboard row, either way: "asdf", "jkl", "qwer", "uiop", "lkj", "asdfjkl", "zxcvzxcv", or
    of three letters or more of the alphabet in order ("abc", "def", "mno": `_ALPHABETS`, review 23s). No
    word of English or Spanish is."""
    plain = _plain(word)
    runs = _key_runs()
    ends = {0}
    for i in range(len(plain)):
        if i in ends:
            ends |= {j for j in range(i + _KEY_RUN, len(plain) + 1) if any(plain[i:j] in r for r in runs)}
    return len(plain) >= _KEY_RUN and len(plain) in ends


def _no_substance(words: list[str]) -> set[str]:
    """The skeletons of those of `words` that are no substance of a reason: in `_NO_SUBSTANCE_WORDS`, in
    `_LOREM_IPSUM` when "lorem" or "ipsum" is there too, or a run of keys (`_keyboard_run`)."""
    plain, latin = _no_substance_shapes()
    shapes = {_shape(w): w for w in words}
    if {_shape("lorem"), _shape("ipsum")} & shapes.keys():
        plain = plain | latin
    for first, filler in _FILLER_TEXTS.items():
        if _shape(first) in shapes:
            plain = plain | set(map(_shape, filler))
    return {shape for shape, w in shapes.items() if shape in plain or _keyboard_run(w) or _mash(w)}


@lru_cache(maxsize=16384)
def _real_word(word: str) -> bool:
    """Whether `word` counts toward a reason's words: two letters or more, not one letter repeated, none of a
    script written without spaces (those are counted by letter)."""
    shape = _shape(word)
    return (
        sum(c.isalpha() for c in word) >= 2
        and len(set(shape)) >= 2
        and not any(script_of(c) in vocabulary.UNSPACED_SCRIPTS for c in word)
    )
