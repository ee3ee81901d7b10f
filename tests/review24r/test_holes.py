"""Review 24r: what an ED physician and an OTP privacy officer type at 3 a.m. into Keel's one reason check.

`keel.core.rules.window.reason_problem` decides every typed reason: break-the-glass access to a record
(`sharing.services.emergency`), a 42 CFR 2.51 disclosure's nature (`core.sharing.parse_emergency`), dose
overrides, corrections and voids, second-factor resets, program policy changes. Each test is one hole: it says
what a safe program must do and fails while the hole is open. Pure core tests (no database)."""

from __future__ import annotations

import pytest

from keel.core.reasons import REASON_NO_SUBSTANCE, reason_problem
from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency
from keel.core.text import shown_text


def _refused(texts: list[str]) -> dict[str, str]:
    """Those of `texts` that `reason_problem` refuses, with what it answers."""
    return {t: p for t in texts if (p := reason_problem(t))}


def _accepted(texts: list[str]) -> list[str]:
    """Those of `texts` that `reason_problem` accepts."""
    return [t for t in texts if not reason_problem(t)]


def test_negated_two_word_emergencies_are_refused() -> None:
    """An ED physician opens the record of a person brought in by EMS (break-the-glass, "The emergency") or a
    nurse discloses under 2.51 ("Nature of the emergency") and types the two words every clinician says first:
    "not breathing", "no pulse", "no respira", "sin pulso", "no responde". Keel refuses each: "not", "no" and
    "sin" are words of no substance (`_NO_SUBSTANCE_WORDS`), so only one word of substance is left, under the
    terse rule's two, and the text is under 15 characters. The negation IS the emergency (apnea, no pulse,
    unresponsiveness). It should accept them as it accepts "cardiac arrest" and "narcan given". Severity: high
    (the record of a person in arrest stays closed while the physician retypes)."""
    assert reason_problem("cardiac arrest") == "" and reason_problem("narcan given") == ""  # the terse rule
    texts = ["not breathing", "no pulse", "no respira", "sin pulso", "no responde", "not responsive"]
    assert _refused(texts) == {}


def test_common_two_word_ed_emergencies_outside_the_vocabulary_are_refused() -> None:
    """An ED physician types, as break-the-glass reason or 2.51 nature, a two-word emergency of 17 to 20
    characters: "respiratory distress", "agonal respirations", "anaphylactic shock", "status epilepticus",
    "pulseless, apneic", "hypotensive, tachycardic". Keel refuses each with "in at least 3 words and 15
    characters": two words pass only when every one is in `_TERSE_WORDS`, a list of overdose and dose-record
    words, so any other bona fide emergency (42 CFR 2.51 is not limited to overdoses) needs a third word. It
    should accept two clinical words of substance of this length (the docstring's own promise: "a busy
    clinician's two clinical words are a reason"), e.g. by length or by a broader clinical vocabulary.
    Severity: high."""
    texts = [
        "respiratory distress",
        "agonal respirations",
        "anaphylactic shock",
        "status epilepticus",
        "pulseless, apneic",
        "hypotensive, tachycardic",
    ]
    assert _refused(texts) == {}


def test_spanish_equivalents_of_accepted_english_emergencies_are_refused() -> None:
    """A bilingual ED nurse types in Spanish, with and without accents (a US keyboard at 3 a.m.): "paro
    respiratorio", "pupilas puntiformes", "convulsiono, sobredosis" / "convulsionó, sobredosis",
    "intoxicacion opiacea". Keel accepts the English "respiratory arrest", "pinpoint pupils", "seizure,
    overdose", "opioid intoxication" but refuses the Spanish: `_TERSE_WORDS` has "respiratoria" but not
    "respiratorio", no "puntiformes", "convulsiona" but not "convulsionó", "opiáceo" but not "opiácea".
    It should treat the two languages it claims alike. Severity: high (Spanish-speaking staff are refused
    where English-speaking staff are not, on an emergency)."""
    english = ["respiratory arrest", "pinpoint pupils", "seizure, overdose", "opioid intoxication"]
    assert _refused(english) == {}
    spanish = [
        "paro respiratorio",
        "pupilas puntiformes",
        "convulsiono, sobredosis",
        "convulsionó, sobredosis",
        "intoxicacion opiacea",
        "intoxicación opiácea",
    ]
    assert _refused(spanish) == {}


