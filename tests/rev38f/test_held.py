"""Guards of /fhir/R4 that held under review 38f (each passes today)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from keel.accounts.services.tokens import create_token
from keel.patients.models import Patient
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38f.test_hole_1 import SENDER, _imported_for_bob, _nurse_in_an_emergency


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _outcome_code(resp) -> str:
    return json.loads(resp.content)["issue"][0]["code"]


def test_the_read_by_id_does_not_name_the_sender_through_emergency_access(world):
    imp = _imported_for_bob(world)
    client = _nurse_in_an_emergency(world)
    resp = client.get(f"/fhir/R4/Provenance/import-{imp.pk}")
    assert SENDER not in resp.content.decode()


def test_the_search_naming_the_patient_does_not_name_the_sender_through_emergency_access(world):
    _imported_for_bob(world)
    client = _nurse_in_an_emergency(world)
    resp = client.get(f"/fhir/R4/Provenance?patient={world.bob.pk}")
    assert SENDER not in resp.content.decode()


def test_a_program_wide_consent_search_leaves_out_a_record_reached_by_emergency_access(world):
    client = _nurse_in_an_emergency(world)
    resp = client.get("/fhir/R4/Consent?_count=0")
    assert json.loads(resp.content)["total"] == 0


def test_a_nul_in_an_identifier_search_is_a_422_outcome_not_a_500(world):
    client = sign_in(Client(), world.user("nurse"))
    resp = client.get("/fhir/R4/Patient?identifier=RR-0001%00")
    assert resp.status_code == 422


def test_an_oversized_everything_body_is_a_413_outcome(world):
    secret = create_token(user=world.alice.user).secret
    body = json.dumps({"resourceType": "Parameters", "parameter": [], "pad": "x" * 4_000_000})
    resp = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything", data=body, content_type="application/fhir+json"
    )
    assert _outcome_code(resp) == "too-costly"


def test_a_patients_own_token_cannot_search_another_patients_observations(world):
    secret = create_token(user=world.alice.user).secret
    resp = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(f"/fhir/R4/Observation?patient={world.bob.pk}")
    assert resp.status_code == 404


def test_a_staff_token_with_a_consent_id_in_other_digits_is_the_422_of_no_such_consent(world):
    secret = create_token(user=world.user("prescriber"), recipient_name="Dr. Ann Lee, Harbor Clinic").secret
    resp = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(
        f"/fhir/R4/Observation?patient={world.alice.pk}", HTTP_KEEL_CONSENT="\u0661"
    )
    assert resp.status_code == 422


def test_a_next_link_below_the_offset_limit_is_answered(world):
    Patient.objects.bulk_create(
        Patient(
            program=world.riverside,
            record_number=f"FEW-{n:03d}",
            given_name="Pat",
            family_name=f"Few{n:03d}",
            date_of_birth=date(1980, 1, 1),
        )
        for n in range(5)
    )
    client = sign_in(Client(), world.user("program_admin"))
    page = json.loads(client.get("/fhir/R4/Patient?_count=2").content)
    nxt = next(link["url"] for link in page["link"] if link["relation"] == "next")
    assert client.get(nxt.replace("http://testserver", "")).status_code == 200
