"""Review 22f, the fixes: for each hole, a variant the reviewer did not try (another route, another role,
another shape of the same answer)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.accounts.middleware import LAST_SEEN
from keel.accounts.models import ApiToken
from keel.audit.models import AuditEvent
from keel.core import sharing as core
from keel.interop.fhir.base import NOTICE_TAG, SCOPE_CODE
from keel.patients.models import local_today
from keel.sharing.models import Consent, Disclosure
from keel.sharing.services import record_paper_consent
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db

RECIPIENT = "County Hospital Emergency Department"


def _consent(world: World, recipient: str = RECIPIENT, categories: tuple[str, ...] = (core.RECORD,)) -> Any:
    alice = world.alice
    return record_paper_consent(
        by=world.staff["counselor"],
        patient_id=alice.pk,
        raw={
            "recipient_name": recipient,
            "purpose": "treatment",
            "purpose_text": "",
            "categories": list(categories),
            "expires_on": (local_today(alice) + timedelta(days=60)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _token(world: World, role: str = "counselor", recipient: str = RECIPIENT) -> str:
    """Set-up (review 25b, H5): a staff token is issued for the consents' recipient (one issued for none
    releases nothing)."""
    return accounts.create_token(user=world.staff[role], recipient_name=recipient).secret


def _get(path: str, secret: str, **headers: str) -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)


def _post(path: str, secret: str, body: dict[str, Any]) -> Any:
    return Client().post(
        path, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def _tags(doc: dict[str, Any]) -> dict[str, str]:
    return {t["code"]: t["display"] for t in doc["meta"].get("tag", []) if t["system"] == NOTICE_TAG}


def _everything(world: World, secret: str, consent_id: int) -> Any:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueId": str(consent_id)},
            {"name": "recipient_name", "valueString": RECIPIENT},
            {"name": "purpose", "valueCode": "treatment"},
        ],
    }
    return Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count=2",
        data=json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


# --- Hole 1: a bound token is a release credential on every JSON API route ---------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/patients/{alice}/sharing", "/api/v1/patients/{alice}/timeline", "/api/v1/me"],
)
def test_a_bound_token_is_refused_on_every_other_json_api_read(world: World, path: str) -> None:
    secret = _token(world, "nurse", recipient=RECIPIENT)
    resp = _get(path.format(alice=world.alice.pk), secret)
    assert resp.status_code == 403
    assert "Zamorano" not in resp.content.decode()
    assert AuditEvent.objects.filter(
        actor_id=world.staff["nurse"].pk, reason="API token bound to a recipient: it only releases records"
    ).exists()


def test_a_bound_token_writes_nothing_through_the_json_api(world: World) -> None:
    """A write too (a paper consent the external system would record for itself): refused before it runs."""
    secret = _token(world, recipient=RECIPIENT)
    body = {
        "recipient_name": "Acme Logistics",
        "purpose": "employment",
        "purpose_text": "",
        "categories": ["medication"],
        "expires_on": (local_today(world.alice) + timedelta(days=30)).isoformat(),
        "signature": "Alicia Zamorano",
        "understood": True,
    }
    resp = _post(f"/api/v1/patients/{world.alice.pk}/consents", secret, body)
    assert resp.status_code == 403
    assert not Consent.objects.filter(patient=world.alice, recipient_name="Acme Logistics").exists()


def test_a_staff_token_reads_no_person_on_the_json_api_bound_or_not(world: World) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "an unbound token reads the JSON API until its first
    FHIR release binds it". A token issued for no recipient reads no person on the JSON API and releases
    nothing on FHIR; one bound when issued releases on FHIR and still reads no person on the JSON API."""
    unbound = _token(world, "prescriber", recipient="")
    refused = _get("/api/v1/patients", unbound)
    assert refused.status_code == 403 and "Zamorano" not in refused.content.decode()
    c = _consent(world)
    assert _get(f"/fhir/R4/Patient/{world.alice.pk}", unbound, HTTP_KEEL_CONSENT=str(c.pk)).status_code == 403
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    bound = _token(world, "prescriber")
    assert _get(f"/fhir/R4/Patient/{world.alice.pk}", bound, HTTP_KEEL_CONSENT=str(c.pk)).status_code == 200
    listed = _get("/api/v1/patients", bound)
    assert listed.status_code == 403 and "Zamorano" not in listed.content.decode()


