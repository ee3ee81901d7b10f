"""rev39d: attacks on /fhir/R4 and the FHIR import that Keel resisted (kept so they stay held)."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from tests.conftest import ROOT, sign_in
from tests.factories import methadone_with_qtc, pinned_at_last_five_pm_utc
from tests.rev39d._imports import post, prescriber, response

VALIDATOR = ROOT / ".venv-fhir-r4" / "bin" / "python"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def _her_results(world: Any) -> None:
    methadone_with_qtc(world, 450)
    submit_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="phq9",
        answers={f"phq9_{i}": 1 for i in range(1, 10)},
    )


def test_contained_sent_as_one_object_is_a_4xx_and_files_nothing(world: Any) -> None:
    doc = response(contained={"resourceType": "Patient", "id": "p"}, subject={"reference": "#p"})
    answer = post(prescriber(world), world, doc)
    assert 400 <= answer.status_code < 500
    assert not Assessment.objects.filter(patient=world.alice).exists()


def test_the_same_response_again_is_one_filing_and_another_senders_id_another(world: Any) -> None:
    client = prescriber(world)
    assert post(client, world, response("ehr-7")).status_code == 201
    assert post(client, world, response("ehr-7")).status_code == 200
    other = response("ehr-7", identifier={"system": "urn:example:other-ehr", "value": "ehr-7"})
    assert post(client, world, other).status_code == 201
    assert Assessment.objects.filter(patient=world.alice).count() == 2


@pytest.mark.parametrize(
    "query",
    [
        "Observation?date=9999-12-31",
        "Observation?date=gt9999-12-31",
        "Patient?birthdate=le9999-12-31",
        "Patient?birthdate=9999-12-31T23:59:59-14:00",
        "Observation?date=0001-01-01T00:00:00%2B14:00",
        "Observation?date=ap2026-11-01",
        "Patient?_summary=count",
        "Patient?name:exact=Zamorano",
    ],
)
def test_extreme_or_unsupported_search_values_are_a_400_outcome(world: Any, query: str) -> None:
    answer = sign_in(Client(), world.staff["prescriber"]).get(f"/fhir/R4/{query}")
    assert answer.status_code == 400
    assert answer.json()["resourceType"] == "OperationOutcome"


def test_another_programs_nurse_finds_nothing_of_alice(world: Any) -> None:
    _her_results(world)
    nurse = sign_in(Client(), world.lakeside_nurse)
    assert nurse.get(f"/fhir/R4/Observation?patient={world.alice.pk}").status_code == 404
    assert nurse.get("/fhir/R4/Patient?identifier=RR-0001").json()["total"] == 0
    assert nurse.get("/fhir/R4/Observation?code=http://loinc.org|8636-3").json()["total"] == 0


@pytest.mark.skipif(not VALIDATOR.exists(), reason="the FHIR R4 validator environment is not installed")
def test_her_everything_is_valid_r4_with_every_reference_resolved(world: Any) -> None:
    _her_results(world)
    bundle = sign_in(Client(), world.alice.user).get(f"/fhir/R4/Patient/{world.alice.pk}/$everything").json()
    docs = [e["resource"] for e in bundle["entry"]] + [bundle]
    checked = subprocess.run(
        [str(VALIDATOR), str(ROOT / "tests" / "fhir_r4" / "validate_models.py")],
        input="".join(json.dumps(d) + "\n" for d in docs),
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(json.loads(line) == [] for line in checked.stdout.splitlines())
    ids = {f"{d['resourceType']}/{d['id']}" for d in docs[:-1]}
    assert set(re.findall(r'"reference": "([^"]+)"', json.dumps(bundle))) <= ids
