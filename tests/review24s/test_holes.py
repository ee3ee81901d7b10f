"""Review 24s: a second round on `keel.core.rules.window.reason_problem` after lane fix24r's rewrite.

An ED physician (privacy committee) and an OTP privacy officer (42 CFR Part 2: break-the-glass, 2.51
medical-emergency disclosure; HIPAA) type what staff type at 3 a.m. Each test is one hole; each collects every
example that fails so one run shows the whole hole. Pure core tests except the flag note (a service function
that touches no database).
"""

from __future__ import annotations

from typing import Any

from keel.core.reasons import REASON_SAYS_NOTHING, reason_problem, reason_text
from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency


def _refused(texts: list[str]) -> list[tuple[str, str]]:
    """The texts `reason_problem` refuses, with what it says."""
    return [(t, reason_problem(t)) for t in texts if reason_problem(t)]


def _accepted(texts: list[str]) -> list[str]:
    """The texts `reason_problem` accepts."""
    return [t for t in texts if not reason_problem(t)]


def _nature_refused(nature: str) -> str:
    """What a 2.51 emergency disclosure (`parse_emergency`) says of `nature`, every other field valid."""
    raw: dict[str, Any] = {
        "recipient_name": "Dr. Ana Ruiz",
        "recipient_role": "physician",
        "recipient_affiliation": "St. Mary's Hospital emergency department",
        "nature": nature,
        "categories": ["medication"],
    }
    try:
        parse_emergency(raw)
    except InvalidInput as exc:
        return "; ".join(str(e.reason) for e in exc.errors if e.field == "nature")
    return ""


def test_hedged_overdose_is_refused_as_the_nature_of_an_emergency() -> None:
    """HIGH. An ED physician calls the OTP for the dose of a patient brought in unresponsive; the OTP nurse
    records a 42 CFR 2.51 disclosure and types the nature as the ED said it: "suspected OD", "possible
    overdose", "probable OD", "likely overdose", "r/o OD", "query overdose", "posible sobredosis". An ED
    never names a diagnosis without a hedge before it is confirmed. Keel refuses every one ("say what
    happened and why, in at least 3 different words ... or in two clinical words") while "heroin OD" passes:
    the hedge is read as a non-clinical word. The disclosure (and, by the same check, break-the-glass) waits
    while the ED is on the phone. Should: a hedge ("suspected", "possible", "probable", "likely", "r/o",
    "query", "posible", "sospecha") beside a clinical word is a terse reason."""
    texts = [
        "suspected OD",
        "possible overdose",
        "probable OD",
        "likely overdose",
        "r/o OD",
        "query overdose",
        "posible sobredosis",
        "probable sobredosis",
    ]
    refused = [(t, p) for t in texts if (p := _nature_refused(t))]
    assert refused == []


def test_ed_shorthand_for_an_emergency_is_refused() -> None:
    """HIGH. Break-the-glass from the ED (or an emergency disclosure's nature) typed in the abbreviations
    every ED chart uses: "resp distress", "resp arrest", "resp depression", "opioid toxicity", "opioid tox",
    "pt intox", "fent OD", "pt desat", "pt brady", "CP SOB", "narcan x2". Keel refuses all of them ("resp",
    "tox", "toxicity", "intox", "fent", "desat", "brady", "SOB", "CP" are not clinical words; "x2" no word),
    though "respiratory distress", "heroin OD" and "pt hypoxic" pass. Care waits while the physician guesses
    which spelling Keel wants. Should: pass (the ED's abbreviations of the signs and substances already listed
    are clinical words)."""
    texts = [
        "resp distress",
        "resp arrest",
        "resp depression",
        "opioid toxicity",
        "opioid tox",
        "pt intox",
        "fent OD",
        "pt desat",
        "pt brady",
        "CP SOB",
        "narcan x2",
    ]
    assert _refused(texts) == []


def test_how_the_ed_found_the_person_is_refused() -> None:
    """HIGH. Break-the-glass at triage, as EMS handed over: "found unresponsive", "found down", "code blue",
    "pt coding", "bystander CPR". Keel refuses each ("found unresponsive" is 18 characters and two words, one
    clinical; "code", "coding", "blue", "bystander" are not words it knows) while "pt found down" and
    "found unresponsive in bathroom" pass. A code in progress is the one moment break-the-glass exists for.
    Should: pass."""
    texts = ["found unresponsive", "found down", "code blue", "pt coding", "bystander CPR"]
    assert _refused(texts) == []


def test_spanish_is_verb_with_a_sign_is_refused_as_filler() -> None:
    """HIGH. A Spanish-speaking nurse opens a record by break-the-glass: "está inconsciente", "esta
    inconsciente" (no accent at 3 a.m.), "está en paro", "está convulsionando", "convulsiones activas",
    "labios morados" (cyanosis). Keel refuses all of them; the first four with REASON_SAYS_NOTHING (as if the
    nurse had typed "later" or "please let me in": "está" is a filler word and the terse rule allows only
    joiners), while "pt inconsciente" and "paciente inconsciente" pass. Should: "está"/"esta" before a sign
    is a joining word of a terse reason; "activas" and "morados" modify a sign."""
    texts = [
        "está inconsciente",
        "esta inconsciente",
        "está en paro",
        "está convulsionando",
        "convulsiones activas",
        "labios morados",
    ]
    assert _refused(texts) == []


