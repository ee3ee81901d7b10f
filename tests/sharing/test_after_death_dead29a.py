"""Lane dead29a: what a recorded death does to a consent she signed herself, and to break-the-glass.

1. A consent the patient signed herself before she died stays valid after her death until it expires or is
   revoked (decided in the lane's report): 42 CFR 2.15(b)(2) says only who gives a consent that is required
   *after* a death ("that consent may be given by the personal representative"), and 2.31(c) lists when a
   consent may not be relied on (expired, deficient on its face, known revoked, known materially false):
   death is not among them; HIPAA 164.508(b)(2)(i) makes an authorization defective when its expiry date
   has passed or its expiry event is known to have happened, and Keel's consents expire on a date. So every
   release route (the page, the JSON API, the FHIR export, a token's FHIR read with `Keel-Consent`)
   honours it, and refuses it, naming `consent`, once it has expired or a written revocation (her personal
   representative's) is entered.
2. No emergency access opens to a record that shows a death (42 CFR 2.51: there is no medical emergency of
   hers after it): the page and the API refuse it naming `record_number`, audited as a refused emergency
   access about her; a grant opened before the death ends with it; the care team's own reads are
   unchanged."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember, EmergencyAccess, Enrollment, local_today
from keel.sharing.models import Consent, Disclosure
from keel.sharing.services import emergency_access
from keel.sharing.services.consents import record_paper_consent, sign_consent
from keel.sharing.services.revocations import record_written_revocation
from tests.conftest import PASSWORD, World, sign_in
from tests.review27b.test_death_and_activation import _record_death

pytestmark = pytest.mark.django_db
RECIPIENT = "Valley Primary Care"
DEATH = "a death is recorded for this person"


def _own_consent(world: World) -> Consent:
    """Alice signs a consent herself in the app while she lives: her whole record to RECIPIENT."""
    return sign_consent(
        by=world.alice.user,
        raw={
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
            "categories": ["record", "medication"],
            "expires_on": (local_today(world.alice) + timedelta(days=90)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _own_paper_consent(world: World) -> Consent:
    """Alice signs the paper form herself while she lives; her counselor enters it."""
    return record_paper_consent(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        raw={
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
            "categories": ["record", "medication"],
            "expires_on": (local_today(world.alice) + timedelta(days=90)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _by_consent(consent: Consent) -> dict[str, Any]:
    return {
        "basis": "consent",
        "consent": consent.pk,
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "password": PASSWORD,
    }


def _api(world: World, path: str, body: dict[str, Any], role: str = "nurse", **headers: Any) -> Any:
    return sign_in(Client(), world.staff[role]).post(
        path, json.dumps(body), content_type="application/json", **headers
    )


def _disclose_by_api(world: World, consent: Consent) -> Any:
    return _api(world, f"/api/v1/patients/{world.alice.pk}/disclosures", _by_consent(consent))


def _released(world: World, consent: Consent) -> int:
    return Disclosure.objects.filter(patient=world.alice, consent=consent).count()


# --- 1. a consent she signed herself ----------------------------------------------------------------------


def test_her_own_consent_is_still_honoured_by_the_api_after_her_death(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    answer = _disclose_by_api(world, consent)
    assert answer.status_code == 201, answer.content[:300]


def test_the_disclosure_on_her_own_consent_after_her_death_is_in_the_accounting(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    _disclose_by_api(world, consent)
    assert _released(world, consent) == 1


def test_her_own_paper_consent_is_still_honoured_after_her_death(world: World) -> None:
    consent = _own_paper_consent(world)
    _record_death(world, world.alice)
    assert _disclose_by_api(world, consent).status_code == 201


def test_the_page_releases_on_her_own_consent_after_her_death(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    body = {**_by_consent(consent), "consent": str(consent.pk)}
    page = sign_in(Client(), world.staff["nurse"]).post(f"/patients/{world.alice.pk}/sharing/disclose/", body)
    assert page.status_code == 200
    assert _released(world, consent) == 1


def test_the_fhir_export_releases_on_her_own_consent_after_her_death(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    answer = _api(world, f"/api/v1/patients/{world.alice.pk}/fhir/export", _by_consent(consent))
    assert answer.status_code == 200, answer.content[:300]


def test_a_tokens_fhir_read_with_her_own_consent_in_the_header_after_her_death(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    answer = Client().get(
        f"/fhir/R4/Patient/{world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )
    assert answer.status_code == 200, answer.content[:300]


def test_the_token_read_says_she_died(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    answer = Client().get(
        f"/fhir/R4/Patient/{world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )
    assert answer.json()["deceasedDateTime"] == local_today(world.alice).isoformat()


def _expired(consent: Consent, world: World) -> None:
    """Her consent's end day passed (the row as it would read a few months on)."""
    Consent.objects.filter(pk=consent.pk).update(expires_on=local_today(world.alice) - timedelta(days=1))


