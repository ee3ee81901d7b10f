"""Review 20c fix: a staff token that releases records is bound to one recipient; the ways around it."""

from __future__ import annotations

from typing import Any

from keel.accounts.models import ApiToken
from keel.audit.models import Action, AuditEvent
from keel.interop.rest.auth import NO_RECIPIENT, OTHER_RECIPIENT
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
    assert r.status_code == 422  # review 31b H3 (was 403)


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
    assert r.status_code == 422  # review 31b H3 (was 403)


def test_everything_posted_under_another_recipient_is_refused(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    _read(client, world, consent(world))
    other = consent(world, "Acme Employer", "employment")
    r = client.post(
        f"/fhir/R4/Patient/{world['patient'].pk}/$everything",
        basis_body(other),
        content_type="application/fhir+json",
    )
    assert r.status_code == 422  # review 31b H3 (was 403)


def test_everything_by_an_unbound_token_is_refused_and_binds_nothing(world: dict[str, Any]) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "$everything's first release binds an unbound token
    to its recipient". A token issued for no recipient releases nothing, by `$everything` either."""
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="")
    c = consent(world, "Acme Employer", "employment")
    r = client.post(
        f"/fhir/R4/Patient/{world['patient'].pk}/$everything",
        basis_body(c),
        content_type="application/fhir+json",
    )
    assert r.status_code == 403
    assert not Disclosure.objects.exists()
    assert ApiToken.objects.get().recipient_name == ""
    assert AuditEvent.objects.filter(action=Action.DENIED, reason=NO_RECIPIENT).exists()
    assert _read(client, world, consent(world)).status_code == 403


def test_a_token_issued_for_a_recipient_refuses_another_on_its_first_use(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="Acme Employer")
    assert _read(client, world, consent(world)).status_code == 422  # review 31b H3 (was 403)


def test_a_token_issued_for_a_recipient_reads_under_its_consent(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="County HIE")
    assert _read(client, world, consent(world)).status_code == 200


def test_the_recipient_is_compared_without_case_or_spacing(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="county   hie")
    assert _read(client, world, consent(world)).status_code == 200


def test_a_refused_release_by_an_unbound_token_binds_nothing(world: dict[str, Any]) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "a refused first release does not bind" (an unbound
    token's first release under a live consent bound it). Under a revoked consent too, a token issued for no
    recipient is refused, writes no disclosure and stays bound to no one."""
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="")
    c = consent(world, "Acme Employer", "employment")
    revoke(c, world["staff"]["prescriber"])
    assert _read(client, world, c).status_code == 403
    assert not Disclosure.objects.exists()
    assert ApiToken.objects.get().recipient_name == ""


def test_a_missing_resource_under_a_consent_writes_nothing_and_changes_no_recipient(
    world: dict[str, Any],
) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "a missing resource under a consent does not bind"
    an unbound token. A token bound when issued keeps its recipient; one issued for none stays bound to no
    one; neither writes a disclosure."""
    c = consent(world)
    for recipient in ("County HIE", ""):
        client, _ = client_for(world["staff"]["prescriber"], recipient_name=recipient)
        assert client.get("/fhir/R4/MedicationRequest/999999", HTTP_KEEL_CONSENT=str(c.pk)).status_code != 200
    assert sorted(ApiToken.objects.values_list("recipient_name", flat=True)) == ["", "County HIE"]
    assert not Disclosure.objects.exists()


def test_another_token_of_the_same_staff_member_has_its_own_recipient(world: dict[str, Any]) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "a second, unbound token reads under another
    recipient's consent after the first was bound by its first release". Each token is bound when issued,
    and the first is still refused the other recipient's consent."""
    doc = world["staff"]["prescriber"]
    first, _ = client_for(doc)
    assert _read(first, world, consent(world)).status_code == 200
    second, _ = client_for(doc, recipient_name="Acme Employer")
    employer = consent(world, "Acme Employer", "employment")
    assert _read(second, world, employer).status_code == 200
    assert _read(first, world, employer).status_code == 422  # review 31b H3 (was 403)
    assert sorted(Disclosure.objects.values_list("recipient_name", flat=True)) == [
        "Acme Employer",
        "County HIE",
    ]


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
    assert (
        _read(client, world, consent(world, "Acme Employer", "employment")).status_code == 422
    )  # review 31b H3 (was 403)


def test_the_token_api_shows_the_recipient(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="County HIE")
    assert client.get("/api/v1/auth/tokens").json()[0]["recipient_name"] == "County HIE"
