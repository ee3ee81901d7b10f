"""Review 20c fix: a staff token that releases records is bound to one recipient; the ways around it."""

from __future__ import annotations

from typing import Any

import pytest

from keel.accounts.models import ApiToken
from keel.audit.models import Action, AuditEvent
from keel.interop.rest.auth import OTHER_RECIPIENT
from keel.sharing.models import Disclosure
from keel.treatment.services.orders import prescribe
from tests.review20c_fixes.helpers import NOW, basis_body, client_for, consent, revoke


def _read(client: Any, w: dict[str, Any], c: Any) -> Any:
    return client.get(f"/fhir/R4/Patient/{w['patient'].pk}", HTTP_KEEL_CONSENT=str(c.pk))


def test_the_first_release_binds_an_unbound_token(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    assert ApiToken.objects.get().recipient_name == "County HIE"


def test_another_recipient_is_a_403(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    r = _read(client, world, consent(world, "Acme Employer", "employment"))
    assert r.status_code == 403


def test_another_recipient_is_an_operation_outcome(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    r = _read(client, world, consent(world, "Acme Employer", "employment"))
    assert r.json()["resourceType"] == "OperationOutcome"


def test_another_recipient_writes_no_disclosure(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    _read(client, world, consent(world, "Acme Employer", "employment"))
    assert Disclosure.objects.count() == 1


def test_another_recipient_is_audited_in_fixed_words(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    _read(client, world, consent(world, "Acme Employer", "employment"))
    assert AuditEvent.objects.filter(action=Action.DENIED, reason=OTHER_RECIPIENT).count() == 1


def test_a_search_under_another_recipient_is_refused(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    other = consent(world, "Acme Employer", "employment")
    r = client.get(f"/fhir/R4/Consent?patient={world['patient'].pk}", HTTP_KEEL_CONSENT=str(other.pk))
    assert r.status_code == 403


def test_everything_posted_under_another_recipient_is_refused(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    other = consent(world, "Acme Employer", "employment")
    r = client.post(
        f"/fhir/R4/Patient/{world['patient'].pk}/$everything",
        basis_body(other),
        content_type="application/fhir+json",
    )
    assert r.status_code == 403


# Session 25: superseded by review 25b H1 and H5 (lane fix25b, the lead's decision): a staff member's token
# releases only when bound to its recipient at issue, and reads no person on the JSON API. Kept as expected
# failures (not strict) until rewritten to the new rule.
SUPERSEDED_25B = pytest.mark.xfail(reason="superseded by review 25b H1/H5 (session 25)", strict=False)


@SUPERSEDED_25B
def test_everything_first_binds_the_token_too(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    c = consent(world, "Acme Employer", "employment")
    client.post(
        f"/fhir/R4/Patient/{world['patient'].pk}/$everything",
        basis_body(c),
        content_type="application/fhir+json",
    )
    assert _read(client, world, consent(world)).status_code == 403


def test_a_token_issued_for_a_recipient_refuses_another_on_its_first_use(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="Acme Employer")
    assert _read(client, world, consent(world)).status_code == 403


def test_a_token_issued_for_a_recipient_reads_under_its_consent(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="County HIE")
    assert _read(client, world, consent(world)).status_code == 200


def test_the_recipient_is_compared_without_case_or_spacing(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="county   hie")
    assert _read(client, world, consent(world)).status_code == 200


@SUPERSEDED_25B
def test_a_refused_first_release_does_not_bind(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    c = consent(world, "Acme Employer", "employment")
    revoke(c, world["staff"]["prescriber"])
    _read(client, world, c)
    assert ApiToken.objects.get().recipient_name == ""


@SUPERSEDED_25B
def test_a_missing_resource_under_a_consent_does_not_bind(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    c = consent(world)
    client.get("/fhir/R4/MedicationRequest/999999", HTTP_KEEL_CONSENT=str(c.pk))
    assert ApiToken.objects.get().recipient_name == ""


@SUPERSEDED_25B
def test_another_token_of_the_same_staff_member_has_its_own_recipient(world: dict[str, Any]) -> None:
    doc = world["staff"]["prescriber"]
    first, _ = client_for(doc)
    _read(first, world, consent(world))
    second, _ = client_for(doc)
    assert _read(second, world, consent(world, "Acme Employer", "employment")).status_code == 200


def test_a_nurse_token_is_bound_the_same_way(world: dict[str, Any]) -> None:
    prescribe(
        by=world["staff"]["prescriber"],
        patient_id=world["patient"].pk,
        medication="methadone",
        dose_mg="60",
        now=NOW,
    )
    client, _ = client_for(world["staff"]["nurse"])
    _read(client, world, consent(world))
    assert _read(client, world, consent(world, "Acme Employer", "employment")).status_code == 403


def test_the_token_api_shows_the_recipient(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="County HIE")
    assert client.get("/api/v1/auth/tokens").json()[0]["recipient_name"] == "County HIE"
