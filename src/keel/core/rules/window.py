"""Guards every dose at the window shares, whatever the medication (issue #13): a hold that stands until a
prescriber assesses, the ceilings against entry errors, and what makes an override's reason one of substance.

Sources: holding a dose for sedation or intoxication and routing to a prescriber (TIP 63 summary, reference
section 13). The ceilings are not clinical maxima (there is no label maximum for buprenorphine, reference
correction 1, and none for methadone in the sources): they catch a typing error (300 for 30) before it is given.
Each is program policy with a Keel bound as its hard ceiling (`keel.core.rules.policy.LIMITS`): below the
policy value a dose is given; between the policy value and the hard bound it needs a prescriber's override for
the day; past the hard bound nothing lets it through.
"""

from __future__ import annotations

import gettext
import io
import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any, Literal, NamedTuple, TypedDict

from keel.core.decision import Param, Reason
from keel.core.rules.policy import limit_for
from keel.core.text import mixed_script_words, script_of, shown_text, skeleton, visible_length, words_of
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

HOLD_OPEN = "held_earlier"  # a hold today that no prescriber has released: no dose
REFUSED = "refused"  # past a hard bound: no override can pass it
HOLD_SOURCES = ("tip63-summary", "reference-13")
CEILING_SOURCES = ("keel-policy",)


class CeilingPolicy(TypedDict):
    """The policy values `ceilings` reads; every dose rule's policy has them (methadone, buprenorphine)."""

    single_dose_max_mg: float
    daily_total_max_mg: float


class RedosePolicy(TypedDict):
    """The policy value `redose` reads; every dose rule's policy has it."""

    redose_min_hours: float


