"""Hole 4: a result struck as entered on the wrong person still shows its answers to the person whose
record it was wrongly filed on (her own copy: the API, her FHIR copy).

What the user does: at the window a nurse scores Roberto's COWS but files it on Alicia's record; she sees
the mistake and marks it entered in error ("scored on the wrong person"). Alicia opens her own record
(`GET /api/v1/me/assessments`, `GET /api/v1/me/fhir`).
What goes wrong: the struck row is listed to her with every answer and the score (withdrawal signs of
another patient), only its status saying entered-in-error. The staff page hides the typed reason from her,
but not the content: another person's Part 2 information reaches her through her own copy.
Severity: high (42 CFR Part 2 / HIPAA: another patient's clinical data disclosed to a patient; the usual
cause of a strike is a wrong-person filing).
What should hold: her own copy of the record leaves out (or empties) a result marked entered in error: at
least, none of its answers or its score reach her.
"""

from __future__ import annotations

import pytest

from keel.assessments.services import correct_assessment, submit_assessment
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


COWS_OF_ROBERTO = {
    "pulse": 2,
    "sweating": 3,
    "restlessness": 5,
    "pupils": 5,
    "aches": 4,
    "nose_eyes": 2,
    "gi_upset": 3,
    "tremor": 2,
    "yawning": 2,
    "anxiety": 4,
    "gooseflesh": 5,
}


def _struck_on_her_record(world):
    cows, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=COWS_OF_ROBERTO
    )
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=cows.pk,
        entered_in_error=True,
        reason="Scored on the wrong person: this was the next person in line at the window",
        read_version=0,
    )
    return cows


def test_her_own_list_shows_no_answers_of_a_result_struck_on_her_record(world, signed_in):
    cows = _struck_on_her_record(world)
    body = signed_in("patient").get("/api/v1/me/assessments").json()
    shown = [row for row in body if row["id"] == cows.pk]
    assert not any(row.get("answers") for row in shown), shown


def test_her_own_fhir_copy_carries_no_answers_of_a_result_struck_on_her_record(world, signed_in):
    cows = _struck_on_her_record(world)
    doc = signed_in("patient").get("/api/v1/me/fhir").json()
    its = [
        e["resource"]
        for e in doc.get("entry", [])
        if e["resource"].get("id", "").startswith(f"assessment-{cows.pk}")
    ]
    assert not any("item" in r or "valueInteger" in r for r in its), [r["resourceType"] for r in its]
