"""Review 2 of #14: consents signed by a representative (42 CFR 2.14 minors, 2.15 incapacity / deceased)."""

from datetime import date
from typing import Any

import pytest
import time_machine

NOW = "2026-12-01 15:00:00+00:00"


def _token(user: Any, recipient: str = "Dr. Pat Rivera, Northside Clinic") -> str:
    """Set-up (review 25b, H5): a staff token that releases is issued for its recipient, the consents'; a
    token that writes (a paper consent) or a patient's own is issued for none."""
    from keel.accounts import services

    recipient = "" if user.role == "patient" else recipient
    return services.create_token(user=user, name="review", recipient_name=recipient).secret


def _body(**extra: Any) -> dict[str, Any]:
    body = {
        "recipient_name": "Dr. Pat Rivera, Northside Clinic",
        "purpose": "treatment",
        "categories": ["medication"],
        "expires_on": "2027-06-01",
        "signature": "Alicia Zamorano",
        "understood": True,
    }
    body.update(extra)
    return body


def _post(path: str, user: Any, body: dict[str, Any]) -> Any:
    """A patient's own consent by their token; a staff member's paper consent in their signed-in session.
    Superseded by review 26a (session 26): was the staff member's API token too; a staff token no longer
    writes a consent (review 26a H1), so the paper consent's checks (422) are asked of the session."""
    from django.test import Client

    from tests.conftest import sign_in

    if user.role != "patient":
        return sign_in(Client(), user).post(path, body, content_type="application/json")
    return Client().post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {_token(user, '')}"
    )


def _make_minor(world: Any) -> None:
    from keel.patients.models import Patient

    Patient.objects.filter(pk=world.alice.pk).update(date_of_birth=date(2011, 3, 4))


@pytest.mark.django_db
def test_minor_cannot_cosign_as_their_own_parent(world: Any) -> None:
    """Harm: 2.14(b) wants the parent's signature next to the minor's; a minor who types their own name as the
    'parent' produces a consent that claims parental co-signature that never happened."""
    with time_machine.travel(NOW, tick=False):
        _make_minor(world)
        body = _body(
            signer="representative",
            representative_name="Alicia Zamorano",
            representative_relationship="parent",
            representative_authority="Parent of the patient",
            signature="Alicia Zamorano",
            patient_signature="Alicia Zamorano",
        )
        response = _post("/api/v1/me/consents", world.alice.user, body)
    assert response.status_code == 422, response.content


@pytest.mark.django_db
def test_staff_paper_consent_refuses_patient_as_own_representative(world: Any) -> None:
    """Harm: staff record an adult patient's consent as 'signed by a health-care agent' who is the patient
    themself, so the record shows a substitute decision-maker that does not exist."""
    with time_machine.travel(NOW, tick=False):
        body = _body(
            signer="representative",
            representative_name="Alicia Zamorano",
            representative_relationship="health_care_agent",
            representative_authority="Health-care power of attorney 2025-01-01",
            signature="Alicia Zamorano",
        )
        response = _post(f"/api/v1/patients/{world.alice.pk}/consents", world.staff["counselor"], body)
    assert response.status_code == 422, response.content


@pytest.mark.django_db
def test_personal_representative_of_deceased_refused_for_living_patient(world: Any) -> None:
    """Harm: 2.15(b) gives an executor standing only after the patient died; Keel lets an 'executor' sign
    away a living, enrolled patient's records."""
    with time_machine.travel(NOW, tick=False):
        body = _body(
            signer="representative",
            representative_name="Edgar Executor",
            representative_relationship="personal_representative",
            representative_authority="Letters testamentary, county court 2026",
            signature="Edgar Executor",
        )
        response = _post(f"/api/v1/patients/{world.alice.pk}/consents", world.staff["counselor"], body)
    assert response.status_code == 422, response.content


# --- held ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_parent_cannot_sign_for_adult(world: Any) -> None:
    """Harm: a parent signing away an adult child's SUD record."""
    with time_machine.travel(NOW, tick=False):
        body = _body(
            signer="representative",
            representative_name="Maria Zamorano",
            representative_relationship="parent",
            representative_authority="Mother of the patient",
            signature="Maria Zamorano",
        )
        response = _post("/api/v1/me/consents", world.alice.user, body)
    assert response.status_code == 422