def test_ed_shorthand_with_vital_signs_is_refused() -> None:
    """An ED physician types the way an ED chart is written: "OD, RR 4, SpO2 80%", "GCS 6, RR 4, SpO2 78%",
    "BP 60/30, HR 140", "RR 4, SpO2 70%, pinpoint". Keel refuses each: "RR" is one letter repeated (no
    real word), "SpO2" touches a digit (no word), the numbers count for nothing, so one or two words are
    left. Vital signs are the most specific statement of an emergency there is (respiratory rate 4 is
    respiratory arrest). It should accept a reason of clinical abbreviations with their values. Severity:
    high."""
    texts = ["OD, RR 4, SpO2 80%", "GCS 6, RR 4, SpO2 78%", "BP 60/30, HR 140", "RR 4, SpO2 70%, pinpoint"]
    assert _refused(texts) == {}


def test_three_am_typos_of_clinical_words_are_refused() -> None:
    """A tired physician mistypes one clinical word: "unresponive, OD", "overdoes, unresponsive",
    "sobredosis, inconciente", "narcan gvien". Keel refuses each (the terse rule needs every word in
    `_TERSE_WORDS`, spelled exactly; 15 characters and more still need three words), and the answer ("in at
    least 3 words and 15 characters") does not say a word was misspelled. "unresponsive, OD" passes. It should
    accept a two-word emergency with one clinical word recognisable despite a typo (or pass any two words of
    substance from 15 characters). Severity: medium (a retype on an emergency; the answer misleads)."""
    assert reason_problem("unresponsive, OD") == ""
    texts = ["unresponive, OD", "overdoes, unresponsive", "sobredosis, inconciente", "narcan gvien"]
    assert _refused(texts) == {}


def test_the_forms_own_label_typed_before_a_real_reason_refuses_it() -> None:
    """A nurse on the 2.51 form types the label then the emergency, as people fill forms: "Nature of the
    emergency: opioid overdose"; an ED physician on the break-the-glass page: "Emergency access to a record:
    heroin OD, apneic". Keel refuses both (`_keels_own`: more than half the words are a run copied from one of
    Keel's sentences) though "opioid overdose" and "heroin OD, apneic" alone pass: adding words turns a
    reason into none. It should judge what the person added (e.g. leave Keel's run out, as it does for a
    hint pasted whole) and accept. Severity: medium (an emergency refused; the answer "at least 3 words and 15
    characters" is already met, so the person cannot tell what to change)."""
    assert reason_problem("opioid overdose") == "" and reason_problem("heroin OD, apneic") == ""
    texts = ["Nature of the emergency: opioid overdose", "Emergency access to a record: heroin OD, apneic"]
    assert _refused(texts) == {}


def test_reasons_that_name_no_person_and_no_state_are_accepted() -> None:
    """A curious employee opens a record outside their caseload (break-the-glass: a HIPAA and Part 2 snooping
    case) or a front desk resets a second factor, and types what says nothing clinical: "because I need it",
    "I need access now", "please let me in", "just need to check", "idk, sorry, later", "dunno, ask doc",
    "hola hola que tal". Keel accepts each: three different real words, two not in `_NO_SUBSTANCE_WORDS`,
    from 15 characters (or 12 for "dunno, ask doc"). The privacy officer reviewing the access learns nothing
    and the deterrent is gone. It should refuse a text whose words of substance are only a request, an
    apology, a greeting or a deferral (as it refuses "see above", "later", "no reason"). Severity: medium."""
    texts = [
        "because I need it",
        "I need access now",
        "please let me in",
        "just need to check",
        "idk, sorry, later",
        "dunno, ask doc",
        "hola hola que tal",
    ]
    assert _accepted(texts) == []


def test_keyboard_mash_and_test_text_are_accepted() -> None:
    """Someone tries the break-the-glass or a dose override with filler: a mash off the home row that is not a
    straight run ("ksjdf lkjsd fkjs"), the Russian layout's home row ("фыва пролдж йцукен", what "asdf jkl"
    types there), a sound check ("testing testing one two three"), "idk lol sorry". Keel accepts each: only
    runs along a QWERTY row or the Latin alphabet are keys (`_keyboard_run`), "testing" is not a software word
    there, and three different words of 12 characters pass. "asdf jkl qwer" is refused. It should refuse these
    as it refuses "asdf qwer zxcv" and "testing the system". Severity: medium (an audit record of nothing)."""
    assert reason_problem("asdf qwer zxcv")
    texts = ["ksjdf lkjsd fkjs", "фыва пролдж йцукен", "testing testing one two three", "idk lol sorry"]
    assert _accepted(texts) == []


