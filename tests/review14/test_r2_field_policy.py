"""Review 2 of #14: peer specialists and auditors never see a birth date or record number (T18), on the
progress-report routes and the FHIR routes that reach the same person."""

from typing import Any

import pytest
import time_machine

NOW = "2026-12-01 15:00:00+00:00"
DOB, MRN = "1990-05-17", "RR-0001"
ROLES = ["peer_specialist", "auditor"]


def _token(user: Any) -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="review").secret


def _seed_consent(world: Any) -> int:
    """Set-up: a paper consent recorded by the counselor. Superseded by review 26a (session 26): was recorded
    with the counselor's API token; a staff token no longer writes a consent (review 26a H1), so it is
    recorded in the counselor's signed-in session."""
    from django.test import Client

    from tests.conftest import sign_in

    body = {
        "recipient_name": "Northside Clinic",
        "purpose": "treatment",
        "categories": ["enrollment", "medication", "record"],
        "expires_on": "2027-06-01",
        "signature": "Alicia Zamorano",
        "understood": True,
    }
    r = sign_in(Client(), world.staff["counselor"]).post(
        f"/api/v1/patients/{world.alice.pk}/consents", body, content_type="application/json"
    )
    assert r.status_code == 201
    return int(r.json()["id"])


def _leaks(body: bytes) -> bool:
    return DOB.encode() in body or MRN.encode() in body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_progress_report_api_never_shows_dob_or_mrn(world: Any, role: str) -> None:
    """Harm: a peer or auditor obtaining the progress report with identifiers."""
    from django.test import Client

    from tests.conftest import PASSWORD

    with time_machine.travel(NOW, tick=False):
        consent = _seed_consent(world)
        r = Client().post(
            f"/api/v1/patients/{world.alice.pk}/disclosures",
            {
                "basis": "consent",
                "consent": consent,
                "categories": ["enrollment"],
                "recipient_name": "Northside Clinic",
                "purpose": "treatment",
                "password": PASSWORD,
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {_token(world.staff[role])}",
        )
    assert r.status_code in (403, 404)
    assert not _leaks(r.content)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_sharing_pages_never_show_dob_or_mrn(world: Any, role: str, signed_in: Any) -> None:
    """Harm: the sharing page or disclose page showing identifiers to a peer or auditor."""
    with time_machine.travel(NOW, tick=False):
        _seed_consent(world)
        client = signed_in(role)
        pages = [
            f"/patients/{world.alice.pk}/sharing/",
            f"/patients/{world.alice.pk}/sharing/disclose/",
            f"/api/v1/patients/{world.alice.pk}/sharing",
        ]
        leaked = [p for p in pages if _leaks(client.get(p).content)]
    assert leaked == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_fhir_searches_never_show_dob_or_mrn(world: Any, role: str) -> None:
    """Harm: a peer/auditor token reading birth date or record number through any FHIR search or read."""
    from django.test import Client

    from keel.interop.rest import SEARCH_PARAMS

    with time_machine.travel(NOW, tick=False):
        _seed_consent(world)
        token = _token(world.staff[role])
        leaked = []
        for kind in SEARCH_PARAMS:
            for query in ("?_count=100", f"?patient={world.alice.pk}&_count=100"):
                if kind == "Patient" and "patient=" in query:
                    query = f"?_id={world.alice.pk}"
                r = Client().get(f"/fhir/R4/{kind}{query}", HTTP_AUTHORIZATION=f"Bearer {token}")
                if _leaks(r.content):
                    leaked.append(f"{kind}{query}")
        r = Client().get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
        if _leaks(r.content):
            leaked.append("Patient/{id}")
    assert leaked == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_fhir_search_by_birthdate_or_identifier_refused(world: Any, role: str) -> None:
    """Harm: confirming a birth date or record number by searching for it (an oracle)."""
    from django.test import Client

    with time_machine.travel(NOW, tick=False):
        token = _token(world.staff[role])
        codes = [
            Client().get(f"/fhir/R4/Patient?{q}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
            for q in (f"birthdate={DOB}", f"identifier={MRN}", "birthdate=ge1990", "birthdate=lt1991")
        ]
    assert all(c in (403, 404) for c in codes), codes
