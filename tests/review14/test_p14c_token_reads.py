"""Issue #14 (p14c): a FHIR read by a staff member's API token is another system receiving Part 2 records:
it names one person, carries the patient's consent in the `Keel-Consent` header (never the URL), and is one
Disclosure row per request. Sessions (the app's own pages) and the patient's own token are unchanged."""

from typing import Any

import pytest
import time_machine

NOW = "2026-12-01 15:00:00+00:00"


def _token(user: Any, recipient: str = "Northside Clinic") -> str:
    """Set-up (review 25b, H5): a staff token that releases is issued for its recipient, the consents'; a
    token that writes (a paper consent) or a patient's own is issued for none."""
    from keel.accounts import services

    recipient = "" if user.role == "patient" else recipient
    return services.create_token(user=user, name="p14c", recipient_name=recipient).secret


def _consent(world: Any, patient: Any, **extra: Any) -> int:
    """Set-up: a paper consent recorded by the counselor. Superseded by review 26a (session 26): was recorded
    with the counselor's API token; a staff token no longer writes a consent (review 26a H1), so it is
    recorded in the counselor's signed-in session."""
    from django.test import Client

    from tests.conftest import sign_in

    body = {
        "recipient_name": "Northside Clinic",
        "purpose": "treatment",
        "categories": ["record"],
        "expires_on": "2027-06-01",
        "signature": f"{patient.given_name} {patient.family_name}",
        "understood": True,
    }
    body.update(extra)
    r = sign_in(Client(), world.staff["counselor"]).post(
        f"/api/v1/patients/{patient.pk}/consents", body, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    return int(r.json()["id"])


def _get(path: str, token: str, consent: Any = None) -> Any:
    from django.test import Client

    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if consent is not None:
        headers["HTTP_KEEL_CONSENT"] = str(consent)
    return Client().get(path, **headers)


def _disclosures(patient: Any) -> int:
    from keel.sharing.models import Disclosure

    return Disclosure.objects.filter(patient=patient).count()


@pytest.mark.parametrize("kind", ["Consent", "Observation", "MedicationRequest", "Patient"])
@pytest.mark.django_db
def test_token_search_naming_no_patient_is_refused(world: Any, kind: str) -> None:
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        r = _get(f"/fhir/R4/{kind}?_count=100", _token(world.staff["counselor"]), consent)
    assert r.status_code == 400
    assert r.json()["issue"][0]["expression"][0] in ("patient", "_id")
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_session_search_naming_no_patient_still_works(world: Any, signed_in: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        _consent(world, world.alice)
        r = signed_in("counselor").get("/fhir/R4/Consent?_count=100")
    assert r.status_code == 200
    assert r.json()["entry"]
    assert _disclosures(world.alice) == 0


@pytest.mark.parametrize(
    "path", ["/fhir/R4/Consent?patient={pk}", "/fhir/R4/Patient?_id={pk}", "/fhir/R4/Patient/{pk}"]
)
@pytest.mark.django_db
def test_token_read_without_consent_header_is_refused(world: Any, path: str) -> None:
    with time_machine.travel(NOW, tick=False):
        _consent(world, world.alice)
        r = _get(path.format(pk=world.alice.pk), _token(world.staff["counselor"]))
    assert r.status_code == 422
    assert r.json()["issue"][0]["expression"] == ["Keel-Consent"]
    assert _disclosures(world.alice) == 0


@pytest.mark.parametrize(
    "path", ["/fhir/R4/Consent?patient={pk}", "/fhir/R4/Patient?_id={pk}", "/fhir/R4/Patient/{pk}"]
)
@pytest.mark.django_db
def test_token_read_under_consent_is_one_disclosure_per_request(world: Any, path: str) -> None:
    from keel.sharing.models import Disclosure

    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        token = _token(world.staff["counselor"])
        first = _get(path.format(pk=world.alice.pk), token, consent)
        assert first.status_code == 200, first.content
        assert _get(path.format(pk=world.alice.pk), token, consent).status_code == 200
    rows = list(Disclosure.objects.filter(patient=world.alice))
    assert len(rows) == 2
    assert {(d.consent_id, d.recipient_name) for d in rows} == {(consent, "Northside Clinic")}


@pytest.mark.django_db
def test_whole_record_by_per_type_searches_is_accounted(world: Any) -> None:
    from keel.interop.rest import SEARCH_PARAMS

    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        token = _token(world.staff["counselor"])
        released = 0
        for kind in SEARCH_PARAMS:
            query = f"?_id={world.alice.pk}" if kind == "Patient" else f"?patient={world.alice.pk}"
            answer = _get(f"/fhir/R4/{kind}{query}", token, consent)
            assert answer.status_code == 200, kind
            released += bool(answer.json().get("entry"))
    # lane priv34: one disclosure per search that released something of hers; one that found nothing of
    # hers is audited as a read, never in her accounting of disclosures
    assert released >= 3
    assert _disclosures(world.alice) == released


@pytest.mark.parametrize(
    "make",
    [
        lambda w: _consent(w, w.alice, categories=["medication"]),  # not the whole record
        lambda w: _consent(w, w.bob),  # another patient's
        lambda w: "999999",  # none
        lambda w: "abc",
    ],
)
@pytest.mark.django_db
def test_token_read_under_a_consent_that_does_not_cover_it_is_refused(world: Any, make: Any) -> None:
    from keel.patients.models import CareTeamMember

    with time_machine.travel(NOW, tick=False):
        CareTeamMember.objects.get_or_create(patient=world.bob, user=world.staff["counselor"])
        consent = make(world)
        r = _get(f"/fhir/R4/Consent?patient={world.alice.pk}", _token(world.staff["counselor"]), consent)
    assert r.status_code == 422
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_token_read_under_revoked_consent_is_refused(world: Any) -> None:
    from django.test import Client

    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        rv = Client().post(  # a bodiless POST: revoking is easy
            f"/api/v1/me/consents/{consent}/revoke", HTTP_AUTHORIZATION=f"Bearer {_token(world.alice.user)}"
        )
        assert rv.status_code == 200, rv.content
        r = _get(f"/fhir/R4/Consent?patient={world.alice.pk}", _token(world.staff["counselor"]), consent)
    assert r.status_code == 422
    assert _disclosures(world.alice) == 0


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "program_admin"])
@pytest.mark.django_db
def test_roles_that_may_not_release_get_nothing_by_token(world: Any, role: str) -> None:
    with time_machine.travel(NOW, tick=False):
        consent = _consent(world, world.alice)
        r = _get(f"/fhir/R4/Patient/{world.alice.pk}", _token(world.staff[role]), consent)
    assert r.status_code in (403, 404)
    assert _disclosures(world.alice) == 0


@pytest.mark.django_db
def test_patient_token_reads_own_record_without_header(world: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        r = _get(f"/fhir/R4/Patient/{world.alice.pk}", _token(world.alice.user))
    assert r.status_code == 200
    assert _disclosures(world.alice) == 0
