"""`Patient/$everything` pulled by another system with a staff member's API token is a disclosure (issue #14):
the same basis as the staff export (`sharing.services.release_record`: the patient's own request, or a live
consent naming the recipient, the purpose and the whole record) and a row in the accounting of disclosures.
A staff member's session cannot take the whole record at all (p14c): that is the staff export's route."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client

from keel.accounts import services as accounts
from keel.audit.models import AuditEvent
from keel.interop.rest.patient_everything import _PAGE_SALT as PAGE_SALT
from keel.sharing.models import Consent, ConsentRevocation, Disclosure
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
RECIPIENT = "Valley Primary Care"


def _consent(world: World, categories: list[str]) -> Consent:
    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=RECIPIENT,
        purpose="treatment",
        categories=categories,
        expires_on=date(2027, 6, 1),
        signature="Alicia Zamorano",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.alice.user,
        signed_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def _parameters(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": k, "valueString": str(v)} for k, v in params.items()],
    }


def _post(world: World, user: Any, body: Any, query: str = "", **headers: Any) -> Any:
    """A POST by another system: a fresh client that enforces CSRF, as a browser's would. A staff token is
    issued for the consent's recipient (review 25b, H5: a token issued with no recipient releases nothing)."""
    recipient = "" if user == world.alice.user else RECIPIENT
    secret = accounts.create_token(user=user, name="ehr", recipient_name=recipient).secret
    return Client(enforce_csrf_checks=True).post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything{query}",
        body if isinstance(body, str) else json.dumps(body),
        content_type=headers.pop("content_type", "application/fhir+json"),
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **headers,
    )


def _pull(world: World, user: Any, **params: Any) -> Any:
    """The basis in a POST's Parameters body; paging (`_count`, `_offset`) in the query."""
    paging = {k: params.pop(k) for k in ("_count", "_offset") if k in params}
    query = "?" + urlencode(paging) if paging else ""
    return _post(world, user, _parameters(params) if params else "", query)