def test_a_critical_vital_sign_alone_is_refused() -> None:
    """HIGH. The rule's docstring reads "RR 4", "SpO2 80%", "GCS 6" as clinical words, and the ED types one
    critical value to open a record: "RR 4", "GCS 3", "SpO2 70%", "pt RR 4", "RR 4 pt". Keel refuses each:
    a lone vital is one clinical word, and "pt RR 4" (two clinical words) is refused by REASON_SAY_MORE for
    being 7 characters, one short of 8. A respiratory rate of 4 is an emergency on its own. Should: a vital
    sign in its critical range (RR <= 8, GCS <= 8, SpO2 <= 85) passes alone, and "pt RR 4" passes."""
    texts = ["RR 4", "GCS 3", "SpO2 70%", "pt RR 4", "RR 4 pt"]
    assert _refused(texts) == []


def test_numbers_shaped_like_vitals_no_person_has_are_accepted() -> None:
    """MEDIUM. Someone wanting into a record (break-the-glass) or past a dose ceiling (override) types numbers
    after any two vital names: "bp 1 hr 1", "sat 1 bg 1", "bp 2 sat 3", "hr 2 bg 3". Keel accepts each as
    two clinical words (`_VITAL_NAMES` ranges start at 0: a BP of 1, a glucose of 1 are "values a person can
    have"). They say nothing; the audit trail keeps junk as the reason for a Part 2 record opened. Should:
    refused (a value no living person has is no vital sign; numbers are no reason)."""
    texts = ["bp 1 hr 1", "sat 1 bg 1", "bp 2 sat 3", "hr 2 bg 3"]
    assert _accepted(texts) == []


def test_dose_record_nouns_alone_are_accepted_as_any_reason() -> None:
    """MEDIUM. The terse vocabulary of a dose correction ("patient", "person", "pt", "cup", "bottle", "pump",
    "log", "typo", "typed", "dose", "dosing") is clinical on every path. So "patient person", "paciente
    persona", "person patient pt", "cup bottle", "pump log", "typo typed", "dose dosing" are accepted as
    the reason to break the glass on a Part 2 record, the nature of a 2.51 emergency, a second-factor reset
    or a policy change. None says what happened. Should: refused (two nouns of a dose record, no act or
    sign, are no reason; on emergency paths the dose-record words should not count at all)."""
    texts = [
        "patient person",
        "paciente persona",
        "person patient pt",
        "cup bottle",
        "pump log",
        "typo typed",
        "dose dosing",
    ]
    accepted = _accepted(texts) + [t for t in ("patient person", "cup bottle") if not _nature_refused(t)]
    assert accepted == []


def test_one_typo_turns_an_ordinary_word_into_a_clinical_one() -> None:
    """MEDIUM. The one-typo rule (review 24r) reads any six-letter word one letter from a clinical word as
    that word: "statue" is "status", "strike" is "stroke", "patent" is "patient", "battle" is "bottle".
    So "statue error", "strike person", "patent error", "battle wrong" are accepted as break-the-glass
    reasons. Should: a correctly spelled word of English or Spanish is never a typo of another (or: the
    typo only counts beside a clinical word spelled right, and "error", "person", "wrong" are not)."""
    texts = ["statue error", "strike person", "patent error", "battle wrong"]
    assert _accepted(texts) == []


def test_typist_and_programmer_filler_is_accepted() -> None:
    """MEDIUM. Keel refuses "foo bar baz", "lorem ipsum" and "testing testing" but accepts the other fillers
    everyone types to get past a box: "the quick brown fox jumps over the lazy dog", "quick brown fox",
    "hello world again", "hola mundo adios". Each becomes the reason for a break-the-glass or an override in
    the audit trail. Should: refused (a pangram and "hello world" are filler, like lorem ipsum)."""
    texts = [
        "the quick brown fox jumps over the lazy dog",
        "quick brown fox",
        "hello world again",
        "hola mundo adios",
    ]
    assert _accepted(texts) == []


def test_refusal_of_a_sign_tells_the_nurse_they_typed_filler() -> None:
    """MEDIUM (message). "está inconsciente", "está en paro", "está convulsionando" are refused with
    REASON_SAYS_NOTHING: "say what happened and why now, in your own words: “later”, “TBD”, “no reason”,
    “please let me in”, “testing” or keys in a row say nothing". The nurse wrote what happened; the answer
    accuses them of filler and does not say what would pass ("paciente inconsciente" does). Review 24r's own
    rule: the answer names what failed. Should (if they stay refused): REASON_SAY_MORE or a sentence naming
    what passes, never the filler list."""
    said = {t: reason_problem(t) for t in ("está inconsciente", "está en paro", "está convulsionando")}
    assert [t for t, p in said.items() if p == REASON_SAYS_NOTHING] == []


def test_a_held_dose_flag_note_is_not_kept_as_measured() -> None:
    """MEDIUM (record). A prescriber resolves a held dose's flag with the assessment; `_checked_note` measures
    the note through `reason_problem` (which cleans it with `reason_text`) but keeps `note.strip()`: a
    right-to-left override, zero-width spaces and runs of spaces are stored as typed. Review 24r made
    `reason_text` "the one cleaning of a reason: every caller ... stores this text"; this caller does not, so
    the flag's record shows text other than what was judged (an RLO reverses what a reviewer reads). Should:
    the note kept is `reason_text(note)`."""
    from keel.patients.models import FlagKind
    from keel.patients.services.flags import _checked_note

    typed = "pt\u200b sedated,\u202e  dose held, reassessed"
    kept = _checked_note(typed, FlagKind.DOSE_HELD)
    assert kept == reason_text(typed)
