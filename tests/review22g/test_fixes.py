"""Review 22g, the fixes: for each hole, a variant the reviewer did not try (another route, an unbound token,
a session)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.accounts.models import ApiToken
from keel.api_auth import STAFF_TOKEN_WRITE
from keel.audit.models import AuditEvent
from keel.patients import services as patients
from keel.patients.errors import NotAllowed
from keel.patients.models import Enrollment, EnrollmentStatus, local_today
from keel.patients.schemas import DischargeIn
from keel.sharing import services as sharing
from keel.sharing.models import Disclosure
from keel.sharing.services.common import TOKEN_EMERGENCY
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db

COUNTY = "County ED"
LAKESIDE = "Lakeside Health Center"


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


# --- Holes 1-2: a bound token manages only itself; a session and an unbound token all of theirs -------------


def test_a_bound_tokens_refused_revoke_is_the_404_of_an_id_nobody_has_and_is_audited(world: World) -> None:
    county = accounts.create_token(user=world.staff["counselor"], name="county", recipient_name=COUNTY)
    own = accounts.create_token(user=world.staff["counselor"], name="my scripts")
    client = Client()
    sibling = client.delete(f"/api/v1/auth/tokens/{own.token.pk}", **_bearer(county.secret))
    nobody = client.delete("/api/v1/auth/tokens/999999", **_bearer(county.secret))
    assert (
        (sibling.status_code, sibling.json()) == (nobody.status_code, nobody.json()) == (404, nobody.json())
    )
    denied = AuditEvent.objects.filter(
        target_type="api_token", reason=accounts.TOKEN_NOT_THEIRS, actor_id=world.staff["counselor"].pk
    )
    assert sorted(denied.values_list("target_id", flat=True)) == sorted([str(own.token.pk), "999999"])
    listed = client.get("/api/v1/auth/tokens", **_bearer(county.secret)).json()
    assert [t["id"] for t in listed] == [county.token.pk]


def test_an_unbound_token_and_a_session_still_list_and_revoke_every_token_of_theirs(world: World) -> None:
    counselor = world.staff["counselor"]
    county = accounts.create_token(user=counselor, name="county", recipient_name=COUNTY)
    court = accounts.create_token(user=counselor, name="court", recipient_name="Drug Court")
    own = accounts.create_token(user=counselor, name="my scripts")
    client = Client()
    listed = client.get("/api/v1/auth/tokens", **_bearer(own.secret)).json()
    assert {t["id"] for t in listed} == {county.token.pk, court.token.pk, own.token.pk}
    assert client.delete(f"/api/v1/auth/tokens/{court.token.pk}", **_bearer(own.secret)).status_code == 200
    session = sign_in(Client(), counselor)
    assert len(session.get("/api/v1/auth/tokens").json()) == 3
    assert session.delete(f"/api/v1/auth/tokens/{county.token.pk}").status_code == 200
    assert (
        ApiToken.objects.filter(pk__in=[court.token.pk, county.token.pk], revoked_at__isnull=True).count()
        == 0
    )


# --- Hole 3: /fhir/R4/ asks the same policy ----------------------------------------------------------------


def test_a_bound_token_is_refused_staff_and_programs_even_with_a_consent_and_the_refusal_is_audited(
    world: World,
) -> None:
    county = accounts.create_token(user=world.staff["counselor"], recipient_name=COUNTY).secret
    consent = _consent(world)
    client = Client()
    for path in (f"Practitioner/{world.staff['counselor'].pk}", f"Organization/{world.riverside.pk}"):
        response = client.get(f"/fhir/R4/{path}", HTTP_KEEL_CONSENT=str(consent.pk), **_bearer(county))
        assert response.status_code == 403, (path, response.content)
        assert response.json()["issue"][0]["code"] == "forbidden"
        assert AuditEvent.objects.filter(
            target_type="fhir",
            target_id=path,
            reason="API token bound to a recipient: it only releases records",
        ).exists()
    assert client.get("/fhir/R4/metadata", **_bearer(county)).status_code == 200  # open to everyone
    released = client.get(
        f"/fhir/R4/Patient/{world.alice.pk}", HTTP_KEEL_CONSENT=str(consent.pk), **_bearer(county)
    )
    assert released.status_code == 200, released.content  # the release itself still works


def test_an_unbound_staff_token_and_a_session_still_read_staff_and_programs(world: World) -> None:
    own = accounts.create_token(user=world.staff["counselor"], name="my scripts").secret
    session = sign_in(Client(), world.staff["counselor"])
    for path in (f"Practitioner/{world.staff['nurse'].pk}", f"Organization/{world.riverside.pk}"):
        assert Client().get(f"/fhir/R4/{path}", **_bearer(own)).status_code == 200, path
        assert session.get(f"/fhir/R4/{path}").status_code == 200, path


# --- Hole 4: a transfer by a token is a release by a token --------------------------------------------------


def _transfer_body(consent: Any) -> dict[str, Any]:
    return {
        "reason": "transferred",
        "consent": consent.pk,
        "recipient_name": LAKESIDE,
        "purpose": "treatment",
        "password": PASSWORD,
    }


def test_a_transfer_by_an_unbound_token_is_refused_and_a_bound_ones_disclosure_names_the_program(
    world: World,
) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "a transfer by an unbound token binds it to the
    receiving program". A token issued for no recipient transfers nothing (the person stays in care, no
    disclosure, the token bound to no one); a transfer with a token bound to the receiving program when
    issued (the service itself: the API refuses a bound token's non-release route) is disclosed to it.
    Superseded by review 26a (session 26): was the API's refusal audited as the transfer's ("API token bound
    to no recipient"); a staff token's discharge is now refused at authentication, before the body or the
    record is read, audited as the token's (`STAFF_TOKEN_WRITE`); the transfer's own refusal of an unbound
    token is asked of the service."""
    consent = _consent(world, LAKESIDE)
    issued = accounts.create_token(user=world.staff["counselor"], name="my scripts")
    response = Client().post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        data=json.dumps(_transfer_body(consent)),
        content_type="application/json",
        **_bearer(issued.secret),
    )
    assert response.status_code == 403, response.content
    assert Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert ApiToken.objects.get(pk=issued.token.pk).recipient_name == ""
    assert AuditEvent.objects.filter(target_type="api_token", reason=STAFF_TOKEN_WRITE).exists()
    with pytest.raises(NotAllowed):
        patients.discharge(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted(_transfer_body(consent)),
            token=issued.secret,
        )
    assert Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert ApiToken.objects.get(pk=issued.token.pk).recipient_name == ""
    assert AuditEvent.objects.filter(
        target_type="transfer", reason="API token bound to no recipient"
    ).exists()
    lakeside = accounts.create_token(user=world.staff["counselor"], recipient_name=LAKESIDE).secret
    patients.discharge(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted(_transfer_body(consent)),
        token=lakeside,
    )
    assert list(Disclosure.objects.filter(patient=world.alice).values_list("recipient_name", flat=True)) == [
        LAKESIDE
    ]


