"""Issue #16, second round: an integration engineer's attack on what the first round shipped, as another
system would use it. Each test failed on the first round's code: search parameters that were silently
ignored or widened (an empty `patient` searched the whole program), a search Bundle without the Part 2
label, an XML-only client served JSON, a patient's own later self-check replacing the clinician's diagnosis,
a dose corrected twice described from the wrong amount, and a subject named by another Keel program's record
number filed by name and birth date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from keel.audit.models import AuditEvent
from keel.patients.models import PatientFlag
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder
from tests.conftest import PASSWORD, World, audit_count, sign_in
from tests.fhir_r4 import assert_valid_r4
from tests.interop.test_import import other_system_phq9

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
R4 = "/fhir/R4"
PART2 = ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "42CFRPart2")


def _nurse(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


def _phq9(world: World, by: Any, patient: Any, value: int, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        submit_assessment(
            by=by,
            patient_id=patient.pk,
            instrument="phq9",
            answers={f"phq9_{i}": value for i in range(1, 10)},
        )


@pytest.fixture
def scores(world: World) -> World:
    _phq9(world, world.staff["nurse"], world.alice, 1, NOW - timedelta(days=3))
    return world


def _issue(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    issue: dict[str, Any] = body["issue"][0]
    return issue


# --- Read API: search parameters are checked, never silently dropped or widened ----------------------------


def test_an_empty_patient_is_a_400_naming_it_not_a_search_of_the_whole_program(scores: World) -> None:
    response = _nurse(scores).get(f"{R4}/Observation?patient=")
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["patient"]


def test_an_empty_subject_parameter_is_a_400_naming_it(scores: World) -> None:
    response = _nurse(scores).get(f"{R4}/QuestionnaireResponse?subject=")
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["subject"]


def test_a_patient_that_is_not_an_id_is_a_400_naming_it(scores: World) -> None:
    response = _nurse(scores).get(f"{R4}/Observation?patient=alicia")
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["patient"]


def test_a_patient_at_another_server_is_a_400_not_keels_patient_of_that_number(scores: World) -> None:
    response = _nurse(scores).get(
        f"{R4}/Observation?patient=https://ehr.example.org/fhir/Patient/{scores.alice.pk}"
    )
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["patient"]


def test_a_patient_as_keels_own_full_url_is_searched(scores: World) -> None:
    response = _nurse(scores).get(
        f"{R4}/Observation?patient=http://testserver{R4}/Patient/{scores.alice.pk}&code=44261-6"
    )
    assert response.status_code == 200
    assert len(response.json()["entry"]) == 1


def test_a_patient_and_a_different_subject_are_refused_not_one_of_them_ignored(scores: World) -> None:
    response = _nurse(scores).get(f"{R4}/Observation?patient={scores.alice.pk}&subject={scores.bob.pk}")
    assert response.status_code == 400
    assert "entry" not in response.json()


def test_a_repeated_patient_parameter_is_refused_not_the_last_one_taken(scores: World) -> None:
    response = _nurse(scores).get(f"{R4}/Observation?patient={scores.alice.pk}&patient={scores.bob.pk}")
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["patient"]


def test_a_comma_list_of_patients_is_a_400_naming_the_parameter(scores: World) -> None:
    response = _nurse(scores).get(f"{R4}/Observation?patient={scores.alice.pk},{scores.bob.pk}")
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["patient"]


def test_the_same_patient_as_patient_and_subject_is_one_search(scores: World) -> None:
    response = _nurse(scores).get(
        f"{R4}/Observation?patient={scores.alice.pk}&subject=Patient/{scores.alice.pk}&code=44261-6"
    )
    assert response.status_code == 200
    assert len(response.json()["entry"]) == 1


@pytest.mark.parametrize("name", ["name", "family", "given"])
def test_an_empty_name_search_is_a_400_naming_it(world: World, name: str) -> None:
    response = _nurse(world).get(f"{R4}/Patient?{name}=")
    assert response.status_code == 400
    assert _issue(response)["expression"] == [name]


def test_a_refused_search_writes_no_read_row(scores: World) -> None:
    before = audit_count()
    _nurse(scores).get(f"{R4}/Observation?patient=")
    assert [e.action for e in AuditEvent.objects.order_by("id")[before:]] == []


def test_a_client_that_accepts_only_xml_gets_a_406(world: World) -> None:
    response = _nurse(world).get(f"{R4}/Patient/{world.alice.pk}", HTTP_ACCEPT="application/fhir+xml")
    assert response.status_code == 406
    assert _issue(response)["code"] == "not-supported"


def test_a_client_that_accepts_fhir_json_or_anything_is_served(world: World) -> None:
    mixed = "application/fhir+xml;q=0.9, */*;q=0.1"
    for accept in ("application/fhir+json", "application/json", "*/*", mixed):
        response = _nurse(world).get(f"{R4}/Patient/{world.alice.pk}", HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept


# --- Read API: the search Bundle is itself labelled -----------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_searchset_bundle_carries_the_part2_label_itself(scores: World) -> None:
    body = _nurse(scores).get(f"{R4}/Observation?patient={scores.alice.pk}").json()
    assert PART2 in {(s["system"], s["code"]) for s in body["meta"]["security"]}
    assert_valid_r4(body)


@time_machine.travel(NOW, tick=False)
def test_the_everything_bundle_carries_the_part2_label_itself(scores: World) -> None:
    # p14c: the patient's own session (a staff session's $everything is refused: the staff export's route)
    own = sign_in(Client(), scores.alice.user)
    body = own.get(f"{R4}/Patient/{scores.alice.pk}/$everything").json()
    assert PART2 in {(s["system"], s["code"]) for s in body["meta"]["security"]}
    assert_valid_r4(body)


# --- Out: the diagnosis is the clinician's -------------------------------------------------------------


def _export(world: World) -> dict[str, Any]:
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        json.dumps({"password": PASSWORD, "basis": "patient_request"}),
        content_type="application/fhir+json",
    )
    assert response.status_code == 200, response.content[:300]
    body: dict[str, Any] = response.json()
    return body


def _of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture
def diagnosed(world: World) -> World:
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        submit_assessment(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            instrument="dsm5-oud",
            answers={f"dsm5_{i}": int(i <= 7) for i in range(1, 12)},
        )
    with time_machine.travel(NOW - timedelta(days=2), tick=False):  # later, the patient alone: 2 criteria
        submit_assessment(
            by=world.alice.user,
            patient_id=world.alice.pk,
            instrument="dsm5-oud",
            answers={f"dsm5_{i}": int(i <= 2) for i in range(1, 12)},
        )
    return world


@time_machine.travel(NOW, tick=False)
def test_a_patients_later_self_check_does_not_replace_the_clinicians_diagnosis(diagnosed: World) -> None:
    clinician = Assessment.objects.get(instrument="dsm5-oud", filled_by=diagnosed.staff["prescriber"])
    conditions = _of(_export(diagnosed), "Condition")
    assert [c["id"] for c in conditions] == [f"oud-{clinician.pk}"]


@time_machine.travel(NOW, tick=False)
def test_the_clinicians_diagnosis_stays_confirmed_and_severe(diagnosed: World) -> None:
    condition = _of(_export(diagnosed), "Condition")[0]
    assert condition["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert condition["severity"]["coding"][0]["code"] == "24484000"


@time_machine.travel(NOW, tick=False)
def test_a_self_check_alone_is_still_a_provisional_condition(world: World) -> None:
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        submit_assessment(
            by=world.alice.user,
            patient_id=world.alice.pk,
            instrument="dsm5-oud",
            answers={f"dsm5_{i}": int(i <= 2) for i in range(1, 12)},
        )
    condition = _of(_export(world), "Condition")[0]
    assert condition["verificationStatus"]["coding"][0]["code"] == "provisional"


# --- Out: a dose corrected twice ----------------------------------------------------------------------


def _dose(world: World, status: str, mg: int) -> DoseRecord:
    order = MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(60),
        starts_on=date(2026, 11, 20),
        prescriber=world.staff["prescriber"],
        created_at=NOW - timedelta(days=5),
    )
    return DoseRecord.objects.create(
        patient=world.alice,
        order=order,
        medication="methadone",
        local_date=date(2026, 11, 24),
        sequence=1,
        status=status,
        amount_mg=Decimal(mg),
        treatment_day=1,
        decision={},
        recorded_by=world.staff["nurse"],
        recorded_at=NOW - timedelta(days=1),
        given_at=NOW - timedelta(days=1),
    )


@time_machine.travel(NOW, tick=False)
def test_a_held_dose_corrected_to_an_amount_leaves_as_given_at_that_amount(world: World) -> None:
    dose = _dose(world, "held", 0)
    DoseAmendment.objects.create(
        dose=dose,
        corrected_mg=Decimal(30),
        reason="was given after all",
        amended_by=world.staff["prescriber"],
        amended_at=NOW - timedelta(hours=1),
    )
    administration = _of(_export(world), "MedicationAdministration")[0]
    assert (administration["status"], administration["dosage"]["dose"]["value"]) == ("completed", 30.0)
    assert "statusReason" not in administration


@time_machine.travel(NOW, tick=False)
def test_a_given_dose_corrected_to_nothing_leaves_as_not_done(world: World) -> None:
    dose = _dose(world, "given", 60)
    DoseAmendment.objects.create(
        dose=dose,
        corrected_mg=Decimal(0),
        reason="spat out, not taken",
        amended_by=world.staff["prescriber"],
        amended_at=NOW - timedelta(hours=1),
    )
    administration = _of(_export(world), "MedicationAdministration")[0]
    assert administration["status"] == "not-done"


@time_machine.travel(NOW, tick=False)
def test_a_dose_corrected_twice_says_each_step_from_the_amount_before_it(world: World) -> None:
    dose = _dose(world, "given", 60)
    for n, mg in enumerate((55, 50)):
        DoseAmendment.objects.create(
            dose=dose,
            corrected_mg=Decimal(mg),
            reason="recount",
            amended_by=world.staff["prescriber"],
            amended_at=NOW - timedelta(hours=5 - n),
        )
    administration = _of(_export(world), "MedicationAdministration")[0]
    assert administration["dosage"]["dose"]["value"] == 50.0
    assert administration["status"] == "completed"
    assert [n["text"] for n in administration["note"]] == [
        "Dose corrected from 60 mg to 55 mg",  # never the typed reason (session 21)
        "Dose corrected from 55 mg to 50 mg",
    ]


# --- In: another Keel program's record number is someone else -------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_subject_named_by_another_keel_programs_record_number_is_refused(world: World) -> None:
    doc = other_system_phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])
    doc["subject"]["identifier"] = {
        "system": "https://keel.invalid/fhir/record-number/lakeside",
        "value": "LH-0001",
    }
    response = sign_in(Client(), world.staff["counselor"]).post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        json.dumps(doc),
        content_type="application/fhir+json",
    )
    assert response.status_code == 422
    assert "another program" in response.json()["errors"][0]["reason"]


@time_machine.travel(NOW, tick=False)
def test_another_programs_record_number_files_nothing_and_raises_no_flag(world: World) -> None:
    doc = other_system_phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])
    doc["subject"]["identifier"] = {
        "system": "https://keel.invalid/fhir/record-number/lakeside",
        "value": "LH-0001",
    }
    sign_in(Client(), world.staff["counselor"]).post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        json.dumps(doc),
        content_type="application/fhir+json",
    )
    assert not Assessment.objects.exists()
    assert not PatientFlag.objects.exists()


# --- Out: a response's canonical resolves the way other systems resolve one --------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_questionnaire_canonical_resolves_by_a_url_search(diagnosed: World) -> None:
    body = _export(diagnosed)
    canonical = next(
        r["questionnaire"] for r in _of(body, "QuestionnaireResponse") if "dsm5-oud" in r["questionnaire"]
    )
    url, _, version = canonical.partition("|")
    found = Client().get(f"{R4}/Questionnaire", {"url": url, "version": version})
    assert found.status_code == 200
    assert [e["resource"]["url"] for e in found.json()["entry"]] == [url]
    assert_valid_r4(found.json())


def test_a_canonical_search_for_another_version_finds_nothing(world: World) -> None:
    url = f"http://testserver{R4}/Questionnaire/phq9"
    found = Client().get(f"{R4}/Questionnaire", {"url": f"{url}|999"}).json()
    assert found.get("entry", []) == []


def test_an_empty_canonical_is_a_400_naming_url(world: World) -> None:
    response = Client().get(f"{R4}/Questionnaire?url=")
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["url"]
