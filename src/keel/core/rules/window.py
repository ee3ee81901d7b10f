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
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any, Literal, TypedDict

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
# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar; Scripts.txt
# names): a reason in them is measured by its distinct letters, not its words (review 22p).
UNSPACED_SCRIPTS = frozenset({"HAN", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR"})
REASON_MIN_UNSPACED_LETTERS = 6

# What `reason_problem` answers, marked where they are written; shown translated. Keel's own hints are no one's
# reason: a reason that is one of them pasted back (in any language Keel speaks) counts none of their words.
REASON_REQUIRED = N_("write the clinical reason (required)")
REASON_TOO_LONG = N_("at most 2000 characters")
# `REASON_NO_SUBSTANCE` says the rule of substance plainly (`_substance_problem`): at least three real
# words (`REASON_MIN_WORDS`), or two words of substance (`REASON_MIN_SUBSTANCE`) when one is a clinical
# word (`_terse`: "spat out", "opioid overdose"). Its earlier wording ("in at least 3 words and 15
# characters", lane shape24) pasted back is still Keel's own words. The API's descriptions of a reason
# field repeat it from here (`treatment.schemas`, `sharing.schemas`).
REASON_NO_SUBSTANCE = N_(
    "say what you assessed and why, in at least 3 words, or 2 words if one is a clinical word"
)
REASON_MIXED_SCRIPT = N_("a word mixes alphabets (a letter that only looks like a Latin one): type it again")
REASON_SAYS_NOTHING = N_(
    "say what you assessed and why now, in your own words: “later”, “TBD”, “no reason” or keys in a row "
    "say nothing"
)
REASON_HINTS = (
    REASON_REQUIRED,
    REASON_TOO_LONG,
    REASON_NO_SUBSTANCE,
    REASON_MIXED_SCRIPT,
    REASON_SAYS_NOTHING,
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


def reason_problem(text: Any) -> str:
    """Why `text` is not a reason of substance ("" when it is): the one test of a typed reason of substance
    (overrides, corrections, break-the-glass and an emergency disclosure's nature). Measured and split as it
    is shown (`keel.core.text.shown_text`: NFKC, no format characters) into words of letters (`words_of`):
    quotes, brackets, digits and characters no one sees make no word different ("test1 test2 test3", `urgent
    "urgent" (urgent)`, "urgent urgent\u200b": one word; review 21p). In steps, the first refusal answers:

    1. something visible (spaces of no width are no reason, review 19b), at most 2000 characters;
    2. no word mixing scripts beyond UTS #39's highly restrictive level (`mixed_script_words`: a Latin word
       with a Cyrillic, Greek, Lisu or Cherokee look-alike letter);
    3. not made only of Keel's own words, in any order (`_keel_vocabulary`, review 21y);
    4. measured (`_measured`: its real words less Keel's hints pasted whole, those of substance, its length
       as drawn), then of substance (`_substance_problem`): at length, tersely (`_terse`), as a short
       sentence (`_short_sentence`) or in a script written without spaces. `REASON_NO_SUBSTANCE` says that
       rule to the clinician."""
    joined = " ".join(shown_text(str(text or "")).split())
    if not visible_length(joined):
        return REASON_REQUIRED
    if len(joined) > 2000:
        return REASON_TOO_LONG
    words = words_of(joined, glued_to_digits=False)
    if mixed_script_words(words):
        return REASON_MIXED_SCRIPT
    if words and all(skeleton(w) in _keel_vocabulary() for w in words):
        return REASON_NO_SUBSTANCE
    return _substance_problem(_measured(joined, words))


@dataclass(frozen=True)
class _Measured:
    """A reason as `_substance_problem` reads it (`_measured`)."""

    words: list[str]  # its words less any of Keel's hints pasted whole (`_less_hints`)
    real: frozenset[str]  # the skeletons of its real words (`_real_word`)
    substance: frozenset[str]  # those of `real` that are words of substance (not `_no_substance`)
    seen: int  # its length as drawn: `visible_length`, a wide character (an ideograph, kana) counted twice
    letters: int  # how many different letters or digits (case-folded)
    unspaced: int  # how many different letters of a script written without spaces (`UNSPACED_SCRIPTS`)


def _measured(joined: str, words: list[str]) -> _Measured:
    """The measures of `joined` (the reason as shown) and `words` (its words). A real word has two letters
    or more and not one letter repeated ("aaa", "qq": none), touches no digit (a number's suffix, a unit, a
    code: "1st", "10mg", "l3sson": none), and words are told apart by their skeleton
    (`keel.core.text.skeleton`: Unicode's confusables, marks dropped, so "test", "ṭest", "TEST" in Lisu
    letters are one word; review 22p). A hint of Keel's pasted back whole is left out first
    (`_less_hints`)."""
    unspaced = {c for w in words for c in w if c.isalpha() and script_of(c) in UNSPACED_SCRIPTS}
    words = _less_hints(words)
    real = frozenset(skeleton(w) for w in words if _real_word(w))
    return _Measured(
        words=words,
        real=real,
        substance=real - _no_substance(words),
        seen=visible_length(joined) + sum(unicodedata.east_asian_width(c) in "WF" for c in joined),
        letters=len({c.lower() for c in joined if c.isalnum()}),
        unspaced=len(unspaced),
    )


def _substance_problem(m: _Measured) -> str:
    """Whether a measured reason is one of substance: `REASON_NO_SUBSTANCE`, `REASON_SAYS_NOTHING` or ""
    (a reason). The rule:

    - at least fifteen characters as drawn (`REASON_MIN_CHARS`), unless it is terse (`_terse`) or a short
      sentence (`_short_sentence`), and four different letters or digits ("xxxxxxxxxxxxxxx" is none; review
      13g);
    - or, for a reason written in a script without spaces (`UNSPACED_SCRIPTS`: Chinese, Japanese, Thai, Lao,
      Khmer, Myanmar), at least `REASON_MIN_UNSPACED_LETTERS` different letters of those scripts instead of
      three words: a sentence there is one run of letters, and a clinician's language must not refuse an
      emergency (review 22p);
    - at least three different real words (`REASON_MIN_WORDS`) unless terse, and not Keel's own: a reason
      more than half of whose words are in runs of two or more copied from one of `KEEL_SENTENCES` (the
      hints, the flag's note, every title, lead, label and button of the emergency pages, in English and in
      every compiled language, from the same gettext strings the pages show; `_keels_own`) is refused:
      "write the clinical reason, ok", the break-the-glass page's title (review 22p);
    - of those, at least two different words of substance (`REASON_MIN_SUBSTANCE`; review 22s): a real word
      that is none of `_NO_SUBSTANCE_WORDS` (a word that only joins others, "the", "to", "de", "sin"; a word
      about the reason or the record rather than the person, "reason", "motivo", "note", "nota",
      "documented"; a deferral or a placeholder, "later", "después", "pendiente", "TBD", "n/a", "lorem ipsum":
      `_LOREM_IPSUM`), nor a run of keys (`_keyboard_run`: "asdf", "jkl", "qwer", "uiop"). "no reason given
      at all", "sin motivo alguno", "will document later", "to be documented", "ver nota después" say that
      there is no reason yet: the record of a break-the-glass access or of an emergency disclosure (42 CFR
      2.51: the nature of the emergency) is made now, not later. A real reason keeps passing ("Patient
      unconscious in ED, needs methadone dose confirmed", "Paciente inconsciente en urgencias, confirmar
      dosis de metadona"). Review 23s: placeholders, deferrals and pointers elsewhere are no substance
      either, in every form of their stem after the fold (`_NO_SUBSTANCE_STEMS`: "documento", "documentaré",
      "write it up", "escribo"), and so is a run of the alphabet ("abc def ghi", `_keyboard_run`), a word
      about the software rather than the person ("testing the system", "prueba del sistema"), a
      programmer's filler ("foo", "baz", "blah", "yada") and a pointer ("same as last time", "igual que la
      vez anterior", "see previous entry above"): a reason is written now, here."""
    terse = _terse(m)
    if (m.seen < REASON_MIN_CHARS and not (terse or _short_sentence(m))) or m.letters < 4:
        return REASON_NO_SUBSTANCE
    if m.unspaced >= REASON_MIN_UNSPACED_LETTERS:
        return ""
    if (len(m.real) < REASON_MIN_WORDS and not terse) or 2 * _keels_own(m.words) > len(m.words):
        return REASON_NO_SUBSTANCE
    if len(m.substance) < REASON_MIN_SUBSTANCE:
        return REASON_SAYS_NOTHING
    return ""


def _terse(m: _Measured) -> bool:
    """Whether a reason of fewer than three words or fifteen characters is one of substance, tersely (review
    23s; tightened by lane fix23e): at least `REASON_MIN_TERSE_CHARS` characters hold two different words of
    substance and EVERY word of substance carries meaning: each is of `_TERSE_WORDS`, the small sourced
    vocabulary that says what happened on its own where Keel asks a reason, or of `_TERSE_MODIFIERS`, the
    short list of words that only modify a clinical word ("spat out", "dose missing"), and at least one is of
    `_TERSE_WORDS`: an emergency's signs and substances ("Opioid overdose", "Sobredosis, inconsciente",
    "Overdose, unresponsive"), a dose record's correction ("wrong patient", "pharmacy count", "dose
    spilled", "entered twice", "typo in mg", "spat out"). Its other real words may only join them
    (`_TERSE_JOINERS`: "in", "de"); a filler beside them ("gave dose ok") makes it none. A clinical word
    beside any other word is no reason: "overdose lol", "fentanyl yes", "dose thing", "wrong one", "typo
    fix" are refused. A busy clinician's two clinical words are a reason; "x", "TBD", "later", "ok", "lost
    it", "lost phone" never are."""
    return (
        m.seen >= REASON_MIN_TERSE_CHARS
        and len(m.substance) >= REASON_MIN_SUBSTANCE
        and bool(m.substance & _terse_shapes())
        and m.real <= _terse_shapes() | _terse_modifier_shapes() | _terse_joiner_shapes()
    )


def _short_sentence(m: _Measured) -> bool:
    """Whether a reason of fewer than fifteen characters is a short sentence of substance (lane fix23e):
    three different real words, two of substance, the others only joining words (`_TERSE_JOINERS`: "gave
    dose ok" is none), from `REASON_MIN_SENTENCE_CHARS` characters ("lost her phone")."""
    return (
        m.seen >= REASON_MIN_SENTENCE_CHARS
        and len(m.real) >= REASON_MIN_WORDS
        and m.real - m.substance <= _terse_joiner_shapes()
    )


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
)  # fmt: skip
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
)  # fmt: skip
# Lane fix23e: the words that only modify a clinical word of `_TERSE_WORDS` in a terse reason, English and
# Spanish, compared by skeleton; never a reason beside anything but a word of `_TERSE_WORDS`. Each says where,
# how much or how often of a dose (21 CFR 1304.22(c): how much was dispensed; Keel's dose record):
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
)  # fmt: skip
# Lane fix23e: the only words of no substance a terse reason may hold besides its clinical words: words that
# only join others ("typo in mg", "dosis de paciente"). A filler or a deferral ("gave dose ok", "dose TBD")
# makes a terse reason none.
_TERSE_JOINERS = (
    "the", "an", "to", "of", "in", "on", "at", "by", "for", "with", "from", "and", "or", "no", "not", "is",
    "was", "el", "la", "los", "las", "un", "una", "de", "del", "al", "en", "con", "por", "para", "y", "se",
    "su", "sin", "es", "fue", "her", "his", "their", "my", "our", "its", "it", "up", "lo", "le", "les", "me",
    "mi", "mis", "nos",
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
    plain = frozenset(map(skeleton, (*_NO_SUBSTANCE_WORDS, *stems)))
    return plain, frozenset(map(skeleton, _LOREM_IPSUM))


@cache
def _terse_shapes() -> frozenset[str]:
    """The skeletons of `_TERSE_WORDS`."""
    return frozenset(map(skeleton, _TERSE_WORDS))


@cache
def _terse_modifier_shapes() -> frozenset[str]:
    """The skeletons of `_TERSE_MODIFIERS`."""
    return frozenset(map(skeleton, _TERSE_MODIFIERS))


@cache
def _terse_joiner_shapes() -> frozenset[str]:
    """The skeletons of `_TERSE_JOINERS`."""
    return frozenset(map(skeleton, _TERSE_JOINERS))


def _keyboard_run(word: str) -> bool:
    """Whether `word` (case-folded, marks dropped) is one or more runs of at least three keys next to each
    other on one keyboard row, either way: "asdf", "jkl", "qwer", "uiop", "lkj", "asdfjkl", "zxcvzxcv", or
    of three letters or more of the alphabet in order ("abc", "def", "mno": `_ALPHABETS`, review 23s). No
    word of English or Spanish is."""
    plain = "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if not unicodedata.combining(c))
    plain = unicodedata.normalize("NFC", plain.replace("n\u0303", "ñ"))
    runs = [r for row in _KEY_ROWS for r in (row, row[::-1])] + list(_ALPHABETS)
    ends = {0}
    for i in range(len(plain)):
        if i in ends:
            ends |= {j for j in range(i + _KEY_RUN, len(plain) + 1) if any(plain[i:j] in r for r in runs)}
    return len(plain) >= _KEY_RUN and len(plain) in ends


def _no_substance(words: list[str]) -> set[str]:
    """The skeletons of those of `words` that are no substance of a reason: in `_NO_SUBSTANCE_WORDS`, in
    `_LOREM_IPSUM` when "lorem" or "ipsum" is there too, or a run of keys (`_keyboard_run`)."""
    plain, latin = _no_substance_shapes()
    shapes = {skeleton(w): w for w in words}
    if {skeleton("lorem"), skeleton("ipsum")} & shapes.keys():
        plain = plain | latin
    return {shape for shape, w in shapes.items() if shape in plain or _keyboard_run(w)}


def _keels_own(words: list[str]) -> int:
    """How many of `words` are Keel's own: in a run of two or more that follow each other in one of
    `KEEL_SENTENCES` (any language Keel speaks), compared by skeleton. A sentence of Keel's, cut anywhere and
    pasted, is all Keel's; a clinician's own sentence that shares a word ("emergency", "the") is not."""
    shapes = [skeleton(w) for w in words]
    own = [False] * len(shapes)
    for i, pair in enumerate(pairwise(shapes)):
        if pair in _keel_pairs():
            own[i] = own[i + 1] = True
    return sum(own)


def _real_word(word: str) -> bool:
    """Whether `word` counts toward a reason's words: two letters or more, not one letter repeated, none of a
    script written without spaces (those are counted by letter)."""
    shape = skeleton(word)
    return (
        sum(c.isalpha() for c in word) >= 2
        and len(set(shape)) >= 2
        and not any(script_of(c) in UNSPACED_SCRIPTS for c in word)
    )


def _less_hints(words: list[str]) -> list[str]:
    """`words` without any run of them that is one of Keel's hints, word for word."""
    for hint in _hint_words():
        n = len(hint)
        kept: list[str] = []
        i = 0
        while i < len(words):
            if tuple(words[i : i + n]) == hint:
                i += n
            else:
                kept.append(words[i])
                i += 1
        words = kept
    return words


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
def _hint_words() -> tuple[tuple[str, ...], ...]:
    """The words of each of `REASON_HINTS` in every language Keel speaks, longest first."""
    runs = {tuple(words_of(t, glued_to_digits=False)) for t in _said(REASON_HINTS)}
    return tuple(sorted((r for r in runs if len(r) >= REASON_MIN_WORDS), key=len, reverse=True))


@cache
def _keel_pairs() -> frozenset[tuple[str, str]]:
    """Each two words that follow each other in one of `KEEL_SENTENCES`, in every language Keel speaks, by
    skeleton."""
    pairs: set[tuple[str, str]] = set()
    for sentence in _said(KEEL_SENTENCES):
        shapes = [skeleton(w) for w in words_of(sentence, glued_to_digits=False)]
        pairs |= set(pairwise(shapes))
    return frozenset(pairs)


@cache
def _keel_vocabulary() -> frozenset[str]:
    """The skeleton of every word of `KEEL_SENTENCES` in every language Keel speaks."""
    return frozenset(skeleton(w) for t in _said(KEEL_SENTENCES) for w in words_of(t))


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
