"""Lane fix25b: review 25b's five holes, attacked from beside (tests/review25b/HOLES.md): another route to the
same record, another role, another program, a revoked consent, a token bound or not.
Dates relative to today."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.audit.models import AuditEvent
from keel.core import sharing as core
from keel.core.rules.inputs import InvalidInput
from keel.sharing import services
from keel.sharing.models import ConsentRevocation, Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


def _consent(world: World, recipient: str = "County Hospital", purpose: str = "treatment") -> Any:
    return services.sign_consent(
        by=world.alice.user,
        raw={
            "recipient_name": recipient,
            "purpose": purpose,
            "purpose_text": "",
            "categories": ["record"],
            "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _bearer(user: Any, **issued: Any) -> Client:
    token = accounts.create_token(user=user, name="county EHR interface", **issued)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}")


# --- H1: one definition of a token's read, on the JSON API and FHIR alike -------------------------------


@pytest.mark.parametrize("recipient", ["", "County Hospital"])
@pytest.mark.parametrize("path", ["", "/{pid}", "/{pid}/checkins", "/{pid}/plan", "/{pid}/progress"])
def test_a_staff_token_reads_no_record_on_the_json_api(world: World, recipient: str, path: str) -> None:
    """Bound to a recipient or not, what a staff member's token reads is a release: the patient list and a
    record's reads on the JSON API are refused (403, audited), and nothing of the person leaves."""
    ehr = _bearer(world.staff["nurse"], recipient_name=recipient)
    response = ehr.get("/api/v1/patients" + path.format(pid=world.alice.pk))
    assert response.status_code == 403
    assert "RR-0001" not in response.content.decode()
    assert AuditEvent.objects.filter(action="denied", target_type="api_token").exists()
    assert not Disclosure.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("nurse", "/api/v1/caseload"),
        ("program_admin", "/api/v1/emergency-reviews"),
        ("auditor", "/api/v1/audit/events"),
    ],
)
def test_a_staff_token_reads_no_list_naming_people(world: World, role: str, path: str) -> None:
    assert _bearer(world.staff[role]).get(path).status_code == 403
    assert sign_in(Client(), world.staff[role]).get(path).status_code == 200


def test_a_staff_token_still_reads_its_own_account(world: World) -> None:
    assert _bearer(world.staff["nurse"]).get("/api/v1/me").json()["username"] == "r-nurse"


def test_the_staff_members_own_use_is_the_app_signed_in(world: World, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    assert nurse.get(f"/api/v1/patients/{world.alice.pk}").status_code == 200


def test_a_patients_own_token_still_reads_her_own_record(world: World) -> None:
    own = _bearer(world.alice.user)
    assert own.get("/api/v1/me/checkins").status_code == 200
    assert own.get("/api/v1/me/progress").status_code == 200
    assert not Disclosure.objects.filter(patient=world.alice).exists()


# --- H5: a token is bound when issued; one with no recipient releases nothing -----------------------------


def test_an_unbound_token_releases_nothing_and_stays_unbound(world: World) -> None:
    consent = _consent(world)
    ehr = _bearer(world.staff["nurse"])
    response = ehr.get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_KEEL_CONSENT=str(consent.pk))
    assert response.status_code == 403
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    from keel.accounts.models import ApiToken

    assert not ApiToken.objects.get(name="county EHR interface").recipient_name
    assert AuditEvent.objects.filter(reason="API token bound to no recipient").exists()


def test_a_token_bound_when_issued_releases_to_its_recipient_and_the_accounting_names_it(
    world: World,
) -> None:
    consent = _consent(world)
    employer = _consent(world, "Acme Logistics", "employment")
    ehr = _bearer(world.staff["nurse"], recipient_name="County Hospital")
    wrong = ehr.get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_KEEL_CONSENT=str(employer.pk))
    assert wrong.status_code == 422  # fix31b: was 403 "another recipient", which told the consent exists
    right = ehr.get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_KEEL_CONSENT=str(consent.pk))
    assert right.status_code == 200
    assert list(Disclosure.objects.filter(patient=world.alice).values_list("recipient_name", flat=True)) == [
        "County Hospital"
    ]


def test_a_bound_token_is_refused_under_a_revoked_consent(world: World, signed_in: Any) -> None:
    consent = _consent(world)
    signed_in("program_admin").post(
        f"/api/v1/patients/{world.alice.pk}/consents/{consent.pk}/revoked-in-writing",
        content_type="application/json",
    )
    ehr = _bearer(world.staff["nurse"], recipient_name="County Hospital")
    response = ehr.get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_KEEL_CONSENT=str(consent.pk))
    assert response.status_code != 200
    assert not Disclosure.objects.filter(patient=world.alice).exists()


def test_an_unbound_token_discloses_no_progress_report_on_the_json_api(world: World) -> None:
    consent = _consent(world)
    ehr = _bearer(world.staff["nurse"])
    response = ehr.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        {
            "basis": "consent",
            "consent": consent.pk,
            "recipient_name": "County Hospital",
            "purpose": "treatment",
            "password": PASSWORD,
        },
        content_type="application/json",
    )
    assert response.status_code in (403, 422)
    assert not Disclosure.objects.filter(patient=world.alice).exists()


# --- H2: an emergency disclosure goes to a place that gives care ------------------------------------------

