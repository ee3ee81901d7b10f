"""Lane fix28a (review 28a H1, H3-H8): after a death is recorded (`patients.models.death_recorded`, any
program's episode), a consent is signed only by a personal representative (42 CFR 2.15(b)); a disclosure at
the patient's own request (2.23) or in a medical emergency (2.51) is refused on every route (the page, the
JSON API, a staff token, the FHIR export), audited, nothing released; FHIR's Patient says she died. The
accounting names the discloser by the role held when they disclosed, never by name, and starts at midnight
of its first day in the program's zone. `createuser --patient-id` asks for the death under the record's
lock."""

from __future__ import annotations

import io
import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.accounts.models import User
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients import services as patient_services
from keel.patients.models import Enrollment, Patient, local_today
from keel.patients.schemas import DischargeIn
from keel.sharing.models import Consent, Disclosure
from keel.sharing.services.consents import record_paper_consent
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4
from tests.review27b.test_death_and_activation import _no_account_yet
from tests.review27b.test_death_and_activation import _record_death as died

pytestmark = pytest.mark.django_db
REASON = "a death is recorded for this person"
RECIPIENT = "Harbor Estate Attorneys"


def _record_death(world: World, days_ago: int = 0) -> None:
    ended = local_today(world.alice) - timedelta(days=days_ago)
    patient_services.discharge(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted({"ended_on": ended.isoformat(), "reason": "deceased"}),
    )


def _death_in_another_program(world: World) -> None:
    """An episode at Lakeside (another program) ended by her death; Riverside's episode still open."""
    today = local_today(world.alice)
    Enrollment.objects.create(
        patient=world.alice,
        program=world.lakeside,
        started_on=today - timedelta(days=400),
        ended_on=today - timedelta(days=2),
        end_reason="deceased",
        status="ended",
    )


def _refusals(world: World, target_type: str) -> int:
    return AuditEvent.objects.filter(
        patient_id=world.alice.pk, target_type=target_type, outcome="denied", reason=REASON
    ).count()


def _emergency(**extra: Any) -> dict[str, Any]:
    return {
        "basis": "emergency",
        "categories": ["enrollment", "medication"],
        "recipient_name": "Dr. Renata Oyelaran",
        "recipient_role": "physician",
        "recipient_affiliation": "County General Hospital emergency department",
        "nature": "Unresponsive on arrival, suspected opioid overdose; needs current medication",
        "password": PASSWORD,
        **extra,
    }


def _representative(relationship: str) -> dict[str, Any]:
    return {
        "signer": "representative",
        "representative_name": "Teodora Salinas",
        "representative_relationship": relationship,
        "representative_authority": "Letters of administration from the county probate court",
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "categories": ["record"],
        "expires_on": "",
        "signature": "Teodora Salinas",
        "understood": True,
    }


def _signed(world: World, relationship: str) -> Consent:
    raw = _representative(relationship)
    raw["expires_on"] = (local_today(world.alice) + timedelta(days=60)).isoformat()
    return record_paper_consent(by=world.staff["counselor"], patient_id=world.alice.pk, raw=raw)


# --- consents ---------------------------------------------------------------------------------------------


def test_a_personal_representatives_consent_is_still_accepted(world: World) -> None:
    _record_death(world)
    consent = _signed(world, "personal_representative")
    assert consent.representative_relationship == "personal_representative"


def test_a_health_care_agent_still_signs_while_she_lives(world: World) -> None:
    consent = _signed(world, "health_care_agent")
    assert consent.representative_relationship == "health_care_agent"


