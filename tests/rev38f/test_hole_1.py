"""Hole 1: a program-wide FHIR `Provenance?` search names an imported response's sender to a clinician who
reaches the person only through emergency access (break-the-glass).

What the user does: a nurse not on Roberto's care team opens emergency access to his record (a real
emergency), then her EHR-side client runs the ordinary `GET /fhir/R4/Provenance` (no `patient`).
What goes wrong: the search builds each record from the plain `patients_visible_to` rows, which carry no
`keel_off_team` mark, so `sharing.carried.sender_named` answers yes: the Provenance names the outside
system that exchanges his SUD information (custodian, sender id, subject as sent). The same resource read
by id (`Provenance/import-N`) or searched with `patient=` is built from the scoped row and hides it
(review 33b H2: which outside party exchanges her SUD information is no part of treating an emergency).
Severity: high (42 CFR Part 2 / minimum necessary; a guard walked around by dropping one parameter).
What should hold: the search answers for him what the read answers: the sender is not named.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments.services import submit_assessment
from keel.interop.models import ImportedResponse
from keel.patients.models import CareTeamMember, EmergencyAccess
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc

SENDER = "https://drug-court.example.org/fhir"


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _imported_for_bob(world) -> ImportedResponse:
    prescriber = world.user("prescriber")
    CareTeamMember.objects.create(patient=world.bob, user=prescriber)
    a, _ = submit_assessment(
        by=prescriber,
        patient_id=world.bob.pk,
        instrument="phq9",
        answers={f"phq9_{i}": 1 for i in range(1, 10)},
        filled_at=timezone.now() - timedelta(hours=2),
        imported=True,
    )
    return ImportedResponse.objects.create(
        assessment=a,
        sender_system=SENDER,
        sender_id="qr-77",
        subject={"reference": "Patient/dc-991", "display": "R. Quintanilla"},
        author={"display": "Drug court case manager"},
        questionnaire="http://loinc.org/q/44249-1",
        authored=(timezone.now() - timedelta(hours=2)).isoformat(),
        matched_by="identifier",
        received_by=prescriber,
        received_at=timezone.now() - timedelta(hours=1),
    )


def _nurse_in_an_emergency(world) -> Client:
    nurse = world.user("nurse")
    EmergencyAccess.objects.create(
        patient=world.bob,
        user=nurse,
        reason="unresponsive in the lobby",
        started_at=timezone.now() - timedelta(minutes=5),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    return sign_in(Client(), nurse)


def test_the_program_wide_search_does_not_name_the_sender_through_emergency_access(world):
    imp = _imported_for_bob(world)
    client = _nurse_in_an_emergency(world)
    resp = client.get("/fhir/R4/Provenance")
    ids = [e["resource"]["id"] for e in json.loads(resp.content).get("entry", [])]
    assert f"import-{imp.pk}" in ids  # he is in the answer (the emergency opened his record)
    assert SENDER not in resp.content.decode()