def test_her_own_consent_once_expired_is_refused_after_her_death_naming_consent(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    _expired(consent, world)
    answer = _disclose_by_api(world, consent)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["consent"]


def test_her_own_expired_consent_releases_nothing_by_the_fhir_export(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    _expired(consent, world)
    answer = _api(world, f"/api/v1/patients/{world.alice.pk}/fhir/export", _by_consent(consent))
    assert answer.status_code == 422
    assert _released(world, consent) == 0


def _revoked_by_her_representative(world: World, consent: Consent) -> None:
    """Her personal representative revokes it in writing after her death; her counselor enters the letter."""
    record_written_revocation(by=world.staff["counselor"], patient_id=world.alice.pk, consent_id=consent.pk)


def test_her_representative_revokes_her_own_consent_after_her_death(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    _revoked_by_her_representative(world, consent)
    answer = _disclose_by_api(world, consent)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["consent"]


def test_the_revoked_consents_refusal_is_audited(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    _revoked_by_her_representative(world, consent)
    _disclose_by_api(world, consent)
    assert AuditEvent.objects.filter(
        patient_id=world.alice.pk, target_type="disclosure", outcome="denied"
    ).exists()


def test_the_page_says_the_revoked_consent_in_spanish(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    _revoked_by_her_representative(world, consent)
    body = {**_by_consent(consent), "consent": str(consent.pk)}
    page = sign_in(Client(), world.staff["nurse"]).post(
        f"/patients/{world.alice.pk}/sharing/disclose/", body, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert page.status_code == 422
    assert "El paciente revocó este consentimiento." in page.content.decode()


def test_a_token_with_her_revoked_consent_in_the_header_reads_nothing(world: World) -> None:
    consent = _own_consent(world)
    _record_death(world, world.alice)
    _revoked_by_her_representative(world, consent)
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    answer = Client().get(
        f"/fhir/R4/Patient/{world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )
    assert answer.status_code == 422
    assert answer.json()["issue"][0]["expression"] == ["Keel-Consent"]


# --- 2. break-the-glass -----------------------------------------------------------------------------------
# Bob has no care team: the nurse reaches his record only by breaking the glass.


def _glass(world: World) -> dict[str, Any]:
    return {
        "record_number": world.bob.record_number,
        "reason": "found unresponsive in the lobby, needs current medication",
        "password": PASSWORD,
    }


def _refused_glass(world: World) -> int:
    return AuditEvent.objects.filter(
        patient_id=world.bob.pk, target_type="emergency_access", outcome="denied", reason=DEATH
    ).count()


def test_the_api_opens_no_emergency_access_after_a_death_naming_the_record_number(world: World) -> None:
    _record_death(world, world.bob)
    answer = _api(world, "/api/v1/emergency-access", _glass(world))
    assert answer.status_code == 422, answer.content[:300]
    assert [e["field"] for e in answer.json()["errors"]] == ["record_number"]


def test_the_api_refusal_grants_nothing(world: World) -> None:
    _record_death(world, world.bob)
    _api(world, "/api/v1/emergency-access", _glass(world))
    assert not EmergencyAccess.objects.filter(patient=world.bob).exists()


def test_the_api_refusal_is_audited_as_a_refused_emergency_access(world: World) -> None:
    _record_death(world, world.bob)
    _api(world, "/api/v1/emergency-access", _glass(world))
    assert _refused_glass(world) == 1


def test_the_refusal_shows_under_the_audit_trails_emergency_filter(world: World) -> None:
    from keel.audit.queries import EMERGENCY_ACCESS

    _record_death(world, world.bob)
    _api(world, "/api/v1/emergency-access", _glass(world))
    row = AuditEvent.objects.filter(patient_id=world.bob.pk, outcome="denied").latest("id")
    assert row.target_type == EMERGENCY_ACCESS


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            "and there is none after a death, so it does not open",
        ),
        ("es", "el acceso de emergencia es para una emergencia médica de la propia persona"),
    ],
)
def test_the_page_says_why_no_emergency_access_opens(world: World, language: str, words: str) -> None:
    _record_death(world, world.bob)
    page = sign_in(Client(), world.staff["nurse"]).post(
        "/emergency-access/", _glass(world), HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 422
    assert words in page.content.decode()


def test_the_page_refusal_grants_nothing_and_is_audited(world: World) -> None:
    _record_death(world, world.bob)
    sign_in(Client(), world.staff["nurse"]).post("/emergency-access/", _glass(world))
    assert (EmergencyAccess.objects.filter(patient=world.bob).count(), _refused_glass(world)) == (0, 1)


def test_a_death_in_another_program_opens_no_emergency_access(world: World) -> None:
    today = local_today(world.bob)
    Enrollment.objects.create(
        patient=world.bob,
        program=world.lakeside,
        started_on=today - timedelta(days=400),
        ended_on=today - timedelta(days=2),
        end_reason="deceased",
        status="ended",
    )
    answer = _api(world, "/api/v1/emergency-access", _glass(world))
    assert answer.status_code == 422


def test_emergency_access_still_opens_while_he_lives(world: World) -> None:
    answer = _api(world, "/api/v1/emergency-access", _glass(world))
    assert answer.status_code == 201, answer.content[:300]


def test_the_care_teams_own_read_is_unchanged_after_her_death(world: World) -> None:
    _record_death(world, world.alice)
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/")
    assert page.status_code == 200


def test_the_care_teams_api_read_is_unchanged_after_her_death(world: World) -> None:
    _record_death(world, world.alice)
    answer = sign_in(Client(), world.staff["nurse"]).get(f"/fhir/R4/Patient/{world.alice.pk}")
    assert answer.status_code == 200


def test_a_grant_opened_before_the_death_ends_with_it(world: World) -> None:
    _patient, grant = emergency_access(by=world.staff["nurse"], **_glass(world))
    _record_death(world, world.bob)
    grant.refresh_from_db()
    assert grant.ended_at is not None


def test_after_the_death_the_record_is_out_of_the_grant_holders_reach(world: World) -> None:
    emergency_access(by=world.staff["nurse"], **_glass(world))
    _record_death(world, world.bob)
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.bob.pk}/")
    assert page.status_code == 404


def test_the_grants_end_at_the_death_is_audited_once(world: World) -> None:
    _patient, grant = emergency_access(by=world.staff["nurse"], **_glass(world))
    _record_death(world, world.bob)
    rows = AuditEvent.objects.filter(
        patient_id=world.bob.pk, reason="emergency access ended: a death is recorded"
    )
    assert [r.detail["grants"] for r in rows] == [[grant.pk]]


def test_a_death_ends_no_one_elses_grant(world: World) -> None:
    emergency_access(by=world.staff["nurse"], **_glass(world))
    _record_death(world, world.alice)
    assert EmergencyAccess.objects.get(patient=world.bob).ended_at is None


def test_the_nurse_reaches_bob_only_by_breaking_the_glass(world: World) -> None:
    assert not CareTeamMember.objects.filter(patient=world.bob).exists()
