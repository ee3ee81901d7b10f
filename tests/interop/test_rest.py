"""The FHIR R4 read API at /fhir/R4/ (issue #16): a truthful CapabilityStatement; read and search through the
access policy with one audit row per request listing what was returned; paging with next links; errors as
OperationOutcome; Bearer tokens; no search reaches another program; every response is valid R4."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts import services as accounts
from keel.assessments.services import submit_assessment
from keel.audit.models import AuditEvent
from keel.sharing.models import Consent
from tests.conftest import World, audit_count, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
R4 = "/fhir/R4"


def _phq9(world: World, patient: Any, by: Any, value: int, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        submit_assessment(
            by=by,
            patient_id=patient.pk,
            instrument="phq9",
            answers={f"phq9_{i}": value for i in range(1, 10)},
        )


@pytest.fixture
def scores(world: World) -> World:
    for n in range(3):
        _phq9(world, world.alice, world.staff["nurse"], n, NOW - timedelta(days=10 - n))
    _phq9(world, world.charlie, world.lakeside_nurse, 3, NOW - timedelta(days=2))
    return world


def _get(client: Client, path: str) -> Any:
    response = client.get(path)
    assert response["Content-Type"] == "application/fhir+json", response.content[:200]
    return response


def _nurse(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


RECIPIENT = "Valley Primary Care"


def _record_consent(world: World) -> Consent:
    """Alice's consent to release her whole record to RECIPIENT for treatment: the basis a staff token needs
    (issue #14, p14c)."""
    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=RECIPIENT,
        purpose="treatment",
        categories=["record"],
        expires_on=date(2027, 6, 1),
        signature="Alicia Zamorano",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.alice.user,
        signed_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def _everything_by_token(world: World, query: str = "") -> Any:
    """The nurse's whole-record pull as another system makes it (p14c: a staff session's `$everything` is
    refused; the record leaves with a token and a consent basis in a POST body)."""
    consent = _record_consent(world)
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    basis = {"basis": "consent", "consent": consent.pk, "recipient_name": RECIPIENT, "purpose": "treatment"}
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": k, "valueString": str(v)} for k, v in basis.items()],
    }
    response = Client().post(
        f"{R4}/Patient/{world.alice.pk}/$everything{query}",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/fhir+json"
    return response


def test_the_capability_statement_is_valid_r4_and_needs_no_sign_in() -> None:
    response = _get(Client(), f"{R4}/metadata")
    assert response.status_code == 200
    assert_valid_r4(response.json())


def test_the_capability_statement_lists_only_what_the_server_serves(world: World) -> None:
    body = Client().get(f"{R4}/metadata").json()
    assert body["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    for kind, entry in served.items():
        assert {i["code"] for i in entry["interaction"]} <= {"read", "search-type"}
        resource_id = "phq9" if kind == "Questionnaire" else "999999"
        status = _nurse(world).get(f"{R4}/{kind}/{resource_id}").status_code
        assert status in {200, 404}, kind  # the route exists: a read answers (found or not)
    observation_params = {p["name"] for p in served["Observation"]["searchParam"]}
    assert observation_params == {"_id", "patient", "subject", "code", "date"}


@time_machine.travel(NOW, tick=False)
def test_a_patient_is_read_with_a_bearer_token(world: World) -> None:
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    consent = _record_consent(world)  # p14c: a staff token's read of one person needs their consent
    response = Client().get(
        f"{R4}/Patient/{world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"][0]["family"] == "Zamorano"
    assert_valid_r4(response.json())


def test_no_credentials_is_a_401_operation_outcome(world: World) -> None:
    response = _get(Client(), f"{R4}/Patient/{world.alice.pk}")
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_valid_r4(response.json())


def test_a_record_outside_scope_is_a_404_operation_outcome_without_data(world: World) -> None:
    response = _get(_nurse(world), f"{R4}/Patient/{world.charlie.pk}")
    assert response.status_code == 404
    assert "Vandersloot" not in response.content.decode()
    assert response.json()["issue"][0]["code"] == "not-found"


def test_a_read_writes_one_audit_row_naming_what_it_returned(world: World) -> None:
    before = audit_count()
    _get(_nurse(world), f"{R4}/Patient/{world.alice.pk}")
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert len(rows) == 1
    assert rows[0].detail["resources"] == [f"Patient/{world.alice.pk}"]
    assert rows[0].patient_id == world.alice.pk
    assert rows[0].action == "read"


@time_machine.travel(NOW, tick=False)
def test_observations_are_searched_by_patient_code_and_date(scores: World) -> None:
    path = f"{R4}/Observation?patient={scores.alice.pk}&code=http://loinc.org|44261-6&date=ge2026-11-16"
    body = _get(_nurse(scores), path).json()
    assert_valid_r4(body)
    assert [e["resource"]["valueInteger"] for e in body["entry"]] == [9, 18]


@time_machine.travel(NOW, tick=False)
def test_a_search_writes_one_audit_row_listing_what_it_returned(scores: World) -> None:
    before = audit_count()
    body = _get(_nurse(scores), f"{R4}/Observation?code=44261-6").json()
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert len(rows) == 1
    assert rows[0].detail["resources"] == [f"Observation/{e['resource']['id']}" for e in body["entry"]]


@time_machine.travel(NOW, tick=False)
def test_a_staff_search_never_reaches_another_program(scores: World) -> None:
    admin = sign_in(Client(), scores.staff["program_admin"])
    body = _get(admin, f"{R4}/Observation?code=44261-6").json()
    subjects = {e["resource"]["subject"]["reference"] for e in body["entry"]}
    assert subjects == {f"Patient/{scores.alice.pk}"}
    patients = _get(admin, f"{R4}/Patient?name=vand").json()
    assert patients.get("entry", []) == []


@time_machine.travel(NOW, tick=False)
def test_naming_another_programs_patient_in_a_search_is_a_404(scores: World) -> None:
    response = _get(_nurse(scores), f"{R4}/Observation?patient={scores.charlie.pk}")
    assert response.status_code == 404
    assert "Vandersloot" not in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_paging_follows_next_links(scores: World) -> None:
    client = _nurse(scores)
    body = _get(client, f"{R4}/Observation?patient={scores.alice.pk}&code=44261-6&_count=2").json()
    assert len(body["entry"]) == 2
    next_url = next(link["url"] for link in body["link"] if link["relation"] == "next")
    rest = _get(client, next_url.removeprefix("http://testserver")).json()
    assert len(rest["entry"]) == 1
    assert not any(link["relation"] == "next" for link in rest["link"])
    assert_valid_r4(rest)


@time_machine.travel(NOW, tick=False)
def test_patients_are_searched_by_identifier_name_and_birthdate(scores: World) -> None:
    client = _nurse(scores)
    system = "https://keel.invalid/fhir/record-number/riverside"
    for query in (f"identifier={system}|RR-0001", "name=zamo", "family=Zamorano&birthdate=1990-05-17"):
        body = _get(client, f"{R4}/Patient?{query}").json()
        assert [e["resource"]["id"] for e in body["entry"]] == [str(scores.alice.pk)], query
        assert_valid_r4(body)
    assert _get(client, f"{R4}/Patient?birthdate=1990-05-18").json().get("entry", []) == []


def test_a_peer_specialist_cannot_search_by_birth_date(world: World) -> None:
    peer = sign_in(Client(), world.staff["peer_specialist"])
    response = _get(peer, f"{R4}/Patient?birthdate=1990-05-17")
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_a_peer_specialist_reads_a_patient_without_record_number_or_birth_date(world: World) -> None:
    peer = sign_in(Client(), world.staff["peer_specialist"])
    body = _get(peer, f"{R4}/Patient/{world.alice.pk}").json()
    assert "identifier" not in body
    assert "birthDate" not in body
    assert "RR-0001" not in str(body)
    assert "1990" not in str(body)


@time_machine.travel(NOW, tick=False)
def test_a_peer_specialist_gets_no_clinical_resources(scores: World) -> None:
    peer = sign_in(Client(), scores.staff["peer_specialist"])
    assert _get(peer, f"{R4}/Observation?patient={scores.alice.pk}").status_code == 404
    assert _get(peer, f"{R4}/Observation").json().get("entry", []) == []


@time_machine.travel(NOW, tick=False)
def test_everything_returns_the_record_and_resolves_its_references(scores: World) -> None:
    body = _everything_by_token(scores, "?_count=200").json()  # p14c: was the nurse's session GET
    assert_valid_r4(body)
    kinds = {e["resource"]["resourceType"] for e in body["entry"]}
    assert {
        "Patient",
        "Organization",
        "QuestionnaireResponse",
        "Observation",
        "Questionnaire",
        "Practitioner",
    } <= kinds
    full_urls = {e["fullUrl"] for e in body["entry"]}
    assert f"http://testserver{R4}/Practitioner/{scores.staff['nurse'].pk}" in full_urls


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "kind", ["Condition", "MedicationRequest", "MedicationAdministration", "QuestionnaireResponse", "Consent"]
)
def test_each_clinical_type_is_searchable_by_patient_as_valid_r4(scores: World, kind: str) -> None:
    response = _get(_nurse(scores), f"{R4}/{kind}?patient={scores.alice.pk}")
    assert response.status_code == 200
    assert_valid_r4(response.json())


@time_machine.travel(NOW, tick=False)
def test_each_resource_found_by_search_reads_back(scores: World) -> None:
    client = _nurse(scores)
    body = _everything_by_token(scores, "?_count=200").json()  # p14c: was the nurse's session GET
    for entry in body["entry"]:
        read = _get(client, entry["fullUrl"].removeprefix("http://testserver"))
        assert read.status_code == 200, entry["fullUrl"]
        assert read.json()["id"] == entry["resource"]["id"]


def test_an_unknown_parameter_is_a_400_operation_outcome(world: World) -> None:
    response = _get(_nurse(world), f"{R4}/Observation?patinet={world.alice.pk}")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["patinet"]
    assert_valid_r4(response.json())


def test_a_bad_date_is_a_400_operation_outcome(world: World) -> None:
    response = _get(_nurse(world), f"{R4}/Observation?date=yesterday")
    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "invalid"


def test_an_unknown_resource_type_is_a_404_operation_outcome(world: World) -> None:
    response = _get(_nurse(world), f"{R4}/Basic/1")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_every_response_carries_the_part2_label(world: World) -> None:
    body = _get(_nurse(world), f"{R4}/Patient/{world.alice.pk}").json()
    assert {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "42CFRPart2",
        "display": "42 CFR Part2",
    } in body["meta"]["security"]


def test_the_capability_statement_names_the_consent_header_for_staff_tokens() -> None:
    body = Client().get(f"{R4}/metadata").json()
    assert "Keel-Consent: <consent id>" in body["rest"][0]["security"]["description"]


def test_the_capability_statement_says_a_staff_session_cannot_take_everything() -> None:
    body = Client().get(f"{R4}/metadata").json()
    patient = next(r for r in body["rest"][0]["resource"] if r["type"] == "Patient")
    assert "staff export" in patient["operation"][0]["documentation"]