def test_a_bound_token_may_still_see_and_revoke_itself(world: World) -> None:
    """Whoever holds a credential can always end it: the token routes stay open to a bound token."""
    issued = accounts.create_token(user=world.staff["nurse"], recipient_name=RECIPIENT)
    assert _get("/api/v1/auth/tokens", issued.secret).status_code == 200
    gone = Client().delete(
        f"/api/v1/auth/tokens/{issued.token.pk}", HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
    )
    assert gone.status_code == 200
    assert _get("/api/v1/auth/tokens", issued.secret).status_code == 401


def test_a_session_still_reads_the_json_api_and_an_unbound_token_reads_no_person(world: World) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "an unbound token still reads a person on the JSON
    API". The staff member's own reading is the app, signed in; their token's read is refused, audited."""
    refused = _get(f"/api/v1/patients/{world.alice.pk}", _token(world, recipient=""))
    assert refused.status_code == 403 and "Zamorano" not in refused.content.decode()
    assert AuditEvent.objects.filter(
        actor_id=world.staff["counselor"].pk, reason="staff API token: its reads are releases under a consent"
    ).exists()
    client = sign_in(Client(), world.staff["counselor"])
    assert client.get(f"/api/v1/patients/{world.alice.pk}").status_code == 200


# --- Hole 2: the JSON API's export by a token is a release by another system --------------------------------


def test_an_unbound_token_cannot_export_as_the_patients_own_request_either(world: World) -> None:
    secret = _token(world, "prescriber")
    resp = _post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        secret,
        {"basis": "patient_request", "password": PASSWORD},
    )
    assert resp.status_code == 422
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert AuditEvent.objects.filter(reason="patient_request basis claimed by an API token").exists()


def test_a_tokens_export_under_its_recipients_consent_carries_the_notice_and_scope(world: World) -> None:
    c = _consent(world)
    secret = _token(world, recipient=RECIPIENT)
    resp = _post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        secret,
        {
            "basis": "consent",
            "consent": c.pk,
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
            "password": PASSWORD,
        },
    )
    assert resp.status_code == 200, resp.content
    bundle = resp.json()
    row = Disclosure.objects.get(consent=c)
    assert _tags(bundle) == {"part2-notice": core.NOTICE, SCOPE_CODE: row.scope}
    assert AuditEvent.objects.filter(reason="pulled with an API token", target_type="fhir_bundle").exists()
    assert_valid_r4(bundle)


# --- Holes 3 and 4: the notice and the scope on every release ---------------------------------------------


def test_a_read_of_a_clinical_resource_carries_the_notice_and_the_scope(world: World) -> None:
    c = _consent(world)
    secret = _token(world, "nurse")
    searched = _get(
        f"/fhir/R4/EpisodeOfCare?patient={world.alice.pk}", secret, HTTP_KEEL_CONSENT=str(c.pk)
    ).json()
    rid = searched["entry"][0]["resource"]["id"]
    resp = _get(f"/fhir/R4/EpisodeOfCare/{rid}", secret, HTTP_KEEL_CONSENT=str(c.pk))
    assert resp.status_code == 200
    resource = resp.json()
    row = Disclosure.objects.filter(consent=c).latest("pk")
    assert _tags(resource) == {"part2-notice": row.notice, SCOPE_CODE: row.scope}
    assert_valid_r4(resource)


