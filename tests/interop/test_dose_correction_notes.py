"""Session 21, item 5: a dose's correction leaves Keel (FHIR MedicationAdministration.note) in the
correction's own coded words, the ones the medication page shows ("voided", the amount it was corrected to),
never the reason the staff member typed: typed text may name other people or details of the person's life that
the structured record does not carry. The record still passes the two independent R4 validators."""

from __future__ import annotations

import json

import time_machine

from tests.conftest import World
from tests.fhir_r4 import assert_valid_r4
from tests.interop.test_fhir import NOW, _export, _of, record

__all__ = ["record"]
TYPED = ("recorded for the wrong person", "typed 60, gave 55")


@time_machine.travel(NOW, tick=False)
def test_no_typed_correction_reason_leaves(record: World) -> None:
    body = _export(record).json()
    text = json.dumps(body)
    assert not [t for t in TYPED if t in text]


@time_machine.travel(NOW, tick=False)
def test_the_notes_say_the_correction_in_its_coded_words(record: World) -> None:
    doses = _of(_export(record).json(), "MedicationAdministration")
    assert [[n["text"] for n in d.get("note", [])] for d in doses] == [
        ["Dose voided"],
        ["Dose corrected from 60 mg to 55 mg"],
        [],
    ]


@time_machine.travel(NOW, tick=False)
def test_each_note_keeps_who_and_when(record: World) -> None:
    doses = _of(_export(record).json(), "MedicationAdministration")
    note = doses[1]["note"][0]
    assert note["authorReference"]["reference"].startswith("Practitioner/")
    assert note["time"]


@time_machine.travel(NOW, tick=False)
def test_the_record_with_its_notes_passes_the_r4_validators(record: World) -> None:
    body = _export(record).json()
    assert _of(body, "MedicationAdministration")[1]["note"]
    assert_valid_r4(body)