def test_emergency_nature_accepted_by_break_the_glass_is_refused_by_the_disclosure() -> None:
    """The same physician, the same minute: "heroin OD" as the break-the-glass reason is accepted
    (`reason_problem`'s terse rule: two clinical words from 8 characters), but as the 2.51 disclosure's
    "Nature of the emergency" it is refused "needs at least 10 characters" (`parse_emergency`: `_text(...,
    low=10)` before the one test of a reason; that sentence is not even marked for translation). Same for
    "Opioid OD". It should be one rule for one kind of text: what passes the reason check passes the nature.
    Severity: medium (a disclosure to the treating ED held back on a text Keel itself calls a reason)."""
    for nature in ("heroin OD", "Opioid OD"):
        assert reason_problem(nature) == ""
        try:
            parse_emergency({"nature": nature})
        except InvalidInput as exc:
            fields = {e.field: e.reason for e in exc.errors}
        else:  # pragma: no cover - the other fields are missing, so it always raises
            fields = {}
        assert "nature" not in fields, (nature, fields.get("nature"))


def test_refusal_names_a_measure_the_text_already_meets() -> None:
    """A physician types a reason of 4 to 7 words and 18 to 47 characters ("Nature of the emergency: opioid
    overdose", "GCS 6, RR 4, SpO2 78%", "asdf asdf asdf asdf") and is told "say what you assessed and why, in
    at least 3 words and 15 characters": the text already has both, so the answer does not say what would pass
    (abbreviations, numbers, keys and Keel's own words count for nothing). It should name what failed
    (e.g. "numbers and abbreviations do not count as words", "Keel's own label is not a reason").
    Severity: medium (retyping blind on an emergency)."""
    texts = ["Nature of the emergency: opioid overdose", "GCS 6, RR 4, SpO2 78%", "asdf asdf asdf asdf"]
    misleading = [t for t in texts if reason_problem(t) == REASON_NO_SUBSTANCE]
    assert all(len(t) >= 15 and len(t.split()) >= 3 for t in texts)
    assert misleading == []


def test_dose_correction_shorthand_is_refused() -> None:
    """A nurse corrects or voids a dose record at the window and types what happened as nurses say it: "spit
    out", "dose spilt", "charted twice", "dup entry". Keel accepts "spat out", "dose spilled", "entered twice"
    but refuses these (each one word short of `_TERSE_WORDS`: "spit" is not "spat", "spilt" not "spilled",
    "charted" and "dup" are absent), so a wrong dose record stays uncorrected while the line waits. It should
    accept them. Severity: medium (a dispensing record, 21 CFR 1304.22(c), left wrong)."""
    assert _refused(["spat out", "dose spilled", "entered twice"]) == {}
    assert _refused(["spit out", "dose spilt", "charted twice", "dup entry"]) == {}


def test_operator_reset_keeps_characters_the_check_never_saw() -> None:
    """The server's operator resets a clinician's second factor with `--reason` pasted from a ticket that
    carries a right-to-left override and zero-width spaces ("phone lost, identity checked\\u202e by video").
    `reason_problem` measures the text as shown (`shown_text`: format characters dropped) but
    `operator_reason` keeps the raw text, so the stored reason renders reversed and is not what was checked;
    the break-the-glass path stores `shown_text` (review 21y). It should keep the text as measured. Severity:
    low (an audit record a reviewer reads differently from what was checked)."""
    from keel.accounts.second_factor import operator_reason

    typed = "phone lost, identity checked\u202e by video\u200b call"
    kept = operator_reason(typed)
    assert kept == " ".join(shown_text(typed).split())


@pytest.mark.parametrize("text", ["x" * 5000, "overdose \x00 unresponsive", "\u202e\u200b" * 3000])
def test_odd_input_is_answered_not_raised(text: str) -> None:
    """Guard (expected to pass): very long text, NUL, RTL marks and zero-width spaces get an answer, never an
    exception, from the one check."""
    assert isinstance(reason_problem(text), str)