def test_everything_and_its_next_page_carry_the_notice_and_the_scope(world: World) -> None:
    c = _consent(world)
    secret = _token(world, "nurse")
    first = _everything(world, secret, c.pk)
    assert first.status_code == 200, first.content
    row = Disclosure.objects.get(consent=c)
    assert _tags(first.json()) == {"part2-notice": core.NOTICE, SCOPE_CODE: row.scope}
    assert_valid_r4(first.json())
    following = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    second = _get(following, secret)
    assert second.status_code == 200, second.content
    assert _tags(second.json()) == {"part2-notice": core.NOTICE, SCOPE_CODE: row.scope}


def test_a_progress_report_still_carries_its_notice_and_scope(world: World) -> None:
    c = _consent(world, recipient="Acme Logistics", categories=("medication",))
    client = sign_in(Client(), world.staff["counselor"])
    resp = client.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        data=json.dumps(
            {
                "basis": "consent",
                "consent": c.pk,
                "categories": ["medication"],
                "recipient_name": "Acme Logistics",
                "purpose": "treatment",
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    document = resp.json()["document"]
    row = Disclosure.objects.get(consent=c)
    assert document["notice"] == core.NOTICE and document["scope"] == row.scope


# --- Hole 5: emergency access never lets the record out, answered as FHIR -----------------------------------


def _bobs_consent_and_emergency_access(world: World) -> Any:
    from keel.sharing.services import emergency_access, sign_consent

    bob = world.bob
    consent = sign_consent(
        by=bob.user,
        raw={
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
            "purpose_text": "",
            "categories": [core.RECORD],
            "expires_on": (local_today(bob) + timedelta(days=60)).isoformat(),
            "signature": "Roberto Quintanilla",
            "understood": True,
        },
    )
    emergency_access(
        by=world.staff["counselor"],
        record_number=bob.record_number,
        reason="Found unresponsive in the lobby, suspected overdose: we need his methadone history now",
        password=PASSWORD,
    )
    return consent


@pytest.mark.parametrize("route", ["read", "search"])
def test_a_read_or_search_through_emergency_access_is_a_403_saying_why(world: World, route: str) -> None:
    consent = _bobs_consent_and_emergency_access(world)
    secret = _token(world, "counselor")
    bob = world.bob
    path = f"/fhir/R4/Patient/{bob.pk}" if route == "read" else f"/fhir/R4/Condition?patient={bob.pk}"
    resp = _get(path, secret, HTTP_KEEL_CONSENT=str(consent.pk))
    assert resp.status_code == 403
    issue = resp.json()["issue"][0]
    assert resp.json()["resourceType"] == "OperationOutcome" and "Emergency access" in issue["diagnostics"]
    assert not Disclosure.objects.filter(patient=bob).exists()
    assert AuditEvent.objects.filter(
        actor_id=world.staff["counselor"].pk, reason="emergency access: may not export or disclose a record"
    ).exists()


# --- Hole 6: a session ended on /fhir/ is an OperationOutcome; the JSON API keeps its shape -----------------


def test_an_idle_session_is_answered_as_an_operation_outcome_on_fhir_only(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    client.get("/fhir/R4/metadata")  # the session starts its clock
    for path, fhir in ((f"/fhir/R4/Patient/{world.alice.pk}", True), ("/api/v1/patients", False)):
        session = client.session
        session[LAST_SEEN] = session[LAST_SEEN] - 24 * 3600
        session.save()
        resp = client.get(path)
        assert resp.status_code == 401
        body = resp.json()
        if fhir:
            assert body["resourceType"] == "OperationOutcome" and resp["WWW-Authenticate"]
            assert_valid_r4(body)
        else:
            assert body == {"message": "Your session has ended. Sign in again.", "errors": []}
        client = sign_in(Client(), world.staff["nurse"])
        client.get("/fhir/R4/metadata")


# --- Hole 7: no empty entry array ---------------------------------------------------------------------------


def test_a_count_zero_total_has_no_entry_and_is_valid(world: World) -> None:
    secret = accounts.create_token(user=world.alice.user).secret
    resp = _get(f"/fhir/R4/EpisodeOfCare?patient={world.alice.pk}&_count=0", secret)
    bundle = resp.json()
    assert resp.status_code == 200 and bundle["total"] >= 1 and "entry" not in bundle
    assert_valid_r4(bundle)
    empty = _get(f"/fhir/R4/Condition?patient={world.alice.pk}", secret).json()
    assert empty["total"] == 0 and "entry" not in empty
    assert_valid_r4(empty)


# --- Hole 8: a read takes no search or paging parameter -----------------------------------------------------


@pytest.mark.parametrize("query", ["_count=1", "_offset=0", "_id=1"])
def test_a_read_refuses_paging_and_ids(world: World, query: str) -> None:
    secret = accounts.create_token(user=world.alice.user).secret
    resp = _get(f"/fhir/R4/Patient/{world.alice.pk}?{query}", secret)
    assert resp.status_code == 400
    assert resp.json()["issue"][0]["expression"] == [query.split("=")[0]]


def test_metadata_refuses_an_id_and_searches_keep_theirs(world: World) -> None:
    secret = accounts.create_token(user=world.alice.user).secret
    assert _get("/fhir/R4/metadata?_id=1", secret).status_code == 400
    found = _get(f"/fhir/R4/Patient?_id={world.alice.pk}", secret)
    assert found.status_code == 200 and found.json()["total"] == 1
    everything = _get(f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count=1&_format=json", secret)
    assert everything.status_code == 200


# --- Hole 9: one token, one recipient for the progress report too -------------------------------------------


def _disclosure(world: World, secret: str, body: dict[str, Any]) -> Any:
    return _post(f"/api/v1/patients/{world.alice.pk}/disclosures", secret, {**body, "password": PASSWORD})


def test_a_bound_token_cannot_disclose_in_an_emergency_to_another_recipient(world: World) -> None:
    secret = _token(world, "nurse", recipient=RECIPIENT)
    resp = _disclosure(
        world,
        secret,
        {
            "basis": "emergency",
            "categories": ["medication"],
            "recipient_name": "Dr. Lee",
            "recipient_role": "physician",
            "recipient_affiliation": "Mercy Hospital",
            "nature": "Unresponsive after a fall; needs her current methadone dose now",
        },
    )
    assert resp.status_code == 403, resp.content
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert AuditEvent.objects.filter(
        target_type="disclosure", reason="API token bound to another recipient"
    ).exists()


def test_an_unbound_tokens_report_is_refused_and_one_token_has_one_recipient(world: World) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "an unbound token's first report binds it to that
    recipient". A token issued for no recipient sends no report and stays bound to no one; a token bound to
    the employer when issued sends the employer's report and is refused the ED's consent."""
    employer = _consent(world, recipient="Acme Logistics", categories=("medication",))
    ed = _consent(world)
    report = {
        "basis": "consent",
        "consent": employer.pk,
        "categories": ["medication"],
        "recipient_name": "Acme Logistics",
        "purpose": "treatment",
    }
    unbound = _token(world, "prescriber", recipient="")
    refused = _disclosure(world, unbound, report)
    assert refused.status_code == 403, refused.content
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert list(ApiToken.objects.values_list("recipient_name", flat=True)) == [""]
    bound = _token(world, "prescriber", recipient="Acme Logistics")
    sent = _disclosure(world, bound, report)
    assert sent.status_code == 201, sent.content
    read = _get(f"/fhir/R4/Patient/{world.alice.pk}", bound, HTTP_KEEL_CONSENT=str(ed.pk))
    # bound to the employer when issued: not the ED's (review 31b H3, session 31: 422 as no consent; was 403)
    assert read.status_code == 422
    assert not Disclosure.objects.filter(consent=ed).exists()
