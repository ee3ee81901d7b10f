"""Hole 2: a token bound to one recipient learns who is a patient of its staff member's caseload, with no
consent of theirs, from the JSON API's disclosure route (HOLES.md): a person in scope is answered 422 (the
body's fields), an id nobody has 404, before any consent, password or recipient is checked. FHIR answers the
two alike (review 21f: "a token learns nothing about who is a patient of the program ... without a consent
of theirs")."""

from __future__ import annotations

from django.test import Client

from keel.accounts.services import create_token
from tests.conftest import World


def test_a_bound_token_is_answered_alike_for_a_patient_and_for_no_one(world: World) -> None:
    secret = create_token(user=world.staff["nurse"], recipient_name="County Hospital").secret
    system = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    nobody = max(p.pk for p in (world.alice, world.bob, world.charlie)) + 1000
    answers = {
        system.post(f"/api/v1/patients/{pk}/disclosures", {}, content_type="application/json").status_code
        for pk in (world.alice.pk, nobody)
    }
    assert len(answers) == 1
