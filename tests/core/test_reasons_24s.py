"""Lane fix24s: the reason check after review 24s, attacked. For every new acceptance (a hedged diagnosis, the
ED's shorthand, how the person was found, Spanish "está" before a sign, a lone critical vital sign, a count of
doses, the ED's shorter terse reasons) three junk texts of the same shape are refused; for every new refusal
(vital values no living person has, dose-record nouns alone, a six-letter word one letter from a clinical one,
a typist's filler) three real reasons of the same shape pass."""

from __future__ import annotations

import pytest

from keel.core.reasons import REASON_SAYS_NOTHING, reason_problem

ACCEPTED_AND_ITS_JUNK = [
    ("suspected OD", ["possible patient", "suspected dose", "likely probable"]),
    ("posible sobredosis", ["posible mañana", "sospecha algo", "posible"]),
    ("r/o OD", ["r/o", "r/o ok", "r/o later"]),
    ("narcan x2", ["x2", "ok x2", "later x3"]),
    ("opioid tox", ["tox", "tox lol", "tox tox"]),
    ("CP SOB", ["CP ok", "sob sob", "cp asdf"]),
    ("fent OD", ["pt od", "fent", "fent ok"]),
    ("found down", ["found cup", "pt found", "code down"]),
    ("found unresponsive", ["found it", "found blue", "blue down"]),
    ("code blue", ["code review", "blue sky", "code blue lol"]),
    ("bystander CPR", ["bystander", "bystander ok", "innocent bystander"]),
    ("está inconsciente", ["está bien", "esta nota", "está en casa"]),
    ("está en paro", ["esta dosis", "está en la farmacia", "está"]),
    ("labios morados", ["labios", "morados", "labios rojos"]),
    ("convulsiones activas", ["activas", "cuentas activas", "activas todas"]),
    ("RR 4", ["RR 40", "RR 4 lol", "RR 12"]),
    ("GCS 3", ["GCS 15", "GCS 3 ok", "GCS 12"]),
    ("SpO2 70%", ["SpO2 99%", "SpO2 97% ok", "SpO2 70% later"]),
    ("pt RR 4", ["pt RR 9", "pt HR 9", "ok RR 4"]),
]

REFUSED_AND_ITS_REAL = [
    ("bp 1 hr 1", ["BP 60/30, HR 140", "hr 30 bp 70", "sat 80 bg 40"]),
    ("sat 1 bg 1", ["SpO2 80%, glucose 30", "sats 72, RR 6", "bg 40, confused"]),
    ("patient person", ["wrong patient", "patient vomited", "because the patient needs a dose"]),
    ("cup bottle", ["bottle dropped", "cup spilled", "pharmacy count"]),
    ("dose dosing", ["dose spilled", "vomited dose", "double dose"]),
    ("statue error", ["unresponive, OD", "overdoes, unresponsive", "narcan gvien"]),
    ("patent error", ["patient error", "sobredosis, inconciente", "status epilepticus"]),
    ("quick brown fox", ["dog bite, bleeding", "found down, brown vomit", "fox bite, bleeding"]),
    (
        "hello world again",
        ["hello, pt unresponsive, OD", "world record of overdose? pt apneic", "overdose again"],
    ),
    ("hola mundo adios", ["hola, paciente inconsciente", "sobredosis, paciente inconsciente", "no respira"]),
]


@pytest.mark.parametrize(("accepted", "junk"), ACCEPTED_AND_ITS_JUNK)
def test_each_new_acceptance_refuses_three_junk_texts_of_its_shape(accepted: str, junk: list[str]) -> None:
    assert reason_problem(accepted) == ""
    assert [t for t in junk if not reason_problem(t)] == []


@pytest.mark.parametrize(("refused", "real"), REFUSED_AND_ITS_REAL)
def test_each_new_refusal_passes_three_real_reasons_of_its_shape(refused: str, real: list[str]) -> None:
    assert reason_problem(refused)
    assert {t: reason_problem(t) for t in real if reason_problem(t)} == {}


def test_a_sign_after_esta_is_never_told_it_is_filler() -> None:
    """Review 24s, hole 10: "está" before a sign is a reason; a refusal beside it never names filler."""
    assert [
        t for t in ("está inconsciente", "está en paro", "esta convulsionando") if reason_problem(t)
    ] == []
    assert reason_problem("está convulsionando") != REASON_SAYS_NOTHING