def test_a_guardians_consent_after_a_death_in_another_program_is_refused_and_audited(world: World) -> None:
    _death_in_another_program(world)
    with pytest.raises(FieldsInvalid) as refused:
        _signed(world, "guardian")
    assert [e.field for e in refused.value.errors] == ["representative_relationship"]
    assert not Consent.objects.filter(patient=world.alice).exists()
    assert _refusals(world, "consent") == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "only a personal representative (executor or administrator) can sign"),
        ("es", "solo un representante personal (albacea o administrador) puede firmar"),
    ],
)
def test_the_paper_consent_page_says_why(world: World, language: str, words: str) -> None:
    _record_death(world)
    raw = _representative("health_care_agent")
    raw["expires_on"] = (local_today(world.alice) + timedelta(days=60)).isoformat()
    raw["understood"] = "on"
    page = sign_in(Client(), world.staff["counselor"]).post(
        f"/patients/{world.alice.pk}/sharing/paper-consent/", raw, HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 422
    assert words in page.content.decode()
    assert not Consent.objects.filter(patient=world.alice).exists()


# --- disclosures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "cannot be a medical emergency: the record shows the patient died"),
        ("es", "no puede ser una emergencia médica: el expediente registra que el paciente falleció"),
    ],
)
def test_the_page_refuses_an_emergency_disclosure_after_her_death(
    world: World, language: str, words: str
) -> None:
    _record_death(world)
    page = sign_in(Client(), world.staff["nurse"]).post(
        f"/patients/{world.alice.pk}/sharing/disclose/", _emergency(), HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 422
    assert words in page.content.decode()
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert _refusals(world, "disclosure") == 1


def test_the_api_refuses_an_emergency_after_a_death_in_another_program(world: World) -> None:
    _death_in_another_program(world)
    answer = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        json.dumps(_emergency()),
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content[:300]
    assert [e["field"] for e in answer.json()["errors"]] == ["basis"]
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert _refusals(world, "disclosure") == 1


def test_an_emergency_disclosure_while_she_lives_is_released(world: World) -> None:
    answer = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        json.dumps(_emergency()),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content[:300]


def test_the_export_at_her_own_request_is_refused_and_audited(world: World) -> None:
    _record_death(world)
    answer = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        json.dumps({"basis": "patient_request", "password": PASSWORD}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert answer.status_code == 422
    assert "no puede ser la solicitud del propio paciente" in answer.content.decode()
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert _refusals(world, "fhir_bundle") == 1
    assert not AuditEvent.objects.filter(patient_id=world.alice.pk, action="export").exists()


def test_a_staff_token_gets_nothing_at_her_own_request(world: World) -> None:
    _record_death(world)
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    answer = Client().post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        json.dumps({"basis": "patient_request", "password": PASSWORD}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 422
    assert not Disclosure.objects.filter(patient=world.alice).exists()


def test_the_export_on_a_personal_representatives_consent_is_released(world: World) -> None:
    _record_death(world)
    consent = _signed(world, "personal_representative")
    answer = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        json.dumps(
            {
                "basis": "consent",
                "consent": consent.pk,
                "recipient_name": RECIPIENT,
                "purpose": "treatment",
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content[:300]
    assert Disclosure.objects.filter(patient=world.alice, consent=consent).count() == 1


def test_a_tokens_everything_on_a_personal_representatives_consent_is_released(world: World) -> None:
    _record_death(world)
    consent = _signed(world, "personal_representative")
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": k, "valueString": str(v)}
            for k, v in {
                "basis": "consent",
                "consent": consent.pk,
                "recipient_name": RECIPIENT,
                "purpose": "treatment",
            }.items()
        ],
    }
    answer = Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 200, answer.content[:300]
    patient = next(
        e["resource"] for e in answer.json()["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["active"] is False
    assert patient["deceasedDateTime"] == local_today(world.alice).isoformat()
    assert_valid_r4(answer.json())


# --- FHIR Patient -----------------------------------------------------------------------------------------


def test_fhir_says_the_day_she_died_and_alive_before(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    alive = client.get(f"/fhir/R4/Patient/{world.alice.pk}").json()
    assert alive["active"] is True
    assert "deceasedDateTime" not in alive and "deceasedBoolean" not in alive
    _record_death(world, days_ago=3)
    died = client.get(f"/fhir/R4/Patient/{world.alice.pk}").json()
    assert died["active"] is False
    assert died["deceasedDateTime"] == (local_today(world.alice) - timedelta(days=3)).isoformat()
    assert "deceasedBoolean" not in died
    assert_valid_r4(died)


def test_fhir_says_a_death_recorded_in_another_program(world: World) -> None:
    _death_in_another_program(world)
    died = sign_in(Client(), world.staff["nurse"]).get(f"/fhir/R4/Patient/{world.alice.pk}").json()
    assert died["active"] is False
    assert died["deceasedDateTime"] == (local_today(world.alice) - timedelta(days=2)).isoformat()


# --- the accounting ---------------------------------------------------------------------------------------


def _by_nurse(world: World, at: datetime | None = None) -> Disclosure:
    return Disclosure.objects.create(
        patient=world.alice,
        basis="patient_request",
        recipient_name="Dr. Outside Clinic",
        categories=["attendance"],
        description="Attendance",
        notice="42 CFR part 2 notice",
        document_sha256="0" * 64,
        disclosed_by=world.staff["nurse"],
        disclosed_at=at or timezone.now() - timedelta(hours=1),
    )


def test_the_role_is_kept_when_disclosed_and_the_json_says_it(world: World) -> None:
    nurse = world.staff["nurse"]
    nurse.first_name, nurse.last_name = "Marisol", "Ibarra"
    nurse.save(update_fields=["first_name", "last_name"])
    disclosure = _by_nurse(world)
    assert disclosure.disclosed_by_role == "nurse"
    User.objects.filter(pk=nurse.pk).update(role="counselor")
    answer = sign_in(Client(), world.alice.user).get("/api/v1/me/sharing")
    assert answer.status_code == 200
    rows = answer.json()["disclosures"]
    assert [r["disclosed_by_role"] for r in rows] == ["nurse"]
    assert "Ibarra" not in answer.content.decode()


def test_the_page_names_the_role_in_spanish(world: World) -> None:
    _by_nurse(world)
    page = sign_in(Client(), world.alice.user).get("/me/sharing/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Un/a enfermero/a" in page.content.decode()


def test_the_json_window_starts_at_midnight_in_the_programs_zone(world: World) -> None:
    from keel.accounts.models import Program
    from keel.core.sharing import accounting_since

    Program.objects.filter(pk=world.riverside.pk).update(time_zone="Pacific/Auckland")
    alice = Patient.objects.select_related("program").get(pk=world.alice.pk)
    since = accounting_since(local_today(alice))
    zone = ZoneInfo("Pacific/Auckland")
    _by_nurse(world, datetime.combine(since, time(0, 30), tzinfo=zone))
    _by_nurse(world, datetime.combine(since, time(0), tzinfo=zone) - timedelta(minutes=30))
    answer = sign_in(Client(), alice.user).get("/api/v1/me/sharing")
    assert answer.json()["accounting_since"] == since.isoformat()
    assert len(answer.json()["disclosures"]) == 1


# --- the command line -------------------------------------------------------------------------------------


def _createuser_for(patient: Patient, monkeypatch: Any) -> None:
    """`keel createuser` makes the account d-cli for this person's record, its password on standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase 927\n"))
    call_command(
        "createuser",
        "--username=d-cli",
        "--role=patient",
        "--program=riverside",
        f"--patient-id={patient.pk}",
        "--password-stdin",
    )


def test_createuser_refuses_under_the_lock_and_audits(world: World, monkeypatch: Any) -> None:
    patient = _no_account_yet(world)
    died(world, patient)
    with pytest.raises(CommandError, match="a death is recorded") as refused:
        _createuser_for(patient, monkeypatch)
    assert refused.value.returncode == 2
    assert not User.objects.filter(username="d-cli").exists()
    assert AuditEvent.objects.filter(patient_id=patient.pk, target_type="user", reason=REASON).count() == 1


def test_createuser_still_joins_a_living_persons_record(world: World, monkeypatch: Any) -> None:
    patient = _no_account_yet(world)
    _createuser_for(patient, monkeypatch)
    assert Patient.objects.get(pk=patient.pk).user == User.objects.get(username="d-cli")
