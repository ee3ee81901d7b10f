"""Review 22f: Keel's FHIR interface as another system (a staff member's API token) and an integration
engineer use it. Each test names one hole; it fails on the code as reviewed and passes once the hole is
closed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.core import sharing as core
from keel.patients.models import local_today
from keel.sharing.models import Disclosure
from keel.sharing.services import record_paper_consent
from tests.conftest import World

pytestmark = pytest.mark.django_db

RECIPIENT = "County Hospital Emergency Department"


def _consent(world: World) -> Any:
    """Alice's paper consent: her whole record to the county hospital's ED, for her treatment, 60 days."""
    alice = world.alice
    return record_paper_consent(
        by=world.staff["counselor"],
        patient_id=alice.pk,
        raw={
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
            "purpose_text": "",
            "categories": [core.RECORD],
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


def _everything(patient: Any, secret: str, consent_id: int, recipient: str = RECIPIENT) -> Any:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueId": str(consent_id)},
            {"name": "recipient_name", "valueString": recipient},
            {"name": "purpose", "valueCode": "treatment"},
        ],
    }
    return Client(raise_request_exception=False).post(
        f"/fhir/R4/Patient/{patient.pk}/$everything",
        data=json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_token_bound_to_a_recipient_reads_the_record_through_the_json_api_without_a_consent(
    world: World,
) -> None:
    """The token is the county ED's credential (bound to it when issued). At /fhir/R4/ it gets nothing of
    Alice's without her consent (a 422 asking for one); at /api/v1/ the very same token reads her record as
    the counselor would, with no consent, no Disclosure row and no line in her accounting of disclosures."""
    secret = _token(world, recipient=RECIPIENT)
    alice = world.alice
    assert _get(f"/fhir/R4/Patient/{alice.pk}", secret).status_code == 422  # the FHIR door holds

    api = _get(f"/api/v1/patients/{alice.pk}", secret)
    listed = _get("/api/v1/patients", secret)

    assert "Zamorano" not in listed.content.decode(), (
        "the external system's token lists the program's patients"
    )
    assert api.status_code in (403, 404) and "Zamorano" not in api.content.decode(), (
        f"the external system's token reads Alice's record by the JSON API ({api.status_code}), no consent"
    )


def test_a_single_read_released_to_another_system_carries_no_redisclosure_notice(world: World) -> None:
    """A read by a staff token under Keel-Consent is a disclosure (a Disclosure row whose `notice` is the 2.32
    statement), but the resource sent carries only the security labels: the recipient never receives the
    notice that the row says went with it (SECURITY.md: every disclosure carries the re-disclosure notice).
    A search Bundle carries it (Bundle.meta.tag part2-notice); a read has no Bundle to carry it."""
    c = _consent(world)
    secret = _token(world)

    resp = _get(f"/fhir/R4/Patient/{world.alice.pk}", secret, HTTP_KEEL_CONSENT=str(c.pk))

    assert resp.status_code == 200
    row = Disclosure.objects.get(consent=c)
    assert row.notice == core.NOTICE
    assert core.NOTICE in resp.content.decode(), "the read released under consent carries no 2.32 notice"


@pytest.mark.parametrize("how", ["read", "search"])
def test_a_release_to_another_system_never_carries_the_consent_scope(world: World, how: str) -> None:
    """42 CFR 2.32 (2024), as `core.scope` says: a clear description of the consent's scope is sent with each
    disclosure. The Disclosure row records the scope as sent; the FHIR answer to a read or a search carries
    neither that text nor the Consent it was released under (`$everything` happens to, in the person's Consent
    resources, because a whole-record consent names consents among what leaves)."""
    c = _consent(world)
    secret = _token(world)
    alice = world.alice
    if how == "read":
        resp = _get(f"/fhir/R4/Patient/{alice.pk}", secret, HTTP_KEEL_CONSENT=str(c.pk))
    else:
        resp = _get(f"/fhir/R4/EpisodeOfCare?patient={alice.pk}", secret, HTTP_KEEL_CONSENT=str(c.pk))

    assert resp.status_code == 200, resp.content
    row = Disclosure.objects.get(consent=c)
    assert row.scope
    text = resp.content.decode()
    assert row.scope in text, f"the {how} released under consent {c.pk} does not carry the consent's scope"


def test_everything_by_a_clinician_who_reaches_the_person_through_emergency_access_is_a_500(
    world: World,
) -> None:
    """Bob consented to his record going to the county ED. The nurse (not on his care team) opens emergency
    access to him, and her ED-facing token POSTs `$everything` with his consent. `release_record` refuses a
    release through emergency access with SharingNotAllowed, which `_disclose_everything` does not catch (the
    read and the search do, in `_released`): the client gets Django's 500 instead of an OperationOutcome
    403, and the server logs a crash for an ordinary refusal."""
    from keel.sharing.services import emergency_access, sign_consent
    from tests.conftest import PASSWORD

    bob, nurse = world.bob, world.staff["nurse"]
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
        by=nurse,
        record_number=bob.record_number,
        reason="Found unresponsive in the lobby, suspected overdose: we need his methadone history now",
        password=PASSWORD,
    )
    secret = _token(world, "nurse")

    resp = _everything(bob, secret, consent.pk)

    assert resp.status_code == 403, f"an emergency-access refusal answered {resp.status_code}"
    assert resp.json()["resourceType"] == "OperationOutcome"


def test_a_token_exports_the_whole_record_as_the_patients_own_request_through_the_json_api(
    world: World,
) -> None:
    """`release_record` refuses the patient_request basis to an API token (guard 3, 42 CFR 2.24: another
    system cannot show that the patient asked, and the accounting would name the patient as the recipient of
    what that system received), and `$everything` passes `by_token=True`. The JSON API's FHIR export
    (`POST /api/v1/patients/{id}/fhir/export`, `services.export_record`) never passes it: the county ED's
    token, with the counselor's password in its configuration, takes Alice's whole record as "her own
    request", and her accounting of disclosures says she received it."""
    from tests.conftest import PASSWORD

    secret = _token(world, recipient=RECIPIENT)
    alice = world.alice

    resp = Client().post(
        f"/api/v1/patients/{alice.pk}/fhir/export",
        data=json.dumps({"basis": "patient_request", "password": PASSWORD}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    leaked = Disclosure.objects.filter(patient=alice, basis="patient_request")
    assert resp.status_code == 422 and not leaked.exists(), (
        f"a token took the whole record as the patient's own request ({resp.status_code}; accounting names "
        f"{list(leaked.values_list('recipient_name', flat=True))})"
    )


def test_a_search_with_no_match_answers_an_empty_entry_array(world: World) -> None:
    """FHIR R4's JSON format never has an empty array (an element is absent or has content: ele-1 and the
    JSON rules): a searchset with no match has no `entry`. Keel sends `"entry": []`, which strict parsers and
    the HL7 validator reject ("array cannot be empty"), for every search that finds nothing and every
    `_count=0` total."""
    alice = world.alice
    secret = accounts.create_token(user=alice.user).secret

    resp = _get(f"/fhir/R4/Condition?patient={alice.pk}", secret)

    assert resp.status_code == 200
    bundle = resp.json()
    assert bundle["resourceType"] == "Bundle" and bundle.get("total") == 0
    assert bundle.get("entry") != [], "an empty searchset carries an empty entry array"


def test_a_session_ended_by_the_middleware_is_answered_on_fhir_in_the_json_apis_shape(world: World) -> None:
    """Every FHIR error is an OperationOutcome (`RejectNulMiddleware` makes one for /fhir/ on purpose). The
    session middlewares do not: a session that has not passed its second factor (or went idle, or hit 12
    hours) gets `{"message": "Your session has ended. Sign in again.", "errors": []}` at /fhir/R4/, the JSON
    API's shape, which a FHIR client cannot read as an OperationOutcome."""
    client = Client()
    client.force_login(world.staff["nurse"], backend="django.contrib.auth.backends.ModelBackend")  # no TOTP

    resp = client.get(f"/fhir/R4/Patient/{world.alice.pk}")

    assert resp.status_code == 401
    assert resp.json().get("resourceType") == "OperationOutcome", resp.content


@pytest.mark.parametrize("route", ["read", "everything"])
def test_a_search_parameter_sent_to_a_read_or_to_everything_is_silently_dropped(
    world: World, route: str
) -> None:
    """The docs: "every parameter checked, never dropped or widened"; a search's unknown parameter is a 400
    naming it. A read and `$everything` accept the search-only `_id` (COMMON) and ignore it: a client
    asking `Patient/5?_id=6`, or `$everything?_id=MedicationRequest/3` for one resource, gets the whole of
    something else than it asked for, with a 200."""
    alice = world.alice
    secret = accounts.create_token(user=alice.user).secret
    path = f"/fhir/R4/Patient/{alice.pk}" + ("/$everything" if route == "everything" else "")

    resp = _get(f"{path}?_id={alice.pk + 1000}", secret)

    assert resp.status_code == 400, f"{route} with _id answered {resp.status_code}"


def test_a_token_bound_to_one_recipient_discloses_to_another_through_the_json_api(world: World) -> None:
    """One token, one recipient (review 20c): a token bound to the county ED is refused (403, audited) when a
    consent names anyone else, on the FHIR reads, `$everything` and the JSON API's FHIR export. The progress
    report disclosure (`POST /api/v1/patients/{id}/disclosures`, `services.disclose`) never asks: the ED's
    token, with the counselor's password in its configuration, sends Alice's medication report to her
    employer under her employer consent, and the accounting says the employer received what the ED's
    system did."""
    from tests.conftest import PASSWORD

    alice = world.alice
    employer = record_paper_consent(
        by=world.staff["counselor"],
        patient_id=alice.pk,
        raw={
            "recipient_name": "Acme Logistics",
            "purpose": "employment",
            "purpose_text": "",
            "categories": ["medication"],
            "expires_on": (local_today(alice) + timedelta(days=60)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )
    secret = _token(world, recipient=RECIPIENT)
    fhir = _get(f"/fhir/R4/Patient/{alice.pk}", secret, HTTP_KEEL_CONSENT=str(employer.pk))
    assert fhir.status_code == 422  # the FHIR door keeps the token to its recipient (review 31b H3: was 403)

    resp = Client().post(
        f"/api/v1/patients/{alice.pk}/disclosures",
        data=json.dumps(
            {
                "basis": "consent",
                "consent": employer.pk,
                "categories": ["medication"],
                "recipient_name": "Acme Logistics",
                "purpose": "employment",
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    sent = Disclosure.objects.filter(patient=alice, consent=employer)
    # review 31b H2-H3 (session 31): answered as no consent to this recipient, 404; was 403
    assert resp.status_code == 404 and not sent.exists(), (
        f"the ED's token disclosed to the employer ({resp.status_code}, {sent.count()} Disclosure row)"
    )