REASON_MIN_CHARS = 15
REASON_MIN_WORDS = 3
# Of those words, how many must be words of substance (`_NO_SUBSTANCE_WORDS`, review 22s): "overdose at the
# window" has two, and is a reason.
REASON_MIN_SUBSTANCE = 2
# A terse reason (review 23s, lane fix23e): fewer than `REASON_MIN_WORDS` words or `REASON_MIN_CHARS`
# characters passes when at least `REASON_MIN_SUBSTANCE` words of substance, every real word a word of
# `_TERSE_WORDS`, `_TERSE_MODIFIERS` or `_TERSE_JOINERS` and one of `_TERSE_WORDS`, fill this many
# characters ("spat out" is 8); three different real words, two of substance, the others of
# `_TERSE_JOINERS`, from `REASON_MIN_SENTENCE_CHARS` ("lost her phone" is 14).
REASON_MIN_TERSE_CHARS = 8
REASON_MIN_SENTENCE_CHARS = 12
# Review 24s: a terse reason naming an emergency (a clinical word not of a dose record's correction nor a vital
# sign: `_emergency_words`) from this many characters: the ED's shorthand is short ("CP SOB", "r/o OD", "fent OD").
REASON_MIN_EMERGENCY_CHARS = 6
# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar; Scripts.txt
# names): a reason in them is measured by its distinct letters, not its words (review 22p).
UNSPACED_SCRIPTS = frozenset({"HAN", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR"})
REASON_MIN_UNSPACED_LETTERS = 6
# Review 24s: Spanish "is" (of the person) before a sign: "está inconsciente" (`_subject_of_a_sign`).
_IS = ("está", "esta", "estaba", "están", "estan")
_SUBJECT = "is:está"  # the person "está" names: a noun of the record (`_RECORD_NOUNS`)

# What `reason_problem` answers, marked where they are written; shown translated. Keel's own hints are no one's
# reason: a reason that is one of them pasted back (in any language Keel speaks) counts none of their words.
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
    "a reason of substance (keel.core.rules.window.reason_problem): at least 3 different words and 15 "
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
        "Only to medical staff treating a bona fide emergency when consent cannot be obtained. It is recorded "
        "now, with who received it and why."
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
        "Reason, only for a dose above the program's check or a methadone raise after a QTc of 500 ms or more "
        "(optional)"
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


def reason_text(text: object) -> str:
    """A typed reason as it is measured and kept: as it is shown (`keel.core.text.shown_text`: NFKC, no format
    characters, no right-to-left override), its spaces folded. The one cleaning of a reason: every caller of
    `reason_problem` stores this text, so the record is the text the check measured (review 24r)."""
    return " ".join(shown_text(str(text or "")).split())


def reason_problem(text: Any) -> str:
    """Why `text` is not a reason of substance ("" when it is), in named steps, each said in its own function:

    1. `reason_text`: measured as it is shown and kept (the one cleaning); `_form_problem`: required, at most
       2000 characters, no word mixing scripts (`mixed_script_words`, UTS #39's highly restrictive level);
    2. `_measure`: Keel's own words left out (`_less_keels_sentences`: a label, title or hint typed back whole,
       "Nature of the emergency: opioid overdose", judges what the person added; review 24r); vital signs with
       their value read as clinical words (`_vital_signs`: "RR 4", "SpO2 80%", "BP 60/30", "GCS 6"); the text
       split into words of letters (`words_of`: quotes, brackets, digits and characters no one sees make no
       word different; review 21p); real words (`_real_word`: two letters or more, not one letter repeated,
       no digit glued) told apart by skeleton (Unicode's confusables, marks dropped: accents are optional);
       words of no substance (`_no_substance`: joining words, words about the record, deferrals,
       placeholders, requests, apologies, greetings, test text, lorem ipsum, keys in a row in any layout
       Keel knows, keyboard mash without a vowel); clinical words (`_clinical_shape`: `_TERSE_WORDS`, and one
       word with one typo, `_one_typo`; `_negated_signs`: a negation before a sign, "not breathing", "sin
       pulso");
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
        return REASON_KEELS_OWN
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
        return REASON_REQUIRED
    if len(joined) > 2000:
        return REASON_TOO_LONG
    if mixed_script_words(words_of(joined, glued_to_digits=False)):
        return REASON_MIXED_SCRIPT
    return ""


def _only_keels_words(joined: str) -> bool:
    """Whether every word of `joined` is a word of Keel's own sentences (`KEEL_SENTENCES`)."""
    words = words_of(joined, glued_to_digits=False)
    return bool(words) and all(_shape(w) in _keel_vocabulary() for w in words)


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
        unspaced=len({c for w in words for c in w if c.isalpha() and script_of(c) in UNSPACED_SCRIPTS}),
        real=frozenset(real),
        substance=frozenset(real - empty),
        clinical=frozenset(clinical | negated | vitals),
        # mostly Keel's words, and fewer than two words of substance of the person's own ("the person is not
        # breathing" shares "the person is not" with a page's lead, and is a reason)
        keels_own=2 * sum(own) > len(words) and len(their_substance) < REASON_MIN_SUBSTANCE,
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
        m.seen >= REASON_MIN_CHARS
        and m.letters >= 4
        and len(m.real) >= REASON_MIN_WORDS
        and len(m.substance) >= REASON_MIN_SUBSTANCE
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
    return (
        m.seen >= (REASON_MIN_EMERGENCY_CHARS if _emergency_words(m) else REASON_MIN_TERSE_CHARS)
        and m.letters >= 4
        and len(m.substance) >= REASON_MIN_SUBSTANCE
        and bool(m.substance & m.clinical)
        and m.real - m.clinical <= _terse_modifier_shapes() | _terse_joiner_shapes()
        and (_emergency_words(m) or not m.real & frozenset(map(_shape, _HEDGES)))
        and not m.keels_own
    )


def _sentence(m: _Measure) -> bool:
    """A short sentence: three different real words, two of substance, the others only joining words, from
    `REASON_MIN_SENTENCE_CHARS` characters ("lost her phone")."""
    return (
        m.seen >= REASON_MIN_SENTENCE_CHARS
        and m.letters >= 4
        and len(m.real) >= REASON_MIN_WORDS
        and len(m.substance) >= REASON_MIN_SUBSTANCE
        and m.real - m.substance <= _terse_joiner_shapes()
        and not m.keels_own
    )


def _unspaced(m: _Measure) -> bool:
    """A reason in a script written without spaces (`UNSPACED_SCRIPTS`): fifteen characters as drawn and
    `REASON_MIN_UNSPACED_LETTERS` different letters of those scripts (review 22p)."""
    return m.seen >= REASON_MIN_CHARS and m.unspaced >= REASON_MIN_UNSPACED_LETTERS


def _refusal(m: _Measure) -> str:
    """Step 3, a refusal: what failed, never a measure the text already meets. Mostly Keel's own words:
    `REASON_KEELS_OWN`; too few words of substance beside a filler, a request, a deferral or keys:
    `REASON_SAYS_NOTHING`; two clinical words too short to read: `REASON_SAY_MORE`; else too few different
    words or characters: `REASON_NO_SUBSTANCE`."""
    if m.keels_own or (m.stripped and not m.real):
        return REASON_KEELS_OWN
    if len(m.substance) < REASON_MIN_SUBSTANCE and m.real - m.substance - _terse_joiner_shapes():
        return REASON_SAYS_NOTHING
    if len(m.clinical & m.substance) >= REASON_MIN_SUBSTANCE:
        return REASON_SAY_MORE
    if len(m.real) >= REASON_MIN_WORDS and m.seen >= REASON_MIN_CHARS:  # then substance is short
        return REASON_SAYS_NOTHING
    return REASON_NO_SUBSTANCE


# Review 22s: words that are no substance of a reason, in each language Keel speaks (English, Spanish),
# compared by skeleton: words that only join others (articles, prepositions, auxiliaries, quantifiers), words
# about the reason or the record itself, deferrals and placeholders. Each is a word a real reason may hold
# ("after the dose", "confirmar dosis de metadona"); it only does not count toward its words of substance.
_NO_SUBSTANCE_WORDS = (
    # English: words that only join others (articles, "to be", prepositions, auxiliaries, quantifiers)
    "the", "an", "to", "be", "is", "are", "was", "were", "been", "being", "am", "of", "in", "on", "at", "by",
    "for", "with", "from", "as", "and", "or", "but", "nor", "so", "if", "it", "its", "this", "that", "these",
    "those", "there", "here", "all", "any", "some", "none", "no", "not", "will", "would", "shall", "should",
    "can", "could", "may", "might", "must", "do", "does", "did", "have", "has", "had", "just", "very", "too",
    "also", "yet", "then", "than",
    # English: the reason or the record itself, deferrals, placeholders
    "reason", "reasons", "motive", "note", "notes", "document", "documents", "documented", "documenting",
    "documentation", "comment", "comments", "detail", "details", "explanation", "see", "chart", "later",
    "soon", "pending", "determined", "determine", "tbd", "tba", "tbc", "na", "nil", "unspecified",
    "placeholder", "filler", "whatever", "something", "stuff", "etc", "ok", "okay",
    # Spanish: words that only join others
    "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "al", "en", "con", "por", "para",
    "y", "ni", "que", "se", "su", "sus", "es", "son", "fue", "ser", "estar", "está", "este", "esta", "esto",
    "eso", "ese", "esa", "sin", "alguno", "alguna", "algunos", "algunas", "ninguno", "ninguna", "nada",
    "todo", "toda", "todos", "todas", "muy", "ya", "sí", "será", "va", "voy", "vamos",
    # Spanish: the reason or the record itself, deferrals, placeholders
    "motivo", "motivos", "razón", "razones", "nota", "notas", "documentar", "documentado", "documentada",
    "documentación", "documentaré", "comentario", "comentarios", "detalle", "detalles", "explicación", "ver",
    "véase", "expediente", "después", "luego", "tarde", "pronto", "pendiente", "pendientes", "determinar",
    "determinado", "definir", "definido", "completar", "aplica", "algo",
    "etcétera", "etc", "lorem", "ipsum",
    # Review 23s, English and Spanish: words that only join others; deferrals to another day; pointers to
    # another entry ("same as last time", "see previous entry above"); the software itself rather than the
    # person ("testing the system"); a programmer's or a typist's filler ("foo bar baz", "blah blah yada")
    "up", "about", "it's", "her", "his", "their", "my", "our", "lo", "le", "les", "me", "mi", "mis",
    "nos", "como", "tomorrow", "tonight", "next", "eventually", "afterwards", "mañana", "ahorita", "same",
    "previous", "previously", "above", "below", "prior", "last", "earlier", "ibid", "ditto", "igual",
    "mismo", "misma", "anterior", "anteriores", "previo", "previa", "arriba", "abajo", "ídem", "system",
    "systems", "sistema", "sistemas", "software", "app", "keel", "probando", "foo", "foobar", "baz", "qux",
    "quux", "xyzzy", "blah", "bla", "yada", "yadda", "meh", "dummy",
    # Review 24r, English and Spanish: a request, a want or a need of the writer's own, an apology, a
    # greeting, a deferral to someone else, test text and counting ("because I need it", "please let me in",
    # "idk, sorry, later", "dunno, ask doc", "hola hola que tal", "testing testing one two three"): they name
    # no state, person, act or event of the person whose record it is
    "because", "cause", "need", "needs", "needed", "needing", "want", "wants", "wanted", "wanna", "access",
    "accessing", "accessed", "now", "please", "pls", "plz", "let", "lemme", "check", "checking", "look",
    "looking", "curious", "sorry", "idk", "dunno", "ask", "asking", "hello", "hi", "hey", "thanks", "thank",
    "thx", "lol", "lmao", "haha", "jaja", "test", "tests", "testing", "tested", "one", "two", "three", "four",
    "five", "you", "we", "us", "yes", "yeah", "yep", "sure", "fine", "without", "open", "opening", "view",
    "viewing", "record", "records", "file", "porque", "necesito", "necesita", "necesitamos", "necesario",
    "quiero", "quiere", "acceso", "acceder", "ahora", "favor", "gracias", "perdón", "disculpa", "disculpe",
    "siento", "hola", "tal", "buenas", "buenos", "qué", "revisar", "checar", "mirar", "prueba", "pruebas",
    "probar", "uno", "dos", "tres", "cuatro", "cinco", "vale", "bueno", "abrir", "archivo", "sé",
    # Review 24s: farewells ("hola mundo adios")
    "adiós", "bye", "goodbye", "chao", "chau",
)  # fmt: skip
# Review 24s: a typist's and a programmer's filler ("the quick brown fox jumps over the lazy dog", "hello
# world", "hola mundo"): no substance beside one of its first words only, as `_LOREM_IPSUM` ("a dog bite",
# "fell down in the world" keep theirs).
_FILLER_TEXTS: dict[str, tuple[str, ...]] = {
    "fox": ("the", "quick", "brown", "fox", "jumps", "jumped", "over", "lazy", "dog"),
    "hello": ("world", "again"),
    "hola": ("mundo",),
}
# Review 23s: words about the record or its writing in every form of their stem (the stem, then each of its
# endings, as `keel.core.sharing` reads the words that name no medical personnel): "documento", "lo documento
# mañana", "will write it up", "escribo después". An ending is listed, never any word that begins alike.
_NO_SUBSTANCE_STEMS: dict[str, tuple[str, ...]] = {
    "document": (
        "", "s", "ed", "ing", "ation", "o", "os", "a", "as", "ar", "ado", "ada", "ados", "adas", "ación",
        "aré", "ará", "aremos", "amos", "ando", "e",
    ),
    "writ": ("e", "es", "ing", "ten"),
    "wrote": ("",),
    "escrib": ("ir", "o", "e", "es", "iré", "irá", "iremos", "imos", "iendo"),
    "coment": ("ario", "arios", "ar", "o", "aré"),
    "comment": ("", "s", "ed", "ing"),
}  # fmt: skip


@lru_cache(maxsize=16384)
def _shape(word: str) -> str:
    """`keel.core.text.skeleton`, remembered: a reason's words are compared many times over."""
    return skeleton(word)


def _gendered(*words: str) -> tuple[str, ...]:
    """Each Spanish adjective given in its masculine singular ("respiratorio") in its four forms of gender
    and number ("respiratoria", "respiratorios", "respiratorias"; review 24r); accents are optional in the
    comparison (skeletons drop marks)."""
    return tuple(w[:-1] + ending for w in words for ending in ("o", "a", "os", "as"))


# Review 23s: the words that say what happened on their own, where Keel asks a short reason, English and
# Spanish, compared by skeleton; a terse reason of two of them is one of substance (`reason_problem`).
# Sources: the signs and substances of an opioid overdose (reference sections 12, 13: SAMHSA Overdose
# Prevention and Response Toolkit; 42 CFR 2.51's "nature of the emergency"), other bona fide emergencies an
# ED names in a word (seizure, chest pain, anaphylaxis, cardiac arrest); the words of a dispensing record's
# correction (21 CFR 1304.22(c): what was dispensed, to whom, how much; Keel's dose record: given, held,
# voided, mg).
_TERSE_WORDS = (
    # an emergency: English
    "overdose", "overdosed", "overdoses", "od", "unresponsive", "unconscious", "apnea", "apnoea", "apneic",
    "breathing", "respiratory", "cyanosis", "cyanotic", "pinpoint", "pupils", "seizure", "seizures",
    "seizing", "chest", "pain", "cardiac", "arrest", "syncope", "stroke", "anaphylaxis", "hypoxia",
    "bradycardia", "sedated", "sedation", "intoxicated", "intoxication", "withdrawal", "precipitated",
    "opioid", "opioids", "opiate", "opiates", "fentanyl", "heroin", "methadone", "buprenorphine", "xylazine",
    "benzodiazepine", "benzodiazepines", "benzos", "alcohol", "naloxone", "narcan",
    # an emergency: Spanish
    "sobredosis", "inconsciente", "apnea", "respira", "respiración", "respiratoria", "cianosis",
    "cianótico", "cianótica", "pupilas", "convulsión", "convulsiones", "convulsiona", "convulsionando",
    "pecho", "dolor", "torácico", "paro", "cardiaco", "cardíaco", "cardiorrespiratorio", "síncope", "ictus",
    "anafilaxia", "hipoxia", "bradicardia", "sedado", "sedada", "sedación", "intoxicado", "intoxicada",
    "intoxicación", "abstinencia", "precipitada", "opioide", "opioides", "opiáceo", "opiáceos", "fentanilo",
    "heroína", "metadona", "buprenorfina", "xilacina", "benzodiacepina", "benzodiacepinas", "naloxona",
    # a dose record's correction: English
    "dose", "doses", "dosing", "mg", "amount", "wrong", "patient", "pt", "person", "typo", "typed", "entered",
    "entry", "error", "mistake", "twice", "duplicate", "duplicated", "pharmacy", "count", "spilled", "spill",
    "spat", "vomited", "vomit", "dropped", "broken", "cup", "bottle", "bottles", "pump", "log", "given",
    "gave", "give", "poured", "held", "voided", "refused", "missed",
    # a dose record's correction: Spanish
    "dosis", "cantidad", "equivocado", "equivocada", "equivocación", "paciente", "persona", "error",
    "errores", "registrado", "registrada", "registro", "duplicado", "duplicada", "farmacia", "conteo",
    "recuento", "derramó", "derramada", "derramado", "derrame", "escupió", "vomitó", "vómito", "cayó",
    "roto", "rota", "vaso", "frasco", "frascos", "bomba", "bitácora", "dada", "dado", "retenida", "anulada",
    "rechazó", "omitida", "dio", "servida",
    # Review 24r: bona fide emergencies an ED names in two words beyond an overdose ("respiratory distress",
    # "agonal respirations", "anaphylactic shock", "status epilepticus", "pulseless, apneic", "hypotensive,
    # tachycardic"), the signs of life a negation makes a sign ("not breathing", `_NEGATABLE`), clinical
    # abbreviations without a vowel (`_mash`), English
    "distress", "agonal", "respiration", "respirations", "anaphylactic", "shock", "status", "epilepticus",
    "epileptic", "pulseless", "pulse", "pulses", "hypotensive", "hypotension", "tachycardic", "tachycardia",
    "bradycardic", "hypoxic", "hypoxemia", "desaturating", "desaturation", "gasping", "choking", "aspiration",
    "vomiting", "bleeding", "hemorrhage", "haemorrhage", "trauma", "injury", "fracture", "unarousable",
    "unrousable", "obtunded", "lethargic", "somnolent", "drowsy", "altered", "confused", "confusion",
    "delirium", "agitated", "agitation", "psychosis", "psychotic", "suicidal", "suicide", "overdosing",
    "hypothermia", "hypothermic", "hypoglycemia", "hypoglycemic", "sepsis", "septic", "fever", "febrile",
    "collapse", "collapsed", "rigid", "rigidity", "dyspnea", "breath", "breathe", "breathes", "responsive",
    "responding", "responds", "response", "conscious", "awake", "rousable", "arousable", "reactive",
    "palpable", "moving", "intubated", "intubation", "resuscitation", "resuscitated", "ecg", "ekg", "cpr",
    "bvm", "ems", "icu", "ams",
    # the same in Spanish (review 24r: every English clinical word's Spanish; adjectives in each gender and
    # number, `_gendered`; accents optional)
    "dificultad", "respiraciones", "choque", "estado", "apnea", "hipotensión", "taquicardia", "hipoxemia",
    "desaturación", "desaturando", "jadeando", "asfixia", "atragantamiento", "broncoaspiración",
    "aspiración", "vomitando", "sangrado", "sangrando", "hemorragia", "trauma", "traumatismo", "lesión",
    "fractura", "confusión", "delirio", "agitación", "psicosis", "suicida", "suicidio", "hipotermia",
    "hipoglucemia", "sepsis", "fiebre", "febril", "colapso", "colapsó", "rigidez", "disnea", "respirando",
    "responde", "respondiendo", "respuesta", "reacciona", "consciente", "inconscientes", "palpable",
    "pulso", "pulsos", "intubación", "reanimación", "rcp", "uci", "convulsionó", "convulsionado",
    "convulsionada", "epilepsia",
    *_gendered(
        "respiratorio", "agónico", "anafiláctico", "epiléptico", "apneico", "hipotenso", "taquicárdico",
        "bradicárdico", "hipóxico", "obnubilado", "letárgico", "somnoliento", "confuso", "agitado",
        "psicótico", "hipotérmico", "hipoglucémico", "séptico", "rígido", "intubado", "reanimado",
        "despierto", "reactivo", "cianótico", "sedado", "intoxicado", "opiáceo", "cardiaco",
        "cardíaco", "torácico", "equivocado", "registrado", "duplicado", "derramado", "dado", "roto",
        "retenido", "anulado", "omitido", "servido", "escupido", "anotado",
    ),
    "puntiforme", "puntiformes", "opioide", "opioides",
    # a dose record's correction, as nurses say it (review 24r): "spit out", "dose spilt", "charted twice",
    # "dup entry"
    "spit", "spits", "spitting", "spilt", "spills", "charted", "charting", "dup", "dupe", "duped",
    "escupe", "escupir", "escupida", "derramó", "anotada", "anotado",
    # Review 24s: the ED's shorthand for the signs and substances above ("resp distress", "opioid tox", "pt
    # intox", "fent OD", "pt desat", "pt brady", "CP SOB"), how the person was found ("found unresponsive",
    # "found down", "code blue", "pt coding", "bystander CPR"), cyanosis as the eye sees it ("labios morados",
    # "blue lips")
    "resp", "tox", "toxicity", "intox", "fent", "desat", "desats", "brady", "tachy", "sob", "cp", "coding",
    "coded", "codeblue", "founddown", "bystander", "lips", "labios",
    "depression", "depressed", "depresión",
    *_gendered("morado"),
)  # fmt: skip
# Review 24s: the words of `_TERSE_WORDS` that name the dose record, its parts or its writing, not an act or a
# sign: a reason made of these only ("patient person", "cup bottle", "dose dosing", "typo typed") says nothing.
_RECORD_NOUNS = (
    "dose", "doses", "dosing", "amount", "patient", "pt", "person", "typo", "typed", "entered", "entry",
    "pharmacy", "cup", "bottle", "bottles", "pump", "log", "dosis", "cantidad", "paciente", "persona",
    "registrado", "registrada", "registro", "farmacia", "vaso", "frasco", "frascos", "bomba", "bitácora",
)  # fmt: skip
# Review 24s: the words of `_TERSE_WORDS` of a dose record's correction (the rest name an emergency).
_RECORD_WORDS = (
    *_RECORD_NOUNS, "count", "conteo", "recuento", "mg", "wrong", "error", "mistake", "twice", "duplicate", "duplicated", "spilled", "spill",
    "spat", "vomited", "vomit", "dropped", "broken", "given", "gave", "give", "poured", "held", "voided",
    "refused", "missed", "equivocado", "equivocada", "equivocación", "errores", "duplicado", "duplicada",
    "derramó", "derramada", "derramado", "derrame", "escupió", "vomitó", "vómito", "cayó", "roto", "rota",
    "dada", "dado", "retenida", "anulada", "rechazó", "omitida", "dio", "servida", "spit", "spits",
    "spitting", "spilt", "spills", "charted", "charting", "dup", "dupe", "duped", "escupe", "escupir",
    "escupida", "anotada", "anotado",
)  # fmt: skip
# Lane fix23e: the words that only modify a clinical word of `_TERSE_WORDS` in a terse reason, English and
# Spanish, compared by skeleton; never a reason beside anything but a word of `_TERSE_WORDS`. Each says where,
# how much or how often of a dose (21 CFR 1304.22(c): how much was dispensed; Keel's dose record):
# Review 24s: the words of `_TERSE_MODIFIERS` that modify an emergency only (`_emergency_words`): the hedge an
# ED puts before a diagnosis not yet confirmed ("suspected OD", "r/o OD", "posible sobredosis", "sospecha de
# sobredosis"), how the person was found ("found unresponsive"), a colour of cyanosis ("blue lips"). Beside a
# dose record's words they are no reason ("possible patient", "found cup").
_HEDGES = (
    "suspected", "possible", "probable", "likely", "query", "ruleout", "posible", "sospecha", "presumed",
    "found", "encontrado", "encontrada", "blue",
)  # fmt: skip
_TERSE_MODIFIERS = (
    "out",  # where the dose went: "spat out"
    "back",  # where the dose went: "gave back", "spat back"
    "again",  # how often: "dose given again"
    "double",  # how much: "double dose"
    "extra",  # how much: "extra dose"
    "half",  # how much: "half dose"
    "partial",  # how much: "partial dose"
    "short",  # how much: "count short", "dose short"
    "missing",  # how much: "bottle missing", "dose missing"
    "little",  # how much: "spilled a little" (a real correction, review 22n's)
    "poco",  # Spanish "a little": "se derramó un poco"
    "fuera",  # Spanish "out": "escupió fuera"
    "afuera",  # Spanish "out", as Latin America says it
    "doble",  # Spanish "double": "dosis doble"
    "media",  # Spanish "half": "media dosis"
    "parcial",  # Spanish "partial": "dosis parcial"
    "faltante",  # Spanish "missing": "frasco faltante"
    "incompleta",  # Spanish "short": "dosis incompleta"
    "incompleto",  # Spanish "short": "conteo incompleto"
    # Review 24s: how a sign goes on ("convulsiones activas"); and `_HEDGES`
    "activo", "activa", "activos", "activas", "active",
    *_HEDGES,
)  # fmt: skip
# Lane fix23e: the only words of no substance a terse reason may hold besides its clinical words: words that
# only join others ("typo in mg", "dosis de paciente"). A filler or a deferral ("gave dose ok", "dose TBD")
# makes a terse reason none.
_TERSE_JOINERS = (
    "the", "an", "to", "of", "in", "on", "at", "by", "for", "with", "from", "and", "or", "no", "not", "is",
    "was", "el", "la", "los", "las", "un", "una", "de", "del", "al", "en", "con", "por", "para", "y", "se",
    "su", "sin", "es", "fue", "her", "his", "their", "my", "our", "its", "it", "up", "lo", "le", "les", "me",
    "mi", "mis", "nos", "without",
    *_IS,  # review 24s: "está inconsciente", "está en paro" (`_subject_of_a_sign`)
)  # fmt: skip

# Latin filler text as it is pasted ("lorem ipsum dolor sit amet..."): no substance beside "lorem" or "ipsum"
# only ("dolor" is Spanish for pain, "sit" and "magna" are words of their own).
_LOREM_IPSUM = (
    "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor",
    "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua", "enim", "ad", "minim", "veniam", "quis",
    "nostrud", "exercitation", "ullamco", "laboris", "nisi", "aliquip", "ex", "ea", "commodo", "consequat",
)  # fmt: skip
# Keyboard rows (QWERTY, and Spanish's "ñ" after "l"): a run of three keys or more along one, either way.
_KEY_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")
# Review 23s: the alphabet, English's and Spanish's, forward only ("abc def ghi jkl mno"; backward, "fed"
# and "pon" are words).
_ALPHABETS = ("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnñopqrstuvwxyz")
_KEY_RUN = 3


@cache
def _no_substance_shapes() -> tuple[frozenset[str], frozenset[str]]:
    """The skeletons of `_NO_SUBSTANCE_WORDS` with every form of `_NO_SUBSTANCE_STEMS`, and of
    `_LOREM_IPSUM`."""
    stems = (stem + ending for stem, endings in _NO_SUBSTANCE_STEMS.items() for ending in endings)
    plain = frozenset(map(_shape, (*_NO_SUBSTANCE_WORDS, *stems)))
    return plain, frozenset(map(_shape, _LOREM_IPSUM))


@cache
def _terse_shapes() -> frozenset[str]:
    """The skeletons of `_TERSE_WORDS`."""
    return frozenset(map(_shape, _TERSE_WORDS))


@cache
def _record_noun_shapes() -> frozenset[str]:
    """The skeletons of `_RECORD_NOUNS`, and `_SUBJECT`."""
    return frozenset(map(_shape, _RECORD_NOUNS)) | {_SUBJECT}


@cache
def _record_shapes() -> frozenset[str]:
    """The skeletons of `_RECORD_WORDS`, and `_SUBJECT`."""
    return frozenset(map(_shape, _RECORD_WORDS)) | {_SUBJECT}


@cache
def _terse_modifier_shapes() -> frozenset[str]:
    """The skeletons of `_TERSE_MODIFIERS`."""
    return frozenset(map(_shape, _TERSE_MODIFIERS))


@cache
def _terse_joiner_shapes() -> frozenset[str]:
    """The skeletons of `_TERSE_JOINERS`."""
    return frozenset(map(_shape, _TERSE_JOINERS))


# Review 24r: a negation before a sign of life is a sign of its own ("not breathing", "no pulse", "no
# respira", "sin pulso", "no responde"): the two words are two of substance. Only these signs: "no dose" or
# "not ok" gain nothing.
_NEGATIONS = ("no", "not", "sin", "without")
_NEGATABLE = (
    "breathing", "breathe", "breathes", "breath", "pulse", "pulses", "responsive", "responding", "responds",
    "response", "conscious", "awake", "rousable", "arousable", "reactive", "palpable", "moving",
    "respira", "respirando", "respiración", "pulso", "pulsos", "responde", "respondiendo", "respuesta",
    "reacciona", "reactiva", "reactivo", "consciente", "despierto", "despierta",
)  # fmt: skip
# Review 24r: vital signs written as an ED chart writes them, a name and its value ("RR 4", "SpO2 80%", "BP
# 60/30", "GCS 6", "FC 140", "TA 60/30"): each is a clinical word of its own, named by what it measures
# (English and Spanish names of one measure are one word), when the value is one a living person can have
# (review 24s: "bp 1 hr 1" is no vital sign). Lower bounds: a respiratory rate of 0 is apnea (SAMHSA Overdose
# Prevention and Response Toolkit: breathing stopped); pulse oximeters are calibrated from 70% (FDA, "Pulse
# Oximeters - Premarket Notification Submissions", 2013; ISO 80601-2-61), below 50% no reading is taken as
# one; a heart rate under 20 is an agonal rhythm, not a rate (AHA ACLS); a systolic pressure under 40 mmHg is
# not measured by a cuff (AHA ACLS: no palpable pulse); a blood glucose under 10 mg/dL is not survived
# (ADA, hypoglycemia level 3 is < 54 mg/dL); the Glasgow Coma Scale runs 3 to 15 (Teasdale & Jennett 1974).
_VITAL_NAMES: dict[str, tuple[str, float, float]] = {
    "rr": ("rate", 0, 80), "fr": ("rate", 0, 80), "resp": ("rate", 0, 80),
    "spo2": ("oxygen", 50, 100), "sao2": ("oxygen", 50, 100), "sato2": ("oxygen", 50, 100),
    "sat": ("oxygen", 50, 100), "sats": ("oxygen", 50, 100), "o2": ("oxygen", 50, 100),
    "gcs": ("gcs", 3, 15), "glasgow": ("gcs", 3, 15),
    "bp": ("pressure", 40, 300), "sbp": ("pressure", 40, 300), "ta": ("pressure", 40, 300),
    "pa": ("pressure", 40, 300),
    "hr": ("heart", 20, 300), "fc": ("heart", 20, 300), "pulse": ("heart", 20, 300), "pulso": ("heart", 20, 300),
    "temp": ("temperature", 25, 113), "bg": ("glucose", 10, 2000), "glu": ("glucose", 10, 2000),
    "glucose": ("glucose", 10, 2000), "glucosa": ("glucose", 10, 2000), "glucemia": ("glucose", 10, 2000),
    "etco2": ("co2", 0, 150),
}  # fmt: skip
# Review 24s: the critical values of the measures an opioid overdose depresses, each a reason alone ("RR 4",
# "GCS 3", "SpO2 70%"): respiratory rate <= 8 a minute (opioid-induced respiratory depression; WHO, Community
# management of opioid overdose, 2014), GCS <= 8 (coma: the airway is not protected; Teasdale & Jennett),
# SpO2 <= 88% (hypoxaemia below the lowest target of oxygen therapy; BTS guideline for oxygen use, 2017).
_CRITICAL_VITALS: dict[str, float] = {"rate": 8, "gcs": 8, "oxygen": 88}
_VITAL = re.compile(
    r"(?<![^\W_])(?P<name>" + "|".join(sorted(_VITAL_NAMES, key=len, reverse=True)) + r")"
    r"\s*(?:[:=]\s*|of\s+|de\s+)?(?P<value>[0-9]{1,4}(?:[.,][0-9]{1,2})?)(?:\s*/\s*[0-9]{1,3})?"
    r"(?:\s*(?:%|bpm|lpm|rpm|mmhg|mg/dl|°c|°f))?(?![^\W_])",
    re.IGNORECASE,
)
# Vowels of the alphabets Keel reads keyboard mash in (marks dropped): a word of three letters or more of
# these scripts without one is keys, not a word ("ksjdf lkjsd", "jkdfg"), unless it is a clinical
# abbreviation of `_TERSE_WORDS` ("ECG", "CPR").
_VOWELS = frozenset(
    "aeiouy"
    + "\u0430\u0435\u0438\u043e\u0443\u044b\u044d\u044e\u044f"
    + "\u03b1\u03b5\u03b7\u03b9\u03bf\u03c5\u03c9"
)  # Latin, Cyrillic, Greek
# Review 24r: more keyboards' rows: the Russian ЙЦУКЕН ("фыва пролдж", what "asdf jkl;" types there) and
# the Greek.
_MORE_KEY_ROWS = (
    "\u0439\u0446\u0443\u043a\u0435\u043d\u0433\u0448\u0449\u0437\u0445\u044a",
    "\u0444\u044b\u0432\u0430\u043f\u0440\u043e\u043b\u0434\u0436\u044d",
    "\u044f\u0447\u0441\u043c\u0438\u0442\u044c\u0431\u044e",
    "\u03b5\u03c1\u03c4\u03c5\u03b8\u03b9\u03bf\u03c0",
    "\u03b1\u03c3\u03b4\u03c6\u03b3\u03b7\u03be\u03ba\u03bb",
    "\u03b6\u03c7\u03c8\u03c9\u03b2\u03bd\u03bc",
)


def _vital_signs(joined: str) -> tuple[frozenset[str], bool, str]:
    """The vital signs written with their value in `joined` ("RR 4", "SpO2 80%", "BP 60/30"), as clinical
    words ("vital:rate", "vital:oxygen"), whether one is in its critical range (`_CRITICAL_VITALS`), and the
    text without them."""
    found: set[str] = set()
    critical: list[bool] = []

    def take(match: re.Match[str]) -> str:
        measure, low, high = _VITAL_NAMES[match["name"].casefold()]
        value = float(match["value"].replace(",", "."))
        if low <= value <= high:
            found.add(f"vital:{measure}")
            critical.append(measure in _CRITICAL_VITALS and value <= _CRITICAL_VITALS[measure])
            return " "
        return match[0]

    rest = _VITAL.sub(take, joined)
    return frozenset(found), any(critical), rest


# Review 24s: the hedge an ED writes before a diagnosis not yet confirmed ("r/o OD": rule out) and a count of
# doses given ("narcan x2", "2x narcan"), read as words: "ruleout" (`_TERSE_MODIFIERS`) and "again".
# "code blue" and "found down" (how EMS hands over a code) are one word each: "codeblue", "founddown".
_HEDGES_AND_COUNTS = re.compile(
    r"(?<![^\W_])(?:(?P<ro>r/o)|(?P<code>code\s+blue)|(?P<down>found\s+down)|x\s?[1-9]|[1-9]\s?x)(?![^\W_])",
    re.IGNORECASE,
)


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


def _deletions(shape: str) -> set[str]:
    """`shape` and each text one letter shorter: two words one typo apart share one of these (a swap of
    two letters drops to the same text too)."""
    return {shape} | {shape[:i] + shape[i + 1 :] for i in range(len(shape))}


@cache
def _terse_deletions() -> dict[str, tuple[str, ...]]:
    """Each of `_deletions` of the skeletons of `_TERSE_WORDS`, with the words it comes from: a typo's
    candidates, found without trying every word."""
    index: dict[str, list[str]] = {}
    for shape in sorted(_terse_shapes()):
        for d in _deletions(shape):
            index.setdefault(d, []).append(shape)
    return {d: tuple(shapes) for d, shapes in index.items()}


# Review 24s: a letter changed, added or dropped makes a typo of a word of this many letters or more: six let
# common words be read as clinical ("statue" as "status", "strike" as "stroke", "patent" as "patient",
# "battle" as "bottle", "coming" as "coding"); every typo of the reviews' tests has seven letters or more
# ("unresponive", "overdoes", "inconciente"), or is two letters swapped ("gvien").
_TYPO_MIN_LETTERS = 7


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


@cache
def _negation_shapes() -> tuple[frozenset[str], frozenset[str]]:
    """The skeletons of `_NEGATIONS` and of `_NEGATABLE`."""
    return frozenset(map(_shape, _NEGATIONS)), frozenset(map(_shape, _NEGATABLE))


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


def _plain(word: str) -> str:
    """`word` case-folded, its marks dropped but Spanish's "ñ" kept."""
    plain = "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", plain.replace("n\u0303", "ñ"))


@cache
def _key_runs() -> tuple[str, ...]:
    """Every keyboard row Keel knows (`_KEY_ROWS`, `_MORE_KEY_ROWS`) either way, marks dropped as a typed
    word's are, and the alphabets (`_ALPHABETS`)."""
    rows = (_plain(row) for row in (*_KEY_ROWS, *_MORE_KEY_ROWS))
    return (*(r for row in rows for r in (row, row[::-1])), *_ALPHABETS)


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


@lru_cache(maxsize=16384)
def _real_word(word: str) -> bool:
    """Whether `word` counts toward a reason's words: two letters or more, not one letter repeated, none of a
    script written without spaces (those are counted by letter)."""
    shape = _shape(word)
    return (
        sum(c.isalpha() for c in word) >= 2
        and len(set(shape)) >= 2
        and not any(script_of(c) in UNSPACED_SCRIPTS for c in word)
    )


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


def hold_open_reasons() -> tuple[Reason, ...]:
    return (
        Reason.said(
            gettext_noop(
                "A dose was held earlier today for sedation or intoxication. No dose until a prescriber "
                "assesses the person and releases the hold."
            ),
            HOLD_SOURCES,
        ),
    )


def hard_bound(rule: str, field: str) -> float:
    """The hard ceiling of a ceiling policy value: the Limit's ceiling, which no override passes."""
    limit = limit_for(rule, field)
    assert limit is not None and limit.ceiling is not None, f"{rule}.{field} needs a Limit with a ceiling"
    return limit.ceiling


def ceilings(
    rule: str, requested: float, total: float, p: CeilingPolicy, documented: bool
) -> tuple[str | None, list[Reason]]:
    """The single-dose and daily-total ceilings: (verdict, reasons). Verdict None: within both; "refused":
    past a hard bound (no override); "needs_override" or "allowed_with_rationale" between the policy value
    and the hard bound."""
    checks: tuple[tuple[Literal["single_dose_max_mg", "daily_total_max_mg"], float, str], ...] = (
        ("single_dose_max_mg", requested, gettext_noop("A single dose")),
        ("daily_total_max_mg", total, gettext_noop("Today's total")),
    )
    for field, value, what in checks:
        bound = hard_bound(rule, field)
        if value > bound:
            return REFUSED, [
                Reason.said(
                    gettext_noop(
                        "%(what)s of %(mg)s mg is above %(bound)s mg, the hard bound no override passes. "
                        "Check the amount typed."
                    ),
                    CEILING_SOURCES,
                    what=what,
                    mg=value,
                    bound=bound,
                )
            ]
    verdict: str | None = None
    reasons: list[Reason] = []
    for field, value, what in checks:
        limit = p[field]
        if value <= limit:
            continue
        if documented:
            verdict = verdict or "allowed_with_rationale"
            reasons.append(
                Reason.said(
                    gettext_noop(
                        "%(what)s of %(mg)s mg is above the program's %(limit)s mg check; a prescriber "
                        "documented a reason (logged)."
                    ),
                    CEILING_SOURCES,
                    what=what,
                    mg=value,
                    limit=limit,
                )
            )
        else:
            verdict = "needs_override"
            reasons.append(
                Reason.said(
                    gettext_noop(
                        "%(what)s of %(mg)s mg is above the program's %(limit)s mg check against entry "
                        "errors. Check the amount; a prescriber may override for today with a reason."
                    ),
                    CEILING_SOURCES,
                    what=what,
                    mg=value,
                    limit=limit,
                )
            )
    return verdict, reasons


# --- The re-dose interval (issue #13) ---------------------------------------------------------------------

REDOSE_FIELD_HELP = (
    "hours since the last dose of this medication was given (any day; absent: none given in the lookback). "
    "Below the program's re-dose interval a dose needs a prescriber's override (split dosing, a re-dose after "
    "reassessment)"
)
REDOSE_SOURCES = {
    "methadone-dose-check": ("methadone-label-first-day", "keel-policy"),
    "buprenorphine-dose-limit": ("fda-bup-label-summary", "tip63-summary", "keel-policy"),
}


def redose(
    rule: str, hours_since_last: float | None, p: RedosePolicy, documented: bool
) -> tuple[str | None, list[Reason]]:
    """The minimum interval between two doses of one medication, whatever the day (23:59 and 00:01 are two
    minutes apart): (verdict, reasons). None: no dose within the interval; "needs_override" below it
    without a prescriber's override for today; "allowed_with_rationale" with one."""
    need = p["redose_min_hours"]
    if hours_since_last is None or hours_since_last >= need:
        return None, []
    minutes = int(hours_since_last * 60)
    if documented:
        return "allowed_with_rationale", [
            Reason.said(
                gettext_noop(
                    "The last dose was %(minutes)s minutes ago, within the program's %(hours)s h re-dose "
                    "interval; a prescriber documented a reason (split dose or re-dose after reassessment, "
                    "logged)."
                ),
                REDOSE_SOURCES[rule],
                minutes=minutes,
                hours=need,
            )
        ]
    return "needs_override", [
        Reason.said(
            gettext_noop(
                "The last dose was %(minutes)s minutes ago: the program waits %(hours)s h between doses. Check "
                "this is not the same dose entered twice; a split dose or a re-dose after reassessment needs a "
                "prescriber's override for today, with a reason."
            ),
            REDOSE_SOURCES[rule],
            minutes=minutes,
            hours=need,
        )
    ]


ORDERED_FIELD_HELP = (
    "the active order's dose (mg): a dose that brings the day's total above it needs a prescriber's override "
    "for the day (program policy: the dose given follows the order)"
)
ORDER_SOURCES = ("keel-dose-follows-order",)


def order_over(
    ordered_mg: float | None, given_today_mg: float, requested_mg: float, single_dose_only: bool = False
) -> tuple[str, tuple[str, ...], dict[str, Param]] | None:
    """Why a dose goes over the active order (program policy: the dose given follows the active order; 42 CFR
    8.12(h), medication given under the practitioner's order): the day's total (`given_today_mg` +
    `requested_mg`) above `ordered_mg`, or, on a day whose total other limits govern (`single_dose_only`: a
    buprenorphine induction day), the single dose above it. (template, sources, params), the template with a
    `%(then)s` for what follows; None when within the order or with no order given. Giving less than the order
    is always within it. One definition: the methadone and buprenorphine dose checks at the window."""
    if ordered_mg is None:
        return None
    if single_dose_only:
        if requested_mg <= ordered_mg:
            return None
        template = gettext_noop(
            "The order is %(ordered)s mg; a single dose of %(mg)s mg is more than the order. %(then)s"
        )
        return template, ORDER_SOURCES, {"ordered": ordered_mg, "mg": requested_mg}
    total = given_today_mg + requested_mg
    if total <= ordered_mg:
        return None
    template = gettext_noop(
        "The order is %(ordered)s mg a day; %(mg)s mg now would make today's total %(total)s mg, more than "
        "the order. %(then)s"
    )
    return template, ORDER_SOURCES, {"ordered": ordered_mg, "mg": requested_mg, "total": total}
