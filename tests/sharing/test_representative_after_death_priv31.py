"""Lane priv31: a consent a guardian or a health-care agent signed for the patient while she lived stops
releasing her record once her death is recorded (their authority to consent ended with it: HIPAA 45 CFR
164.502(g)(4), 42 CFR 2.15(b)(2); `keel.core.sharing.signer_authority_ended`), on every release route through
the one consent check (`sharing.services.common._covered`): the disclosure API and page, the staff FHIR
export, a token's FHIR read and search under `Keel-Consent`, and a token's `$everything` (its first page and
its next links). The refusal names `consent`, is audited, and is said in English and Spanish; a death
undone (recorded by mistake) lets the consent release again. Her own consent is unchanged (lane dead29a)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from keel.accounts import services as accounts
from keel.audit.models import AuditEvent, Outcome
from keel.core import sharing as core
from keel.patients.models import local_today
from keel.sharing.models import Consent, Disclosure
from keel.sharing.services.consents import record_paper_consent
from keel.web.audit_words import reason_words
from tests.conftest import PASSWORD, World, sign_in
from tests.patients.test_undo_death_dead29b import _record_death, _undo

pytestmark = pytest.mark.django_db
RECIPIENT = "Valley Primary Care"
REPRESENTATIVES = ("guardian", "health_care_agent")
ENDED_WORDS = "can no longer consent for them"
ENDED_WORDS_ES = "ya no puede dar su consentimiento por"


def _signed(world: World, relationship: str) -> Consent:
    """Her guardian (or health-care agent) signs the paper form for her while she lives; her counselor
    enters it: her whole record and her medication to RECIPIENT."""
    raw = {
        "signer": "representative",
        "representative_name": "Teodora Salinas",
        "representative_relationship": relationship,
        "representative_authority": "Letters of guardianship from the county probate court",
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "categories": ["record", "medication"],
        "expires_on": (local_today(world.alice) + timedelta(days=90)).isoformat(),
        "signature": "Teodora Salinas",
        "understood": True,
    }
    return record_paper_consent(by=world.staff["counselor"], patient_id=world.alice.pk, raw=raw)


def _basis(consent: Consent) -> dict[str, Any]:
    return {
        "basis": "consent",
        "consent": consent.pk,
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "password": PASSWORD,
    }


def _nurse() -> Callable[[World], Client]:
    return lambda world: sign_in(Client(), world.staff["nurse"])


def _token(world: World) -> str:
    return accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret


def _api(world: World, consent: Consent, **headers: Any) -> Any:
    return _nurse()(world).post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        json.dumps(_basis(consent)),
        content_type="application/json",
        **headers,
    )


def _page(world: World, consent: Consent, **headers: Any) -> Any:
    body = {**_basis(consent), "consent": str(consent.pk)}
    return _nurse()(world).post(f"/patients/{world.alice.pk}/sharing/disclose/", body, **headers)


def _export(world: World, consent: Consent) -> Any:
    return _nurse()(world).post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        json.dumps(_basis(consent)),
        content_type="application/json",
    )


def _fhir_read(world: World, consent: Consent) -> Any:
    return Client().get(
        f"/fhir/R4/Patient/{world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {_token(world)}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )


def _fhir_search(world: World, consent: Consent) -> Any:
    return Client().get(
        "/fhir/R4/Observation",
        {"patient": world.alice.pk},
        HTTP_AUTHORIZATION=f"Bearer {_token(world)}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )


def _everything_body(consent: Consent) -> str:
    params = {k: str(v) for k, v in _basis(consent).items() if k != "password"}
    parameter = [{"name": k, "valueString": v} for k, v in params.items()]
    return json.dumps({"resourceType": "Parameters", "parameter": parameter})


def _everything(world: World, consent: Consent, query: str = "") -> Any:
    return Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything{query}",
        _everything_body(consent),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {_token(world)}",
    )


# The route, and the status it answers when the record leaves.
ROUTES: dict[str, tuple[Callable[[World, Consent], Any], int]] = {
    "disclosure api": (_api, 201),
    "disclosure page": (_page, 200),
    "fhir export": (_export, 200),
    "fhir read": (_fhir_read, 200),
    "fhir search": (_fhir_search, 200),
    "everything": (_everything, 200),
}
CASES = [(r, name) for r in REPRESENTATIVES for name in ROUTES]


def _released(world: World, consent: Consent) -> int:
    return Disclosure.objects.filter(patient=world.alice, consent=consent).count()


# --- the pure rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_by", ["parent", "guardian", "health_care_agent"])
def test_a_living_patients_representative_has_no_authority_after_the_death(signed_by: str) -> None:
    assert core.signer_authority_ended(signed_by, deceased=True)


@pytest.mark.parametrize("signed_by", ["", "personal_representative"])
def test_her_own_signature_and_her_personal_representatives_hold_after_the_death(signed_by: str) -> None:
    assert not core.signer_authority_ended(signed_by, deceased=True)


@pytest.mark.parametrize("signed_by", ["parent", "guardian", "health_care_agent"])
def test_a_representative_consents_while_she_lives(signed_by: str) -> None:
    assert not core.signer_authority_ended(signed_by, deceased=False)


# --- every route: living, dead, the death undone ------------------------------------------------------


@pytest.mark.parametrize(("relationship", "route"), CASES)
def test_the_representatives_consent_releases_while_she_lives(
    world: World, relationship: str, route: str
) -> None:
    call, ok = ROUTES[route]
    answer = call(world, _signed(world, relationship))
    assert answer.status_code == ok, answer.content[:300]


@pytest.mark.parametrize(("relationship", "route"), CASES)
def test_the_representatives_consent_is_refused_after_her_death(
    world: World, relationship: str, route: str
) -> None:
    consent = _signed(world, relationship)
    _record_death(world)
    answer = ROUTES[route][0](world, consent)
    assert answer.status_code == 422, answer.content[:300]


@pytest.mark.parametrize(("relationship", "route"), CASES)
def test_nothing_leaves_on_the_representatives_consent_after_her_death(
    world: World, relationship: str, route: str
) -> None:
    consent = _signed(world, relationship)
    _record_death(world)
    ROUTES[route][0](world, consent)
    assert _released(world, consent) == 0


@pytest.mark.parametrize(("relationship", "route"), CASES)
def test_the_representatives_consent_releases_again_once_the_death_is_undone(
    world: World, relationship: str, route: str
) -> None:
    consent = _signed(world, relationship)
    _record_death(world)
    _undo(world)
    call, ok = ROUTES[route]
    answer = call(world, consent)
    assert answer.status_code == ok, answer.content[:300]


@pytest.mark.parametrize("relationship", REPRESENTATIVES)
def test_the_api_refusal_names_the_consent(world: World, relationship: str) -> None:
    consent = _signed(world, relationship)
    _record_death(world)
    assert [e["field"] for e in _api(world, consent).json()["errors"]] == ["consent"]


@pytest.mark.parametrize("relationship", REPRESENTATIVES)
def test_the_api_refusal_says_the_signer_can_no_longer_consent(world: World, relationship: str) -> None:
    consent = _signed(world, relationship)
    _record_death(world)
    assert ENDED_WORDS in _api(world, consent).content.decode()


def test_the_page_says_it_in_spanish(world: World) -> None:
    consent = _signed(world, "guardian")
    _record_death(world)
    page = _page(world, consent, HTTP_ACCEPT_LANGUAGE="es")
    assert ENDED_WORDS_ES in page.content.decode()


def test_the_fhir_refusal_never_names_the_death(world: World) -> None:
    """The recipient's system is told the signer's authority ended, not that she died (minimum necessary)."""
    consent = _signed(world, "health_care_agent")
    _record_death(world)
    assert "died" not in _fhir_read(world, consent).content.decode()


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_refusal_is_audited(world: World, route: str) -> None:
    consent = _signed(world, "guardian")
    _record_death(world)
    ROUTES[route][0](world, consent)
    assert AuditEvent.objects.filter(
        patient_id=world.alice.pk, outcome=Outcome.DENIED, reason__contains=ENDED_WORDS
    ).exists()


def test_the_audit_page_says_the_refusal_in_spanish(world: World) -> None:
    consent = _signed(world, "guardian")
    _record_death(world)
    _api(world, consent)
    row = AuditEvent.objects.filter(patient_id=world.alice.pk, reason__contains=ENDED_WORDS).get()
    with translation.override("es"):
        assert ENDED_WORDS_ES in reason_words(row.reason)


# --- the executor's (personal representative's) consent, signed after the death, still releases -----------


def _executors(world: World) -> Consent:
    raw = {
        "signer": "representative",
        "representative_name": "Teodora Salinas",
        "representative_relationship": "personal_representative",
        "representative_authority": "Letters of administration from the county probate court",
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "categories": ["record", "medication"],
        "expires_on": (local_today(world.alice) + timedelta(days=90)).isoformat(),
        "signature": "Teodora Salinas",
        "understood": True,
    }
    return record_paper_consent(by=world.staff["counselor"], patient_id=world.alice.pk, raw=raw)


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_personal_representatives_consent_signed_after_the_death_releases(world: World, route: str) -> None:
    _record_death(world)
    call, ok = ROUTES[route]
    answer = call(world, _executors(world))
    assert answer.status_code == ok, answer.content[:300]