def _get(world: World, user: Any, query: str = "") -> Any:
    secret = accounts.create_token(user=user, name="ehr", recipient_name=RECIPIENT).secret
    return Client().get(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything{query}", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def _nurse_pull(world: World, **params: Any) -> Any:
    return _pull(world, world.staff["nurse"], **params)


def _refused_field(response: Any) -> str:
    assert response.status_code == 422, response.content[:300]
    issue = response.json()["issue"][0]
    assert response.json()["resourceType"] == "OperationOutcome"
    return str(issue["expression"][0])


@time_machine.travel(NOW, tick=False)
def test_a_staff_token_without_a_basis_gets_nothing(world: World) -> None:
    response = _nurse_pull(world)
    assert _refused_field(response) == "basis"
    assert "Zamorano" not in response.content.decode()
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_patients_own_request_is_not_a_basis_for_another_system(world: World) -> None:
    # Changed in p14c (review 2 of #14): a token cannot show the patient asked; the accounting would name the
    # patient as recipient of what another system received. Was: 200 with a patient_request disclosure.
    response = _nurse_pull(world, basis="patient_request")
    assert response.status_code == 422, response.content[:300]
    assert _refused_field(response) == "basis"
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_pull_is_audited_as_an_export_by_token_listing_what_left(world: World) -> None:
    consent = _consent(world, ["record"])  # p14c: was basis=patient_request, no longer open to a token
    _nurse_pull(world, basis="consent", consent=consent.pk, recipient_name=RECIPIENT, purpose="treatment")
    event = AuditEvent.objects.filter(action="export").get()
    assert event.reason == "pulled with an API token"
    assert f"Patient/{world.alice.pk}" in event.detail["returned"]


@time_machine.travel(NOW, tick=False)
def test_a_consent_naming_the_recipient_purpose_and_record_is_a_basis(world: World) -> None:
    consent = _consent(world, ["record"])
    response = _nurse_pull(
        world, basis="consent", consent=consent.pk, recipient_name=RECIPIENT, purpose="treatment"
    )
    assert response.status_code == 200, response.content[:300]
    assert Disclosure.objects.get().consent_id == consent.pk


@time_machine.travel(NOW, tick=False)
def test_a_consent_without_the_whole_record_is_refused(world: World) -> None:
    consent = _consent(world, ["medication"])
    response = _nurse_pull(
        world, basis="consent", consent=consent.pk, recipient_name=RECIPIENT, purpose="treatment"
    )
    assert _refused_field(response) == "consent"
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_another_recipient_than_the_consents_is_refused(world: World) -> None:
    consent = _consent(world, ["record"])
    response = _nurse_pull(
        world, basis="consent", consent=consent.pk, recipient_name="County Court", purpose="treatment"
    )
    assert _refused_field(response) == "recipient_name"


@time_machine.travel(NOW, tick=False)
def test_a_revoked_consent_stops_the_next_pull(world: World) -> None:
    consent = _consent(world, ["record"])
    ConsentRevocation.objects.create(consent=consent, revoked_by=world.alice.user, revoked_at=NOW)
    response = _nurse_pull(
        world, basis="consent", consent=consent.pk, recipient_name=RECIPIENT, purpose="treatment"
    )
    assert _refused_field(response) == "consent"


@time_machine.travel(NOW, tick=False)
def test_each_page_that_leaves_is_accounted(world: World) -> None:
    # p14c: was basis=patient_request, no longer open to a token; the same paging under a record consent.
    consent = _consent(world, ["record"])
    basis = {"basis": "consent", "consent": consent.pk, "recipient_name": RECIPIENT, "purpose": "treatment"}
    first = _nurse_pull(world, **basis, _count=1)
    assert first.status_code == 200, first.content[:300]
    following = next(link["url"] for link in first.json()["link"] if link["relation"] == "next")
    query = "?" + following.split("?", 1)[1]
    # review 20c: the next link is followed with GET by the token that pulled the first page (bound to that
    # disclosure, tests/review20c_fixes); another token, or a POST to it, is refused and nothing leaves
    second = _get(world, world.staff["nurse"], query)
    assert second.status_code == 403, second.content[:300]
    assert Disclosure.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_next_page_link_carries_no_basis(world: World) -> None:
    consent = _consent(world, ["record"])
    first = _nurse_pull(
        world, basis="consent", consent=consent.pk, recipient_name=RECIPIENT, purpose="treatment", _count=1
    )
    following = next(link["url"] for link in first.json()["link"] if link["relation"] == "next")
    query = following.split("?", 1)[1]
    assert query.startswith("_count=1&_offset=1&_page=")  # review 20c: a page token bound to the disclosure
    from django.core import signing

    payload = signing.loads(query.split("_page=", 1)[1].replace("%3A", ":"), salt=PAGE_SALT)
    assert RECIPIENT not in json.dumps(payload) and "treatment" not in json.dumps(payload)


@time_machine.travel(NOW, tick=False)
def test_the_self_link_carries_no_recipient(world: World) -> None:
    consent = _consent(world, ["record"])
    first = _nurse_pull(
        world, basis="consent", consent=consent.pk, recipient_name=RECIPIENT, purpose="treatment"
    )
    assert all("Valley" not in link["url"] for link in first.json()["link"])


@pytest.mark.parametrize("name", ["basis", "consent", "recipient_name", "purpose", "purpose_text"])
@time_machine.travel(NOW, tick=False)
def test_a_basis_parameter_in_the_url_is_refused_by_name(world: World, name: str) -> None:
    response = _get(world, world.staff["nurse"], f"?{name}=x")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [name]


@time_machine.travel(NOW, tick=False)
def test_a_basis_in_the_url_of_a_post_is_refused_even_with_a_body(world: World) -> None:
    consent = _consent(
        world, ["record"]
    )  # p14c: a valid body (was patient_request, no longer a token's basis)
    body = _parameters(
        {"basis": "consent", "consent": consent.pk, "recipient_name": RECIPIENT, "purpose": "treatment"}
    )
    response = _post(world, world.staff["nurse"], body, "?recipient_name=Valley")
    assert response.status_code == 400
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_refusal_names_every_basis_parameter_in_the_url(world: World) -> None:
    response = _get(world, world.staff["nurse"], "?basis=consent&purpose=treatment")
    assert "basis, purpose" in response.json()["issue"][0]["diagnostics"]


@time_machine.travel(NOW, tick=False)
def test_a_staff_tokens_get_is_told_to_post_the_basis(world: World) -> None:
    response = _get(world, world.staff["nurse"])
    assert _refused_field(response) == "basis"
    assert "POST" in response.json()["issue"][0]["diagnostics"]


@time_machine.travel(NOW, tick=False)
def test_a_bearer_post_needs_no_csrf_token(world: World) -> None:
    consent = _consent(world, ["record"])  # p14c: was basis=patient_request, no longer open to a token
    response = _nurse_pull(  # the client enforces CSRF
        world, basis="consent", consent=consent.pk, recipient_name=RECIPIENT, purpose="treatment"
    )
    assert response.status_code == 200, response.content[:300]


@time_machine.travel(NOW, tick=False)
def test_a_sessions_post_without_a_csrf_token_is_refused(world: World) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world.staff["nurse"])
    response = client.post(f"/fhir/R4/Patient/{world.alice.pk}/$everything")
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"


