"""Keel's own sentences about a reason: what `reason_problem` answers, the labels and hints of every reason
field, the words of the pages that ask an emergency's reason, all marked `N_` where written and shown
translated; and how a reason made of them is told (a label, title or hint typed back is no one's reason)."""

from __future__ import annotations

import gettext
import io
import re
from functools import cache
from importlib import resources
from itertools import pairwise

from keel.core.reasons.vocabulary import REASON_MIN_WORDS, _shape
from keel.core.text import words_of
from keel.core.words import gettext_noop as N_

# What `reason_problem` answers, marked where they are written; shown translated. Keel's own hints are no
# one's reason: a reason that is one of them pasted back (in any language Keel speaks) counts none of their
# words.
REASON_REQUIRED = N_("write the clinical reason (required)")
REASON_TOO_LONG = N_("at most 2000 characters")
REASON_NO_SUBSTANCE = N_(
    "say what happened and why, in at least 3 different words and 15 characters, or in two clinical words"
)
REASON_MIXED_SCRIPT = N_("a word mixes alphabets (a letter that only looks like a Latin one): type it again")
REASON_SAYS_NOTHING = N_(
    "say what happened and why now, in your own words: “later”, “TBD”, “no reason”, “please let me in”, "
    "“testing” or keys in a row say nothing"
)
# Review 24r: the answer names what failed, never a measure the text already meets: Keel's own label or hint
# typed back, two clinical words too short to read.
REASON_KEELS_OWN = N_("Keel's own labels and hints are not a reason: say what happened, in your own words")
REASON_SAY_MORE = N_("say more about what happened, in a few more words")
# Where an API field describes a reason (`treatment.schemas`, `sharing.schemas`): the rule said once.
REASON_FIELD_HELP = (
    "a reason of substance (keel.core.reasons.reason_problem): at least 3 different words and 15 "
    "characters, two of them saying what happened, or two clinical words (a sign, a substance, a vital sign "
    "with its value, a dose record's correction)"
)
REASON_HINTS = (
    REASON_REQUIRED,
    REASON_TOO_LONG,
    REASON_NO_SUBSTANCE,
    REASON_MIXED_SCRIPT,
    REASON_SAYS_NOTHING,
    REASON_KEELS_OWN,
    REASON_SAY_MORE,
)
# Keel's other refusals shown for a reason field (a flag's note: `patients.services.flags`); with the hints,
# Keel's own sentences: a text made only of their words is no one's reason (review 21y).
FLAG_NOTE_REQUIRED = N_("write what was done (a note is required to resolve a flag)")
FLAG_ASSESSMENT = N_("write the assessment: %(problem)s")  # said by the flag with `FieldError.said`
# The words of the pages that ask for an emergency's reason, by name: each page shows these and no copy
# (`sharing/emergency.html` reads `EMERGENCY_ACCESS_PAGE`, `sharing/patient.html`'s emergency form
# `EMERGENCY_DISCLOSURE_FORM`), so what the page says is what a reason may not be made of (review 22p).
EMERGENCY_ACCESS_PAGE: dict[str, str] = {
    "title": N_("Emergency access"),
    "heading": N_("Emergency access to a record"),
    "lead": N_(
        "For a medical emergency only, when the person is not on your caseload. Access lasts a few hours. "
        "The care team is told and the audit trail records it."
    ),
    "record_number": N_("Record number"),
    "program": N_("Program"),
    "any_program": N_("Any of my programs"),
    "reason": N_("The emergency"),
    "password": N_("Your password, to confirm"),
    "submit": N_("Open the record"),
}
EMERGENCY_DISCLOSURE_FORM: dict[str, str] = {
    "heading": N_("Medical emergency (42 CFR 2.51)"),
    "lead": N_(
        "Only to medical staff treating a bona fide emergency when consent cannot be obtained. It is "
        "recorded now, with who received it and why."
    ),
    "recipient": N_("Name of the person receiving it"),
    "role": N_("Their medical role"),
    "choose": N_("Choose"),
    "facility": N_("Their health care facility"),
    "nature": N_("Nature of the emergency"),
    "categories": N_("Only what the emergency needs"),
    "password": N_("Your password, to confirm"),
    "submit": N_("Disclose for the emergency"),
}
# The labels of the other reason fields (a dose's override, a correction, a plan ended early, a flag's note),
# shown from here on every page (`keel.web.context`: `reason_labels`).
REASON_LABELS: dict[str, str] = {
    "clinical": N_("Clinical reason (required)"),
    "dose": N_(
        "Reason, only for a dose above the program's check or a methadone raise after a QTc of 500 ms or "
        "more (optional)"
    ),
    "end_early": N_("Why end this plan early (required)"),
    "flag_note": N_("What was done"),
}
KEEL_SENTENCES = (
    *REASON_HINTS,
    FLAG_NOTE_REQUIRED,
    FLAG_ASSESSMENT,
    *EMERGENCY_ACCESS_PAGE.values(),
    *EMERGENCY_DISCLOSURE_FORM.values(),
    *REASON_LABELS.values(),
)


