"""Journey 9, a faithful record out (issue #16): the Bundle passes two independent FHIR R4 validators
(tests/fhir_r4), every reference resolves inside it, doses leave as they stand after their amendments, the
Part 2 label is on every resource, and the codes are the standard ones."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.assessments.services import submit_assessment
from keel.audit.models import AuditEvent
from keel.sharing.models import Consent, ConsentRevocation
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
LOINC = "http://loinc.org"


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/fhir+json")


@pytest.fixture
def record(world: World) -> World:
    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    nurse.first_name, nurse.last_name = "Nora", "Nightingale"
    nurse.save()
    world.alice.gender, world.alice.birth_sex = "female", "F"
    world.alice.address_line, world.alice.city, world.alice.region = "12 Elm St", "Riverside", "CA"
    world.alice.postal_code, world.alice.email = "92501", "alicia@example.org"
    world.alice.emergency_contact_name = "Rosa Zamorano"
    world.alice.emergency_contact_relationship, world.alice.emergency_contact_phone = "sister", "555-0199"
    world.alice.save()
    order = MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(60),
        starts_on=date(2026, 11, 20),
        prescriber=prescriber,
        created_at=NOW - timedelta(days=5),
    )
    for n in range(3):
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=date(2026, 11, 22 + n),
            sequence=1,
            status="given",
            amount_mg=Decimal(60),
            treatment_day=n + 1,
            decision={},
            recorded_by=nurse,
            recorded_at=NOW - timedelta(days=3 - n),
            given_at=NOW - timedelta(days=3 - n, hours=2),
        )
    first, second, _third = DoseRecord.objects.order_by("local_date")
    DoseAmendment.objects.create(
        dose=first, voided=True, reason="recorded for the wrong person", amended_by=nurse, amended_at=NOW
    )
    DoseAmendment.objects.create(
        dose=second,
        corrected_mg=Decimal(55),
        reason="typed 60, gave 55",
        amended_by=prescriber,
        amended_at=NOW,
    )
    with time_machine.travel(NOW - timedelta(days=6), tick=False):
        submit_assessment(
            by=prescriber,
            patient_id=world.alice.pk,
            instrument="dsm5-oud",
            answers={f"dsm5_{i}": int(i <= 6) for i in range(1, 12)},
        )
        submit_assessment(
            by=nurse,
            patient_id=world.alice.pk,
            instrument="phq9",
            answers={f"phq9_{i}": 1 for i in range(1, 10)},
        )
        submit_assessment(
            by=nurse,
            patient_id=world.alice.pk,
            instrument="gad7",
            answers={f"gad7_{i}": 2 for i in range(1, 8)},
        )
    for n, revoked in enumerate((False, True)):
        consent = Consent.objects.create(
            patient=world.alice,
            program=world.riverside,
            recipient_name=f"Dr. Recipient {n}",
            purpose="treatment",
            categories=["medication", "screenings"],
            expires_on=date(2027, 6, 1),
            signature="Alicia Zamorano",
            form_version="keel-part2-consent-1",
            statements=[],
            signed_by=world.alice.user,
            signed_at=NOW - timedelta(days=10),
        )
        if revoked:
            ConsentRevocation.objects.create(
                consent=consent, revoked_by=world.alice.user, revoked_at=NOW - timedelta(days=1)
            )
    return world


def _export(world: World, role: str = "prescriber") -> Any:
    client = sign_in(Client(), world.staff[role])
    response = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        {"password": PASSWORD, "basis": "patient_request"},
    )
    assert response.status_code == 200, response.content[:300]
    return response


def _of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


@time_machine.travel(NOW, tick=False)
def test_the_exported_record_passes_two_independent_r4_validators(record: World) -> None:
    assert_valid_r4(_export(record).json())


@time_machine.travel(NOW, tick=False)
def test_the_export_is_sent_as_fhir_json(record: World) -> None:
    assert _export(record)["Content-Type"] == "application/fhir+json"


@time_machine.travel(NOW, tick=False)
def test_a_wrong_password_exports_nothing_and_is_audited(record: World) -> None:
    client = sign_in(Client(), record.staff["prescriber"])
    wrong = _post(
        client,
        f"/api/v1/patients/{record.alice.pk}/fhir/export",
        {"password": "not it", "basis": "patient_request"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "password"
    denied = AuditEvent.objects.order_by("-id").first()
    assert denied is not None
    assert denied.reason == "re-authentication failed"


@time_machine.travel(NOW, tick=False)
def test_the_export_is_audited_as_an_export(record: World) -> None:
    _export(record)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.target_type) == ("export", "fhir_bundle")


@time_machine.travel(NOW, tick=False)
def test_every_reference_resolves_to_an_entry_of_the_bundle(record: World) -> None:
    body = _export(record).json()
    full_urls = {e["fullUrl"] for e in body["entry"]}
    for entry in body["entry"]:
        base = entry["fullUrl"].rsplit("/", 2)[0] + "/"
        for reference in _references(entry["resource"]):
            assert base + reference in full_urls, reference


@time_machine.travel(NOW, tick=False)
def test_full_urls_are_keels_fhir_endpoint(record: World) -> None:
    body = _export(record).json()
    assert all(e["fullUrl"].startswith("http://testserver/fhir/R4/") for e in body["entry"])


@time_machine.travel(NOW, tick=False)
def test_every_resource_carries_the_part2_label_and_restricted_confidentiality(record: World) -> None:
    body = _export(record).json()
    for entry in body["entry"]:
        labels = {(s["system"], s["code"]) for s in entry["resource"]["meta"]["security"]}
        assert ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "42CFRPart2") in labels
        assert ("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R") in labels


@time_machine.travel(NOW, tick=False)
def test_a_voided_dose_leaves_as_entered_in_error(record: World) -> None:
    doses = _of(_export(record).json(), "MedicationAdministration")
    assert [d["status"] for d in doses] == ["entered-in-error", "completed", "completed"]


@time_machine.travel(NOW, tick=False)
def test_a_corrected_dose_leaves_at_its_corrected_amount(record: World) -> None:
    doses = _of(_export(record).json(), "MedicationAdministration")
    assert doses[1]["dosage"]["dose"]["value"] == 55.0
    assert doses[1]["note"][0]["text"] == "Dose corrected from 60 mg to 55 mg"  # never the typed reason


@time_machine.travel(NOW, tick=False)
def test_a_dose_leaves_at_the_time_it_was_given(record: World) -> None:
    doses = _of(_export(record).json(), "MedicationAdministration")
    assert doses[2]["effectiveDateTime"] == (NOW - timedelta(days=1, hours=2)).isoformat()


@time_machine.travel(NOW, tick=False)
def test_doses_and_orders_name_practitioners_that_are_in_the_bundle(record: World) -> None:
    body = _export(record).json()
    practitioners = {p["id"]: p for p in _of(body, "Practitioner")}
    administration = _of(body, "MedicationAdministration")[0]
    request = _of(body, "MedicationRequest")[0]
    assert administration["performer"][0]["actor"]["reference"] == f"Practitioner/{record.staff['nurse'].pk}"
    assert request["requester"]["reference"] == f"Practitioner/{record.staff['prescriber'].pk}"
    assert practitioners[str(record.staff["nurse"].pk)]["name"][0]["text"] == "Nora Nightingale"


@time_machine.travel(NOW, tick=False)
def test_the_diagnosis_is_coded_in_icd10cm_and_snomed_with_category_and_status(record: World) -> None:
    condition = _of(_export(record).json(), "Condition")[0]
    codes = {(c["system"], c["code"]) for c in condition["code"]["coding"]}
    assert codes == {("http://hl7.org/fhir/sid/icd-10-cm", "F11.20"), ("http://snomed.info/sct", "75544000")}
    assert condition["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    assert condition["severity"]["coding"][0]["code"] == "24484000"


@pytest.mark.parametrize(
    ("met", "extras", "icd", "snomed", "severity", "text"),
    [
        (
            {1, 2, 3, 4, 5},
            {"months_without_criteria": 4, "on_maintenance_therapy": True},
            "F11.21",
            "75544000",
            "6736007",
            "Opioid use disorder, moderate, in early remission, on maintenance therapy",
        ),
        (
            {4},
            {"prior_oud": True, "prior_severity": "mild", "controlled_environment": True},
            "F11.11",
            "5602001",
            "255604002",
            "Opioid use disorder, mild, in sustained remission, in a controlled environment",
        ),
        ({1, 2}, {}, "F11.10", "5602001", "255604002", "Opioid use disorder, mild"),
    ],
)
def test_a_later_diagnosis_in_remission_leaves_as_remission_with_its_codes(
    record: World,
    met: set[int],
    extras: dict[str, Any],
    icd: str,
    snomed: str,
    severity: str,
    text: str,
) -> None:
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        submit_assessment(
            by=record.staff["prescriber"],
            patient_id=record.alice.pk,
            instrument="dsm5-oud",
            answers={f"dsm5_{i}": int(i in met) for i in range(1, 12)},
            extras=extras,
        )
    with time_machine.travel(NOW, tick=False):
        body = _export(record).json()
    assert_valid_r4(body)
    condition = _of(body, "Condition")[0]
    codes = {(c["system"], c["code"]) for c in condition["code"]["coding"]}
    assert codes == {("http://hl7.org/fhir/sid/icd-10-cm", icd), ("http://snomed.info/sct", snomed)}
    remission = "remission" in text
    assert condition["clinicalStatus"]["coding"][0]["code"] == ("remission" if remission else "active")
    assert condition["severity"]["coding"][0]["code"] == severity
    assert condition["code"]["text"] == text


@time_machine.travel(NOW, tick=False)
def test_phq9_and_gad7_carry_their_loinc_panel_and_item_codes(record: World) -> None:
    body = _export(record).json()
    observations = {
        o["id"].split("-", 2)[-1] + o["code"]["coding"][0]["code"] for o in _of(body, "Observation")
    }
    codes = {c["code"] for o in _of(body, "Observation") for c in o["code"]["coding"]}
    assert {"44249-1", "44250-9", "44260-8", "44261-6"} <= codes
    assert {"69737-5", "69725-0", "69736-7", "70274-6"} <= codes
    assert observations


@time_machine.travel(NOW, tick=False)
def test_the_questionnaire_each_response_answers_is_in_the_bundle(record: World) -> None:
    body = _export(record).json()
    canonicals = {f"{q['url']}|{q['version']}" for q in _of(body, "Questionnaire")}
    for response in _of(body, "QuestionnaireResponse"):
        assert response["questionnaire"] in canonicals


@time_machine.travel(NOW, tick=False)
def test_the_questionnaire_canonical_resolves_at_keels_endpoint(record: World) -> None:
    body = _export(record).json()
    canonical = _of(body, "QuestionnaireResponse")[0]["questionnaire"].split("|")[0]
    fetched = Client().get(canonical.removeprefix("http://testserver"))
    assert fetched.status_code == 200
    assert fetched.json()["url"] == canonical


@time_machine.travel(NOW, tick=False)
def test_dsm5_answers_are_coded_with_loinc_yes_and_no(record: World) -> None:
    body = _export(record).json()
    dsm = next(r for r in _of(body, "QuestionnaireResponse") if "dsm5-oud" in r["questionnaire"])
    codings = {json.dumps(i["answer"][0]["valueCoding"], sort_keys=True) for i in dsm["item"]}
    assert codings == {
        json.dumps({"system": LOINC, "code": "LA33-6", "display": "Yes"}, sort_keys=True),
        json.dumps({"system": LOINC, "code": "LA32-8", "display": "No"}, sort_keys=True),
    }


@time_machine.travel(NOW, tick=False)
def test_every_answer_names_its_code_system(record: World) -> None:
    body = _export(record).json()
    for response in _of(body, "QuestionnaireResponse"):
        assert all(i["answer"][0]["valueCoding"].get("system") for i in response["item"])


@time_machine.travel(NOW, tick=False)
def test_the_patient_has_gender_birth_sex_and_claims_us_core(record: World) -> None:
    patient = _of(_export(record).json(), "Patient")[0]
    assert patient["gender"] == "female"
    assert patient["extension"] == [
        {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "F"}
    ]
    assert patient["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|7.0.0"
    ]


@time_machine.travel(NOW, tick=False)
def test_the_patient_carries_their_home_address(record: World) -> None:
    patient = _of(_export(record).json(), "Patient")[0]
    assert patient["address"] == [
        {"use": "home", "line": ["12 Elm St"], "city": "Riverside", "state": "CA", "postalCode": "92501"}
    ]


@time_machine.travel(NOW, tick=False)
def test_the_patient_carries_their_email_as_telecom(record: World) -> None:
    patient = _of(_export(record).json(), "Patient")[0]
    assert {"system": "email", "value": "alicia@example.org"} in patient["telecom"]


@time_machine.travel(NOW, tick=False)
def test_the_patient_carries_their_emergency_contact(record: World) -> None:
    patient = _of(_export(record).json(), "Patient")[0]
    assert patient["contact"] == [
        {
            "relationship": [
                {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}],
                    "text": "sister",
                }
            ],
            "name": {"text": "Rosa Zamorano"},
            "telecom": [{"system": "phone", "value": "555-0199"}],
        }
    ]


def test_a_role_without_the_clinical_area_gets_no_address_email_or_contact(record: World) -> None:
    from keel.access import policy
    from keel.interop.fhir.resources import patient as fhir_patient

    out = fhir_patient(record.alice, policy.areas_for_role("peer_specialist"))
    assert [k for k in ("address", "telecom", "contact") if k in out] == []


@time_machine.travel(NOW, tick=False)
def test_a_peer_specialist_never_exports_the_record(record: World) -> None:
    client = sign_in(Client(), record.staff["peer_specialist"])
    body = {"password": PASSWORD, "basis": "patient_request"}
    response = _post(client, f"/api/v1/patients/{record.alice.pk}/fhir/export", body)
    assert response.status_code == 404


@time_machine.travel(NOW, tick=False)
def test_part2_consents_leave_as_consent_resources(record: World) -> None:
    consents = _of(_export(record).json(), "Consent")
    assert [c["status"] for c in consents] == ["active", "inactive"]
    assert consents[0]["scope"]["coding"][0]["code"] == "patient-privacy"
    assert consents[0]["provision"]["actor"][0]["reference"]["display"] == "Dr. Recipient 0"
    assert consents[0]["provision"]["purpose"][0]["code"] == "TREAT"
    assert consents[0]["policy"][0]["uri"].endswith("section-2.31")


@time_machine.travel(NOW, tick=False)
def test_the_patient_downloads_their_own_record(record: World) -> None:
    client = sign_in(Client(), record.alice.user)
    response = client.get("/me/record.fhir.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert 'filename="my-keel-record.fhir.json"' in response["Content-Disposition"]
    body = json.loads(response.content)
    assert body["resourceType"] == "Bundle"
    assert body["entry"][0]["resource"]["id"] == str(record.alice.pk)
    assert_valid_r4(body)
    assert "Download my record" in client.get("/me/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_api_copy_of_my_record_is_fhir_json(record: World) -> None:
    response = sign_in(Client(), record.alice.user).get("/api/v1/me/fhir")
    assert response["Content-Type"] == "application/fhir+json"
    assert_valid_r4(response.json())


def test_a_dose_recorded_after_it_was_given_leaves_at_the_time_given(world: World) -> None:
    at = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(20),
        starts_on=date(2026, 11, 25),
        prescriber=world.staff["prescriber"],
        created_at=at - timedelta(hours=6),
    )
    with time_machine.travel(at, tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        given = (at - timedelta(minutes=40)).isoformat()
        created = _post(
            nurse,
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"given_at": given, "amount_mg": "20", "sequence": 1},
        )
        assert created.status_code == 201, created.content
        prescriber = sign_in(Client(), world.staff["prescriber"])
        body = _post(
            prescriber,
            f"/api/v1/patients/{world.alice.pk}/fhir/export",
            {"password": PASSWORD, "basis": "patient_request"},
        ).json()
    assert _of(body, "MedicationAdministration")[0]["effectiveDateTime"] == given


@pytest.mark.parametrize("given_at", ["2026-11-25T18:00:00+00:00", "2026-11-24T15:00:00+00:00", "noon"])
def test_a_time_given_in_the_future_another_day_or_unreadable_is_refused(world: World, given_at: str) -> None:
    at = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(20),
        starts_on=date(2026, 11, 25),
        prescriber=world.staff["prescriber"],
        created_at=at - timedelta(hours=6),
    )
    with time_machine.travel(at, tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        response = _post(
            nurse,
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"given_at": given_at, "amount_mg": "20", "sequence": 1},
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "given_at"
    assert not DoseRecord.objects.exists()