def test_a_transfer_with_a_token_bound_elsewhere_is_refused_and_the_person_stays_in_care(
    world: World,
) -> None:
    """The service itself (the API refuses a bound token before it, as a route that is not a release): a
    token already bound to the county ED cannot transfer Alice's record to Lakeside."""
    consent = _consent(world, LAKESIDE)
    county = accounts.create_token(user=world.staff["counselor"], recipient_name=COUNTY).secret
    body = {
        "reason": "transferred",
        "consent": consent.pk,
        "recipient_name": LAKESIDE,
        "purpose": "treatment",
        "password": PASSWORD,
    }
    with pytest.raises(NotAllowed):
        patients.discharge(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted(body),
            token=county,
        )
    assert Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert AuditEvent.objects.filter(
        target_type="transfer", reason="API token bound to another recipient"
    ).exists()


# --- Hole 5: a token never declares a medical emergency -----------------------------------------------------

EMERGENCY = {
    "basis": "emergency",
    "categories": ["medication"],
    "recipient_name": "Dr. Lee",
    "recipient_role": "physician",
    "recipient_affiliation": "Mercy Hospital",
    "nature": "unresponsive after a fall, needs her methadone dose now",
    "password": PASSWORD,
}


def test_an_unbound_token_cannot_declare_an_emergency_and_is_told_why_in_spanish_too(world: World) -> None:
    secret = accounts.create_token(user=world.staff["nurse"], name="my scripts").secret
    path = f"/api/v1/patients/{world.alice.pk}/disclosures"
    client = Client()
    said = []
    for language in ("en", "es"):
        response = client.post(
            path,
            data=json.dumps(EMERGENCY),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
            **_bearer(secret),
        )
        assert response.status_code == 403, response.content
        said.append(response.json()["message"])
    assert "42 CFR 2.51" in said[0] and "emergency" in said[0]
    assert "emergencia" in said[1] and said[0] != said[1]
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert AuditEvent.objects.filter(target_type="disclosure", reason=TOKEN_EMERGENCY).count() == 2
    assert ApiToken.objects.get(digest__isnull=False, name="my scripts").recipient_name == ""  # not bound


def test_a_session_still_discloses_in_an_emergency(world: World) -> None:
    session = sign_in(Client(), world.staff["nurse"])
    response = session.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        data=json.dumps(EMERGENCY),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Disclosure.objects.filter(patient=world.alice, basis="emergency").count() == 1