def _only_keels_words(joined: str) -> bool:
    """Whether every word of `joined` is a word of Keel's own sentences (`KEEL_SENTENCES`)."""
    words = words_of(joined, glued_to_digits=False)
    return bool(words) and all(_shape(w) in _keel_vocabulary() for w in words)


def _less_keels_sentences(words: list[str]) -> list[str]:
    """`words` without any run of them that is one of Keel's sentences of three words or more (a hint, a
    label, a title: `KEEL_SENTENCES`, any language Keel speaks), word for word by skeleton: a label typed
    before the reason ("Nature of the emergency: opioid overdose") leaves the reason to be judged (review
    24r), as a hint pasted back whole does (review 21y)."""
    pairs = [(w, _shape(w)) for w in words]
    for sentence in _keel_sentence_shapes():
        n = len(sentence)
        if sentence[0] not in {shape for _, shape in pairs}:
            continue
        kept: list[tuple[str, str]] = []
        i = 0
        while i < len(pairs):
            if tuple(shape for _, shape in pairs[i : i + n]) == sentence:
                i += n
            else:
                kept.append(pairs[i])
                i += 1
        pairs = kept
    return [w for w, _ in pairs]


@cache
def _keel_sentence_shapes() -> tuple[tuple[str, ...], ...]:
    """The skeletons of the words of each of `KEEL_SENTENCES` of three words or more, in every language Keel
    speaks, longest first."""
    runs = {tuple(_shape(w) for w in words_of(t, glued_to_digits=False)) for t in _said(KEEL_SENTENCES)}
    return tuple(sorted((r for r in runs if len(r) >= REASON_MIN_WORDS), key=len, reverse=True))


def _keels_own(words: list[str]) -> list[bool]:
    """Which of `words` are Keel's own: in a run of two or more that follow each other in one of
    `KEEL_SENTENCES` (any language Keel speaks), compared by skeleton. A sentence of Keel's, cut anywhere and
    pasted, is all Keel's; a clinician's own sentence that shares a word ("emergency", "the") is not."""
    shapes = [_shape(w) for w in words]
    own = [False] * len(shapes)
    for i, pair in enumerate(pairwise(shapes)):
        if pair in _keel_pairs():
            own[i] = own[i + 1] = True
    return own


def _said(sentences: tuple[str, ...]) -> set[str]:
    """`sentences` in English and in each language of Keel's catalogues (the compiled
    `keel/locale/<language>/LC_MESSAGES/django.mo`, read with the standard library: the core loads no
    Django), each placeholder (`%(problem)s`) left out."""
    texts = set(sentences)
    locale = resources.files("keel") / "locale"
    for language in locale.iterdir() if locale.is_dir() else ():
        compiled = language / "LC_MESSAGES" / "django.mo"
        if compiled.is_file():
            catalogue = gettext.GNUTranslations(io.BytesIO(compiled.read_bytes()))
            texts |= {catalogue.gettext(sentence) for sentence in sentences}
    return {re.sub(r"%\(\w+\)s", " ", t) for t in texts}


@cache
def _keel_pairs() -> frozenset[tuple[str, str]]:
    """Each two words that follow each other in one of `KEEL_SENTENCES`, in every language Keel speaks, by
    skeleton."""
    pairs: set[tuple[str, str]] = set()
    for sentence in _said(KEEL_SENTENCES):
        shapes = [_shape(w) for w in words_of(sentence, glued_to_digits=False)]
        pairs |= set(pairwise(shapes))
    return frozenset(pairs)


@cache
def _keel_vocabulary() -> frozenset[str]:
    """The skeleton of every word of `KEEL_SENTENCES` in every language Keel speaks."""
    return frozenset(_shape(w) for t in _said(KEEL_SENTENCES) for w in words_of(t))