@pytest.mark.django_db
def test_parent_for_minor_needs_minor_cosignature(world: Any) -> None:
    """Harm: a parent replacing the minor's own signature (2.14(b))."""
    with time_machine.travel(NOW, tick=False):
        _make_minor(world)
        body = _body(
            signer="representative",
            representative_name="Maria Zamorano",
            representative_relationship="parent",
            representative_authority="Mother of the patient",
            signature="Maria Zamorano",
        )
        response = _post("/api/v1/me/consents", world.alice.user, body)
    assert response.status_code == 422


@pytest.mark.django_db
def test_minor_at_age_of_majority_21_still_needs_guardian_not_health_agent(world: Any, settings: Any) -> None:
    """Harm: a 19-year-old under a 21 age of majority treated as an adult by a health-care agent."""
    settings.KEEL_AGE_OF_MAJORITY = 21
    with time_machine.travel(NOW, tick=False):
        from keel.patients.models import Patient

        Patient.objects.filter(pk=world.alice.pk).update(date_of_birth=date(2007, 1, 1))
        body = _body(
            signer="representative",
            representative_name="Maria Zamorano",
            representative_relationship="health_care_agent",
            representative_authority="Health-care proxy 2026",
            signature="Maria Zamorano",
            patient_signature="Alicia Zamorano",
        )
        response = _post("/api/v1/me/consents", world.alice.user, body)
    assert response.status_code == 422


@pytest.mark.django_db
def test_whitespace_representative_name_refused(world: Any) -> None:
    """Harm: a consent signed by nobody."""
    with time_machine.travel(NOW, tick=False):
        body = _body(
            signer="representative",
            representative_name="   ",
            representative_relationship="guardian",
            representative_authority="Court order 2025-11",
            signature="   ",
        )
        response = _post(f"/api/v1/patients/{world.alice.pk}/consents", world.staff["nurse"], body)
    assert response.status_code == 422


@pytest.mark.django_db
def test_signature_not_the_representatives_refused(world: Any) -> None:
    """Harm: the patient's name typed as the signature of a consent recorded as the guardian's."""
    with time_machine.travel(NOW, tick=False):
        body = _body(
            signer="representative",
            representative_name="Greta Guardian",
            representative_relationship="guardian",
            representative_authority="Court order 2025-11",
            signature="Alicia Zamorano",
        )
        response = _post(f"/api/v1/patients/{world.alice.pk}/consents", world.staff["nurse"], body)
    assert response.status_code == 422


@pytest.mark.django_db
def test_representative_fields_with_signer_patient_refused(world: Any) -> None:
    """Harm: representative data silently dropped or stored on a patient-signed consent."""
    with time_machine.travel(NOW, tick=False):
        body = _body(representative_name="  Greta Guardian ")
        response = _post("/api/v1/me/consents", world.alice.user, body)
    assert response.status_code == 422


@pytest.mark.django_db
def test_fhir_consent_names_representative_as_performer(world: Any) -> None:
    """Harm: the FHIR Consent claims the patient signed what their guardian signed."""
    from django.test import Client

    with time_machine.travel(NOW, tick=False):
        body = _body(
            signer="representative",
            representative_name="Greta Guardian",
            representative_relationship="guardian",
            representative_authority="Court order 2025-11",
            signature="Greta Guardian",
        )
        made = _post(f"/api/v1/patients/{world.alice.pk}/consents", world.staff["nurse"], body)
        assert made.status_code == 201, made.content
        consent_id = made.json()["id"]
        # A staff token's read is a disclosure under a consent covering the record (p14c): named in a header.
        basis = _post(
            f"/api/v1/patients/{world.alice.pk}/consents",
            world.staff["nurse"],
            _body(categories=["record"]),
        )
        assert basis.status_code == 201, basis.content
        token = _token(world.staff["nurse"])
        response = Client().get(
            f"/fhir/R4/Consent?patient={world.alice.pk}",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_KEEL_CONSENT=str(basis.json()["id"]),
        )
    found = [e["resource"] for e in response.json()["entry"] if e["resource"]["id"].endswith(str(consent_id))]
    performers = [p.get("reference") for p in found[0].get("performer", [])]
    assert performers == ["#representative"]
