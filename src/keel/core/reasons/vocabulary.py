"""The measures a typed reason is held to and the words it is read against (`keel.core.reasons.check`),
English and Spanish, each list with the review that asked for it and its source; compared by skeleton
(`keel.core.text.skeleton`, remembered as `_shape`): accents are optional, letters that only look alike are
one."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from keel.core.text import skeleton

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
# Review 24s: a terse reason naming an emergency (a clinical word not of a dose record's correction nor a
# vital sign: `_emergency_words`) from this many characters: the ED's shorthand is short ("CP SOB", "r/o OD",
# "fent OD").
REASON_MIN_EMERGENCY_CHARS = 6
# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar; Scripts.txt
# names): a reason in them is measured by its distinct letters, not its words (review 22p).
UNSPACED_SCRIPTS = frozenset({"HAN", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR"})
REASON_MIN_UNSPACED_LETTERS = 6
# Review 24s: Spanish "is" (of the person) before a sign: "está inconsciente" (`_subject_of_a_sign`).
_IS = ("está", "esta", "estaba", "están", "estan")
_SUBJECT = "is:está"  # the person "está" names: a noun of the record (`_RECORD_NOUNS`)


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
# Review 24s: the words of `_TERSE_WORDS` that name the dose record, its parts or its writing, not an act or
# a sign: a reason made of these only ("patient person", "cup bottle", "dose dosing", "typo typed") says
# nothing.
_RECORD_NOUNS = (
    "dose", "doses", "dosing", "amount", "patient", "pt", "person", "typo", "typed", "entered", "entry",
    "pharmacy", "cup", "bottle", "bottles", "pump", "log", "dosis", "cantidad", "paciente", "persona",
    "registrado", "registrada", "registro", "farmacia", "vaso", "frasco", "frascos", "bomba", "bitácora",
)  # fmt: skip
# Review 24s: the words of `_TERSE_WORDS` of a dose record's correction (the rest name an emergency).
_RECORD_WORDS = (
    *_RECORD_NOUNS, "count", "conteo", "recuento", "mg", "wrong", "error", "mistake", "twice", "duplicate",
    "duplicated", "spilled", "spill",
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


# Review 24s: the hedge an ED writes before a diagnosis not yet confirmed ("r/o OD": rule out) and a count of
# doses given ("narcan x2", "2x narcan"), read as words: "ruleout" (`_TERSE_MODIFIERS`) and "again".
# "code blue" and "found down" (how EMS hands over a code) are one word each: "codeblue", "founddown".
_HEDGES_AND_COUNTS = re.compile(
    r"(?<![^\W_])(?:(?P<ro>r/o)|(?P<code>code\s+blue)|(?P<down>found\s+down)|x\s?[1-9]|[1-9]\s?x)(?![^\W_])",
    re.IGNORECASE,
)


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


@cache
def _negation_shapes() -> tuple[frozenset[str], frozenset[str]]:
    """The skeletons of `_NEGATIONS` and of `_NEGATABLE`."""
    return frozenset(map(_shape, _NEGATIONS)), frozenset(map(_shape, _NEGATABLE))


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
