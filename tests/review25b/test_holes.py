"""Review 25b: a 42 CFR Part 2 privacy officer and an FHIR integration engineer on what lets a record leave.

Each test is one hole (tests/review25b/HOLES.md); each fails on the code as reviewed. Dates are relative to
today (the suite runs under moved clocks)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.sharing.models import Disclosure

pytestmark = pytest.mark.django_db


def _token_client(user: Any, **issued: Any) -> Client:
    token = accounts.create_token(user=user, name="county EHR interface", **issued)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}")


def test_h1_a_staff_token_refused_by_fhir_without_a_consent_reads_the_same_record_on_the_json_api(
    world: Any,
) -> None:
    """H1. The integration engineer wires the county hospital's EHR with a nurse's API token. FHIR treats a
    staff token's read as another system receiving Part 2 records: without `Keel-Consent` it is refused
    (422). The same token on `/api/v1/patients/{id}` gets the person's name, record number, birth date and
    enrollments with no consent, and no Disclosure row: the patient's accounting never shows it (T19: a
    record that leaves the program in any form is a disclosure)."""
    ehr = _token_client(world.staff["nurse"])
    pid = world.alice.pk
    fhir = ehr.get(f"/fhir/R4/Patient/{pid}")
    assert fhir.status_code == 422  # the FHIR route: no consent basis, nothing leaves
    before = Disclosure.objects.filter(patient=world.alice).count()
    api = ehr.get(f"/api/v1/patients/{pid}")
    recorded = Disclosure.objects.filter(patient=world.alice).count() - before
    leaked = api.status_code == 200 and "RR-0001" in api.content.decode()
    assert not leaked or recorded == 1, (
        "the same API token read the person's record on the JSON API with no consent basis and no entry "
        "in the accounting of disclosures"
    )


def test_h2_an_emergency_disclosure_goes_to_child_welfare_and_federal_agents_named_with_a_care_word(
    world: Any, signed_in: Any
) -> None:
    """H2. A nurse on the team, in a hurry or pressed by a caseworker, declares a medical emergency and sends
    the person's medicine and dose to "Dr. Jane Smith, physician, Department of Children and Families Health
    Unit": the child welfare agency deciding custody of her children. Keel accepts it (201), as it accepts
    "DCF Health Unit", "CPS Health Office" and "FBI Medical Unit". Section 2.51 lets a record out only to
    medical personnel treating the emergency (SECURITY.md T19); child welfare and federal law enforcement
    reach Part 2 records only under a consent or a court order (2.31, 2.61-2.67)."""
    from tests.conftest import PASSWORD

    nurse = signed_in("nurse")
    let_out = []
    for affiliation in (
        "Department of Children and Families Health Unit",
        "DCF Health Unit",
        "CPS Health Office",
        "FBI Medical Unit",
    ):
        response = nurse.post(
            f"/api/v1/patients/{world.alice.pk}/disclosures",
            {
                "basis": "emergency",
                "recipient_name": "Dr. Jane Smith",
                "recipient_role": "physician",
                "recipient_affiliation": affiliation,
                "nature": "found unresponsive after an overdose, needs her methadone dose history",
                "categories": ["medication"],
                "password": PASSWORD,
            },
            content_type="application/json",
        )
        if response.status_code == 201:
            let_out.append(affiliation)
    assert let_out == [], f"emergency disclosures accepted to non-medical agencies: {let_out}"


def _consent_body(**changes: Any) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    body: dict[str, Any] = {
        "recipient_name": "Acme Life Insurance Claims",
        "purpose": "other",
        "purpose_text": "the life insurance claim on my policy",
        "categories": ["record"],
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "signature": "Alicia Zamorano",
        "understood": True,
        "signer": "patient",
    }
    body.update(changes)
    return body


def test_h3_a_consent_signed_as_the_patient_is_recorded_after_the_record_shows_she_died(
    world: Any, signed_in: Any
) -> None:
    """H3. The record shows Alicia died (her enrollment ended: died). A nurse on the team then records a
    "paper consent" signed by Alicia herself, dated today, letting her whole record go to a life insurer.
    Keel takes it (201) and the record can leave under it. After a patient's death only a personal
    representative (executor, administrator) can consent (42 CFR 2.15(b)); Keel already knows the death (it
    refuses a personal representative for a living patient) but still takes the dead patient's own signature
    for a consent signed after the death."""
    from datetime import timedelta

    from django.utils import timezone

    from keel.patients.models import EndReason, Enrollment, EnrollmentStatus

    today = timezone.localdate()  # the enrollment's days moved with the clock (the suite runs under two)
    Enrollment.objects.filter(patient=world.alice).update(
        status=EnrollmentStatus.ENDED,
        started_on=today - timedelta(days=400),
        ended_on=today - timedelta(days=3),
        end_reason=EndReason.DECEASED,
    )
    nurse = signed_in("nurse")
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/consents", _consent_body(), content_type="application/json"
    )
    assert response.status_code == 422, (
        f"a consent signed as the patient was recorded after the record shows her death: "
        f"{response.status_code} {response.content[:200]!r}"
    )


def test_h4_the_programs_privacy_officer_cannot_record_a_written_revocation_that_reached_the_program(
    world: Any, signed_in: Any
) -> None:
    """H4. Alicia mails her revocation ("I take back my consent to the county hospital") to the program, as
    the consent form tells her she may. The letter reaches the program admin (who runs the Part 2 program and
    attests emergency uses). Keel refuses to let the admin record it (403): only a counselor, nurse or
    prescriber on her care team may, though the code's own rule says a written revocation "which only stops
    sharing, may be entered by whoever holds the paper". Until a clinician enters it, the county EHR's token
    keeps pulling her record under the revoked consent. A revocation is effective when the program receives
    it (42 CFR 2.31(a)(6)); anyone of the program staff who may see the record should be able to stop
    sharing."""
    from keel.sharing import services
    from keel.sharing.models import ConsentRevocation

    consent = services.sign_consent(
        by=world.alice.user,
        raw=_consent_body(recipient_name="County Hospital", purpose="treatment", purpose_text=""),
    )
    admin = signed_in("program_admin")
    response = admin.post(
        f"/api/v1/patients/{world.alice.pk}/consents/{consent.pk}/revoked-in-writing",
        content_type="application/json",
    )
    assert ConsentRevocation.objects.filter(consent=consent).exists(), (
        f"the program admin could not record the patient's written revocation: {response.status_code}"
    )


def test_h5_an_ehr_token_named_for_the_county_hospital_releases_under_the_employers_consent_by_a_typo(
    world: Any,
) -> None:
    """H5. Alicia consented to two recipients: the county hospital (treatment) and her employer's return-to-
    work program, each for her whole record. The nurse issues an API token for the county hospital's EHR
    (named "county EHR interface", its recipient left blank, as the form allows). The EHR's first read names
    the wrong consent id (a typo, or a guess: ids are small integers). Keel releases her record to the
    hospital's system, binds the token to "Acme Logistics" and writes in her accounting that Acme received it:
    the record went to a system the consent does not name, and the accounting names the wrong recipient (42
    CFR 2.31(a)(4), 2.24). A token that releases records should be bound, when it is issued, to the recipient
    whose system holds it; the first request must not choose it."""
    from keel.sharing import services

    services.sign_consent(
        by=world.alice.user,
        raw=_consent_body(recipient_name="County Hospital", purpose="treatment", purpose_text=""),
    )
    employer = services.sign_consent(
        by=world.alice.user,
        raw=_consent_body(recipient_name="Acme Logistics", purpose="employment", purpose_text=""),
    )
    ehr = _token_client(world.staff["nurse"])  # "county EHR interface", no recipient named
    response = ehr.get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_KEEL_CONSENT=str(employer.pk))
    released = Disclosure.objects.filter(patient=world.alice, recipient_name="Acme Logistics").count()
    assert response.status_code != 200 and released == 0, (
        "a token issued for the county hospital's EHR released the record under the employer's consent "
        "and the accounting names the employer"
    )
