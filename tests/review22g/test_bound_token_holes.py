"""Review 22g: what a token bound to one recipient (another system's release credential, review 22f) still
reaches besides releasing a record under a consent. Each test fails on the branch as reviewed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.accounts.models import ApiToken
from keel.patients.models import local_today
from keel.sharing import services as sharing
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

COUNTY = "County ED"


def _consent(world: World, recipient: str = COUNTY) -> Any:
    return sharing.record_paper_consent(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        raw={
            "recipient_name": recipient,
            "purpose": "treatment",
            "categories": ["record"],
            "expires_on": (local_today(world.alice) + timedelta(days=30)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _bearer(secret: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _county_token(world: World) -> str:
    """The county ED system's credential: the counselor's token bound to the county ED."""
    return accounts.create_token(
        user=world.staff["counselor"], name="county ED feed", recipient_name=COUNTY
    ).secret


def test_hole1_a_bound_token_revokes_its_staff_members_other_tokens(world: World) -> None:
    """`manages_tokens` lets a release credential revoke *any* token of the staff member it was issued by:
    the county ED's system ends the counselor's own token and the court program's feed. A credential may end
    itself; the others are not its to end (404 as for someone else's token, or 403)."""
    county = _county_token(world)
    court = accounts.create_token(
        user=world.staff["counselor"], name="court feed", recipient_name="Drug Court"
    )
    own = accounts.create_token(user=world.staff["counselor"], name="my scripts")
    client = Client()
    for victim in (court.token, own.token):
        response = client.delete(f"/api/v1/auth/tokens/{victim.pk}", **_bearer(county))
        assert response.status_code in (403, 404), (victim.name, response.status_code, response.content)
        assert ApiToken.objects.get(pk=victim.pk).revoked_at is None, victim.name


def test_hole2_a_bound_token_lists_the_other_recipients_its_staff_member_releases_to(world: World) -> None:
    """The county ED's credential lists every token of the counselor: the other systems' names and the
    recipients they release to ("Drug Court": that this counselor's patients are in a court program), their
    prefixes and when each was last used. A release credential may see itself, nothing else."""
    county = _county_token(world)
    court = accounts.create_token(
        user=world.staff["counselor"], name="court feed", recipient_name="Drug Court"
    )
    response = Client().get("/api/v1/auth/tokens", **_bearer(county))
    assert response.status_code == 200, response.content
    listed = json.loads(response.content)
    assert court.token.pk not in [t["id"] for t in listed], listed
    assert "Drug Court" not in response.content.decode(), listed


def test_hole3_a_bound_token_reads_staff_and_programs_on_fhir_without_a_consent(world: World) -> None:
    """The JSON API refuses a release credential everything but a release (review 22f), yet on /fhir/R4/ the
    same token reads Practitioner and Organization with no Keel-Consent: who works at the Part 2 program,
    for a system that may only receive records released to it under a person's consent. Refused as an
    OperationOutcome (403, or the 422 asking for a consent), never the resource."""
    county = _county_token(world)
    _consent(world)  # the county ED has a consent for Alice: still none names a staff member's read
    client = Client()
    for path in (f"Practitioner/{world.staff['nurse'].pk}", f"Organization/{world.riverside.pk}"):
        response = client.get(f"/fhir/R4/{path}", **_bearer(county))
        body = json.loads(response.content)
        assert response.status_code in (403, 422), (path, response.status_code)
        assert body["resourceType"] == "OperationOutcome", (path, body["resourceType"])


def test_hole4_a_transfer_by_an_unbound_token_releases_without_binding_it(world: World) -> None:
    """One token, one recipient (review 20c; review 22f: "every release made with a token" asks it): a
    transfer (discharge `transferred`) is a release of the record (`release_record`, a Disclosure in the
    accounting) made here with an API token, yet it neither checks nor binds the token. The same token then
    releases Alice's record to the county ED too: one credential, two recipients in her accounting. Either
    the transfer binds the token to the receiving program (and the county read is refused) or a token may
    not make it."""
    receiving = "Lakeside Health Center"
    transfer_consent = _consent(world, receiving)
    county_consent = _consent(world)
    secret = accounts.create_token(user=world.staff["counselor"], name="my scripts").secret  # unbound
    client = Client()
    transfer = client.post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        data=json.dumps(
            {
                "reason": "transferred",
                "consent": transfer_consent.pk,
                "recipient_name": receiving,
                "purpose": "treatment",
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
        **_bearer(secret),
    )
    county = client.get(
        f"/fhir/R4/Patient/{world.alice.pk}", HTTP_KEEL_CONSENT=str(county_consent.pk), **_bearer(secret)
    )
    recipients = sorted(
        Disclosure.objects.filter(patient=world.alice).values_list("recipient_name", flat=True).distinct()
    )
    assert not (transfer.status_code == 200 and county.status_code == 200), (
        transfer.status_code,
        county.status_code,
        recipients,
        ApiToken.objects.get(digest__isnull=False, name="my scripts").recipient_name,
    )


def test_hole5_a_bound_token_discloses_without_any_consent_as_an_emergency(world: World) -> None:
    """Review 22f made a bound token a release credential that "does only what a consent lets it do", but
    the disclosures POST (marked `releases_record`) also takes basis `emergency`: the county ED's system,
    with no consent of Alice's at all, declares a medical emergency itself and receives her progress report
    (201). 42 CFR 2.51 is the program's judgment, made by its staff, not a claim the recipient's own system
    makes to itself: as for `patient_request`, a token may not use a basis other than consent (403/422)."""
    county = _county_token(world)
    response = Client().post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        data=json.dumps(
            {
                "basis": "emergency",
                "categories": ["enrollment", "medication"],
                "recipient_name": COUNTY,
                "recipient_role": "physician",
                "recipient_affiliation": COUNTY,
                "nature": "found unresponsive after an overdose, needs her dose history",
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
        **_bearer(county),
    )
    assert response.status_code in (403, 422), (response.status_code, response.content[:200])
    assert not Disclosure.objects.filter(patient=world.alice).exists()