_EMERGENCY = {
    "recipient_name": "Dr. Jane Smith",
    "recipient_role": "physician",
    "nature": "found unresponsive after an overdose, needs her methadone dose history",
    "categories": ["medication"],
}


def _emergency(**changes: str) -> list[str]:
    try:
        core.parse_emergency({**_EMERGENCY, **changes})
    except InvalidInput as exc:
        return [e.field for e in exc.errors]
    return []


@pytest.mark.parametrize(
    "affiliation",
    [
        "State Department of Health",
        "Department of Children and Families Health Unit",
        "DCF Health Unit",
        "CPS Health Office",
        "FBI Medical Unit",
        "DEA Medical Office",
        "Acme Logistics Health and Safety",
        "Oficina de Salud del Municipio",
    ],
)
def test_an_office_with_a_care_word_is_no_place_of_care(affiliation: str) -> None:
    assert "recipient_affiliation" in _emergency(recipient_affiliation=affiliation)


@pytest.mark.parametrize("recipient", ["Detective Jane Smith", "Caseworker Jones", "Special Agent Lee"])
def test_a_recipient_named_by_a_non_medical_office_is_refused(recipient: str) -> None:
    fields = _emergency(recipient_name=recipient, recipient_affiliation="Mercy Hospital")
    assert "recipient_name" in fields


@pytest.mark.parametrize(
    "affiliation",
    [
        "Mercy Hospital emergency department",
        "County EMS",
        "Regional Poison Center",
        "Northside Urgent Care",
        "Politzer Family Medicine",
        "Hospital General de Zona 1",
        "Centro de Salud Norte",
        "Clínica San Rafael",
    ],
)
def test_a_place_that_gives_care_is_accepted(affiliation: str) -> None:
    assert _emergency(recipient_affiliation=affiliation) == []


# --- H3: after death, only a personal representative consents ---------------------------------------------


def _died(world: World) -> None:
    from keel.patients.models import EndReason, Enrollment, EnrollmentStatus

    today = timezone.localdate()
    Enrollment.objects.filter(patient=world.alice).update(
        status=EnrollmentStatus.ENDED,
        started_on=today - timedelta(days=400),
        ended_on=today - timedelta(days=3),
        end_reason=EndReason.DECEASED,
    )


def _paper(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recipient_name": "Acme Life Insurance Claims",
        "purpose": "other",
        "purpose_text": "the life insurance claim on her policy",
        "categories": ["record"],
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "signature": "Alicia Zamorano",
        "understood": True,
        "signer": "patient",
    }
    body.update(changes)
    return body


def test_after_death_the_patients_own_signature_is_refused_naming_signer(
    world: World, signed_in: Any
) -> None:
    _died(world)
    response = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/consents", _paper(), content_type="application/json"
    )
    assert response.status_code == 422
    assert "signer" in [e["field"] for e in response.json()["errors"]]


def test_after_death_the_page_shows_a_form_error(world: World, signed_in: Any) -> None:
    _died(world)
    response = signed_in("nurse").post(f"/patients/{world.alice.pk}/sharing/paper-consent/", _paper())
    assert response.status_code == 422
    assert b"personal representative" in response.content


def test_after_death_a_personal_representative_still_consents(world: World, signed_in: Any) -> None:
    _died(world)
    body = _paper(
        signer="representative",
        representative_name="Marta Zamorano",
        representative_relationship="personal_representative",
        representative_authority="executor of the estate, letters testamentary",
        signature="Marta Zamorano",
    )
    response = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/consents", body, content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_a_living_patients_own_signature_is_taken(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/consents", _paper(), content_type="application/json"
    )
    assert response.status_code == 201


# --- H4: who records a written revocation ----------------------------------------------------------------


def test_the_program_admin_records_a_written_revocation_on_the_page_too(world: World, signed_in: Any) -> None:
    consent = _consent(world)
    response = signed_in("program_admin").post(
        f"/patients/{world.alice.pk}/sharing/{consent.pk}/revoked-in-writing/"
    )
    assert response.status_code == 302
    assert ConsentRevocation.objects.filter(consent=consent, in_writing=True).exists()
    assert AuditEvent.objects.filter(reason="revoked in writing", patient_id=world.alice.pk).exists()


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "patient"])
def test_other_roles_record_no_written_revocation(world: World, signed_in: Any, role: str) -> None:
    consent = _consent(world)
    response = signed_in(role).post(
        f"/api/v1/patients/{world.alice.pk}/consents/{consent.pk}/revoked-in-writing",
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert not ConsentRevocation.objects.filter(consent=consent).exists()


def test_another_programs_admin_records_no_revocation(world: World) -> None:
    consent = _consent(world)
    admin, _ = accounts.create_user(
        username="lakeside-admin", role="program_admin", password=PASSWORD, program_slug=world.lakeside.slug
    )
    response = sign_in(Client(), admin).post(
        f"/api/v1/patients/{world.alice.pk}/consents/{consent.pk}/revoked-in-writing",
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not ConsentRevocation.objects.filter(consent=consent).exists()


def test_another_systems_token_records_no_revocation(world: World) -> None:
    consent = _consent(world)
    response = _bearer(world.staff["program_admin"], recipient_name="County Hospital").post(
        f"/api/v1/patients/{world.alice.pk}/consents/{consent.pk}/revoked-in-writing",
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ConsentRevocation.objects.filter(consent=consent).exists()
