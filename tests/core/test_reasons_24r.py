"""Lane fix24r: the one reason check after review 24r, attacked from both sides. For every new acceptance
(negated signs, vital signs, Spanish forms, one typo, the form's label left out, nurses' correction words)
three junk texts of the same shape are refused; for every new refusal (requests, greetings, test text, mash)
three real reasons of the same shape pass; every refusal names what failed, never a measure already met."""

from __future__ import annotations

import pytest

from keel.core.reasons import (
    REASON_KEELS_OWN,
    REASON_MIN_CHARS,
    REASON_MIN_WORDS,
    REASON_NO_SUBSTANCE,
    REASON_SAY_MORE,
    REASON_SAYS_NOTHING,
    reason_problem,
    reason_text,
)
from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency

# Each new acceptance, with three junk texts of its shape.
ACCEPTED_AND_ITS_JUNK = [
    ("not breathing", ["not ok", "not sure", "no idea"]),
    ("sin pulso", ["sin motivo", "sin nada", "no sé"]),
    ("respiratory distress", ["status update", "status pending", "distress lol"]),
    ("OD, RR 4, SpO2 80%", ["RR RR RR", "BP 1, BP 2", "HR 1000, BP 999"]),
    ("GCS 6, RR 4, SpO2 78%", ["GCS 99, RR 400", "SpO2 780%", "RR 4 lol ok"]),
    ("paro respiratorio", ["paro nada", "respiratorio ok", "paro luego"]),
    ("unresponive, OD", ["unrespxxxx, OD", "qwerty, OD", "sdfghj, OD"]),
    (
        "Nature of the emergency: opioid overdose",
        ["Nature of the emergency", "Nature of the emergency: ok", "Nature of the emergency: later"],
    ),
    ("dose spilt", ["dose lol", "spilt whatever", "dose later"]),
    ("dup entry", ["dup dup", "entry ok", "dup idk"]),
]

# Each new refusal, with three real reasons of its shape.
REFUSED_AND_ITS_REAL = [
    (
        "because I need it",
        ["because the patient needs a dose", "because she is not breathing", "because of an opioid overdose"],
    ),
    (
        "please let me in",
        [
            "please: patient found unresponsive",
            "let the ED see the dose record",
            "please open, opioid overdose",
        ],
    ),
    (
        "hola hola que tal",
        ["hola, paciente inconsciente en urgencias", "paciente sin pulso", "que tal: sobredosis de heroína"],
    ),
    (
        "ksjdf lkjsd fkjs",
        ["ECG shows arrest, CPR started", "EMS found him apneic", "ICU transfer, intubated"],
    ),
    (
        "фыва пролдж йцукен",
        [
            "пациент без сознания после передозировки",
            "передозировка опиоидов, не дышит",
            "пациент не дышит, нет пульса",
        ],
    ),
    (
        "testing testing one two three",
        [
            "test dose given, then a seizure",
            "urine drug test positive for fentanyl",
            "two doses given by mistake",
        ],
    ),
]


@pytest.mark.parametrize(("accepted", "junk"), ACCEPTED_AND_ITS_JUNK)
def test_each_new_acceptance_refuses_three_junk_texts_of_its_shape(accepted: str, junk: list[str]) -> None:
    assert reason_problem(accepted) == ""
    assert {t: reason_problem(t) for t in junk if not reason_problem(t)} == {}


@pytest.mark.parametrize(("refused", "real"), REFUSED_AND_ITS_REAL)
def test_each_new_refusal_passes_three_real_reasons_of_its_shape(refused: str, real: list[str]) -> None:
    assert reason_problem(refused)
    assert {t: reason_problem(t) for t in real if reason_problem(t)} == {}


@pytest.mark.parametrize(
    "text",
    [
        "the person is not breathing",
        "intoxicación opiácea",
        "convulsionó, sobredosis",
        "pupilas puntiformes",
        "FR 4, SatO2 70%",
        "TA 60/30, FC 140",
        "narcan gvien",
        "spit out",
        "charted twice",
        "Emergency access to a record: heroin OD, apneic",
        "spilled a little",
        "se derramó un poco",
        "lost her phone",
    ],
)
def test_real_reasons_pass(text: str) -> None:
    assert reason_problem(text) == ""


def test_every_refusal_names_what_failed_never_a_measure_already_met() -> None:
    """`REASON_NO_SUBSTANCE` (at least 3 different words and 15 characters) only for a text with fewer of
    either; filler, keys, requests: `REASON_SAYS_NOTHING`; Keel's own words: `REASON_KEELS_OWN`; two
    clinical words too short to read: `REASON_SAY_MORE`."""
    assert reason_problem("asdf asdf asdf asdf") == REASON_SAYS_NOTHING
    assert reason_problem("I need access now") == REASON_SAYS_NOTHING
    assert reason_problem("Nature of the emergency") == REASON_KEELS_OWN
    assert reason_problem("write the clinical reason, ok") == REASON_KEELS_OWN
    assert reason_problem("OD pt") == REASON_SAY_MORE
    for text in ("x", "blue sky", "dose thing", "lost phone"):
        assert reason_problem(text) == REASON_NO_SUBSTANCE, text
        short = len(text) < REASON_MIN_CHARS or len(set(text.casefold().split())) < REASON_MIN_WORDS
        assert short, text


def test_the_kept_text_is_the_measured_text() -> None:
    assert reason_text("  phone lost,\u202e identity\u200b checked  ") == "phone lost, identity checked"


def test_the_emergency_nature_is_judged_by_the_one_check_only() -> None:
    for nature, said in (("heroin OD", None), ("x", "write the clinical reason (required)"), ("", None)):
        try:
            parse_emergency({"nature": nature})
        except InvalidInput as exc:
            fields = {e.field: e.reason for e in exc.errors}
        if said is None and nature:
            assert "nature" not in fields
        elif nature:
            assert fields["nature"] == reason_problem(nature)
        else:
            assert fields["nature"] == reason_problem("")