@time_machine.travel(NOW, tick=False)
def test_a_sessions_post_with_a_basis_is_refused_never_ignored(world: World) -> None:
    # p14c: the patient's own session (a staff session's $everything is refused whatever its body, below).
    client = sign_in(Client(), world.alice.user)
    response = client.post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything",
        json.dumps(_parameters({"basis": "patient_request"})),
        content_type="application/fhir+json",
    )
    assert response.status_code == 400
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resourceType": "Bundle"}, "Parameters"),
        ({"resourceType": "Parameters", "parameter": [{"name": "colour", "valueString": "x"}]}, "Parameters"),
        ({"resourceType": "Parameters", "parameter": [{"name": "basis"}]}, "basis"),
        ({"resourceType": "Parameters", "parameter": [{"name": "basis", "valueBoolean": True}]}, "basis"),
        (
            {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "basis", "valueCode": "patient_request"},
                    {"name": "basis", "valueCode": "consent"},
                ],
            },
            "basis",
        ),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_a_malformed_parameters_body_is_refused_by_name(world: World, body: Any, field: str) -> None:
    response = _post(world, world.staff["nurse"], body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [field]
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_body_that_is_not_json_is_refused(world: World) -> None:
    response = _post(world, world.staff["nurse"], "basis=patient_request")
    assert response.status_code == 400


@time_machine.travel(NOW, tick=False)
def test_a_form_body_is_refused(world: World) -> None:
    response = _post(
        world, world.staff["nurse"], "basis=patient_request", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_session_read_by_the_care_team_is_refused_and_points_to_the_export(world: World) -> None:
    # p14c (review 2 of #14, hole 4): was 200, an audited use; the whole record is the staff export's.
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get(f"/fhir/R4/Patient/{world.alice.pk}/$everything")
    assert response.status_code == 403
    assert f"/api/v1/patients/{world.alice.pk}/fhir/export" in response.json()["issue"][0]["diagnostics"]
    assert "Zamorano" not in response.content.decode()
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_refusal_of_a_staff_session_is_audited(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    client.get(f"/fhir/R4/Patient/{world.alice.pk}/$everything")
    event = AuditEvent.objects.filter(action="denied", target_id__endswith="$everything").get()
    assert event.patient_id == world.alice.pk


@time_machine.travel(NOW, tick=False)
def test_the_patients_own_session_reads_their_record_without_a_basis(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = client.get(f"/fhir/R4/Patient/{world.alice.pk}/$everything")
    assert response.status_code == 200
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_basis_on_a_session_read_is_an_unknown_parameter_never_ignored(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get(f"/fhir/R4/Patient/{world.alice.pk}/$everything?basis=patient_request")
    assert response.status_code == 400


@time_machine.travel(NOW, tick=False)
def test_a_session_read_by_post_is_refused_too(world: World) -> None:
    # p14c (hole 4): was 200, an audited use.
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(f"/fhir/R4/Patient/{world.alice.pk}/$everything")
    assert response.status_code == 403
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_patients_own_token_reads_their_record_without_a_basis(world: World) -> None:
    response = _pull(world, world.alice.user)
    assert response.status_code == 200
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_program_admins_token_with_a_basis_still_never_takes_the_record(world: World) -> None:
    response = _pull(world, world.staff["program_admin"], basis="patient_request")
    assert response.status_code == 403
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_nul_character_in_the_body_is_an_operation_outcome(world: World) -> None:
    body = _parameters({"basis": "patient_request", "purpose_text": "a\x00b"})
    response = _post(world, world.staff["nurse"], body)
    assert response.status_code == 422
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not Disclosure.objects.exists()
