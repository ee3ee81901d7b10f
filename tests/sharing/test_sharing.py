"""Journey 8, sharing under 42 CFR Part 2: the patient signs and revokes; the care team discloses only what a
live consent covers, with the notice and the scope; emergencies are recorded; the accounting lists it all;
break-the-glass access needs a reason, expires, is flagged and audited (SECURITY.md T11, T12)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from keel.audit.models import AuditEvent
from keel.core import sharing as core
from keel.patients.models import EmergencyAccess, PatientFlag
from keel.sharing.models import Consent, ConsentImmutable, Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
CONSENT = {
    "recipient_name": "Dr. Ruth Example, Valley Primary Care",
    "purpose": "treatment",
    "categories": ["medication", "screenings"],
    "expires_on": "2027-05-31",
    "signature": "Alicia Zamorano",
    "understood": True,
}
TO = {"recipient_name": "Dr. Ruth Example, Valley Primary Care", "purpose": "treatment"}


def _patient(world: World) -> Client:
    return sign_in(Client(), world.alice.user)


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    import json

    return client.post(path, json.dumps(body), content_type="application/json")


def _consent(world: World, **changes: Any) -> int:
    response = _post(_patient(world), "/api/v1/me/consents", {**CONSENT, **changes})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _last_audit() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


@time_machine.travel(NOW, tick=False)
def test_a_patient_signs_a_consent_on_the_page_with_every_element(world: World) -> None:
    client = _patient(world)
    form = client.get("/me/sharing/new/").content.decode()
    for statement in core.STATEMENTS:
        assert statement in form
    response = client.post(
        "/me/sharing/new/",
        {
            "recipient_name": "Judge Example, County Drug Court",
            "purpose": "court_program",
            "categories": ["enrollment", "checkins"],
            "expires_on": "2027-01-31",
            "signature": "  alicia   ZAMORANO ",  # spacing and case do not matter
            "understood": "on",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(patient=world.alice)
    assert (consent.recipient_name, consent.purpose, consent.categories) == (
        "Judge Example, County Drug Court",
        "court_program",
        ["enrollment", "checkins"],
    )
    assert consent.expires_on == date(2027, 1, 31)
    assert consent.program_id == world.riverside.pk
    assert consent.statements == list(core.STATEMENTS)
    assert consent.form_version == core.FORM_VERSION
    assert consent.signed_by_id == world.alice.user_id
    assert consent.signed_at == NOW
    assert (_last_audit().action, _last_audit().target_type) == ("create", "consent")
    page = client.get("/me/sharing/").content.decode()
    assert "Judge Example, County Drug Court" in page
    assert "Active" in page


@time_machine.travel(NOW, tick=False)
def test_a_consent_missing_an_element_is_refused_field_by_field(world: World) -> None:
    response = _post(
        _patient(world),
        "/api/v1/me/consents",
        {
            **CONSENT,
            "signature": "Someone Else",
            "expires_on": "2026-11-25",
            "categories": [],
            "understood": False,
        },
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "signature",
        "expires_on",
        "categories",
        "understood",
    }
    page = _patient(world).post("/me/sharing/new/", {"purpose": "other"})
    html = page.content.decode()
    assert page.status_code == 422
    assert "describe the purpose" in html
    assert "is required" in html
    assert not Consent.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_signed_consent_never_changes(world: World) -> None:
    consent = Consent.objects.get(pk=_consent(world))
    consent.recipient_name = "Someone else"
    with pytest.raises(ConsentImmutable):
        consent.save()


@time_machine.travel(NOW, tick=False)
def test_the_care_team_discloses_what_the_consent_covers_with_the_notice(world: World) -> None:
    consent_id = _consent(world)
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {
        "basis": "consent",
        "consent": consent_id,
        "categories": ["medication"],
        "password": PASSWORD,
        **TO,
    }
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body)
    assert response.status_code == 201, response.content
    document = response.json()["document"]
    assert document["notice"] == "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
    assert [s["category"] for s in document["sections"]] == ["medication"]  # only what was asked and covered
    assert document["scope"].startswith("Shared with Dr. Ruth Example, Valley Primary Care for this purpose:")
    assert "Consent ends 2027-05-31." in document["scope"]
    event = _last_audit()
    assert (event.action, event.target_type, event.patient_id) == ("disclose", "disclosure", world.alice.pk)
    assert event.detail["consent_id"] == consent_id
    assert event.detail["categories"] == ["medication"]
    # The patient's accounting lists it.
    accounting = _patient(world).get("/api/v1/me/sharing").json()["disclosures"]
    assert [(d["basis"], d["consent"], d["recipient_name"]) for d in accounting] == [
        ("consent", consent_id, "Dr. Ruth Example, Valley Primary Care")
    ]
    assert accounting[0]["notice"] == core.NOTICE
    assert accounting[0]["sha256"] == response.json()["disclosure"]["sha256"]
    # All the consent's categories when none is named; the page shows the document with the notice twice.
    page = nurse.post(
        f"/patients/{world.alice.pk}/sharing/disclose/",
        {"basis": "consent", "consent": str(consent_id), "password": PASSWORD, **TO},
    ).content.decode()
    assert page.count(core.NOTICE) == 2
    assert "Screening scores" in page
    assert "Medication:" in page


@time_machine.travel(NOW, tick=False)
def test_nothing_leaves_without_a_covering_live_consent(world: World) -> None:
    consent_id = _consent(world)
    nurse = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/disclosures"

    def attempt(**changes: Any) -> Any:
        return _post(
            nurse, path, {"basis": "consent", "consent": consent_id, "password": PASSWORD, **TO, **changes}
        )

    wider = attempt(categories=["checkins"])
    assert wider.status_code == 422
    assert wider.json()["errors"] == [{"field": "consent", "reason": "The consent does not cover: checkins."}]
    assert _last_audit().action == "denied"
    wrong = attempt(password="not it")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "password"
    assert (_last_audit().action, _last_audit().reason) == ("denied", "re-authentication failed")
    other = attempt(consent=999999)
    assert other.status_code == 422
    assert _post(_patient(world), f"/api/v1/me/consents/{consent_id}/revoke", {}).status_code == 200
    revoked = attempt()
    assert revoked.status_code == 422
    assert "revoked" in revoked.json()["errors"][0]["reason"]
    assert not Disclosure.objects.exists()


def test_an_expired_consent_covers_nothing(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        consent_id = _consent(world, expires_on="2026-12-01")
    body = {"basis": "consent", "consent": consent_id, "password": PASSWORD, **TO}
    with time_machine.travel(datetime(2026, 12, 1, 20, 0, tzinfo=UTC), tick=False):  # its last day
        nurse = sign_in(Client(), world.staff["nurse"])
        assert _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body).status_code == 201
    with time_machine.travel(datetime(2026, 12, 2, 17, 0, tzinfo=UTC), tick=False):
        late = _post(
            sign_in(Client(), world.staff["nurse"]), f"/api/v1/patients/{world.alice.pk}/disclosures", body
        )
        assert late.status_code == 422
        assert "ended on 2026-12-01" in late.json()["errors"][0]["reason"]


@time_machine.travel(NOW, tick=False)
def test_a_medical_emergency_is_recorded_with_its_four_facts(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/disclosures"
    missing = _post(nurse, path, {"basis": "emergency", "categories": ["medication"], "password": PASSWORD})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {
        "recipient_name",
        "recipient_role",
        "recipient_affiliation",
        "nature",
    }
    body = {
        "basis": "emergency",
        "categories": ["medication"],
        "recipient_name": "Dr. Example",
        "recipient_role": "physician",
        "recipient_affiliation": "Mercy Hospital emergency department",
        "nature": "Unresponsive after a suspected overdose; treating team needs the methadone dose",
        "password": PASSWORD,
    }
    response = _post(nurse, path, body)
    assert response.status_code == 201
    row = Disclosure.objects.get()
    assert (row.basis, row.consent_id, row.recipient_affiliation) == (
        "emergency",
        None,
        "Mercy Hospital emergency department",
    )
    assert row.disclosed_by_id == world.staff["nurse"].pk
    assert row.disclosed_at == NOW
    assert "Medical emergency (42 CFR 2.51)" in response.json()["document"]["scope"]
    accounting = _patient(world).get("/me/sharing/").content.decode()
    assert "A medical emergency" in accounting
    assert "Mercy Hospital emergency department" in accounting


def test_the_database_refuses_a_disclosure_without_a_basis(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            patient=world.alice,
            basis="consent",
            consent=None,
            categories=[],
            description="x",
            scope="x",
            notice=core.NOTICE,
            document_sha256="0" * 64,
            disclosed_by=world.staff["nurse"],
            disclosed_at=NOW,
        )


@time_machine.travel(NOW, tick=False)
def test_only_clinicians_on_the_team_disclose(world: World) -> None:
    consent_id = _consent(world)
    body = {"basis": "consent", "consent": consent_id, "password": PASSWORD, **TO}
    admin = sign_in(Client(), world.staff["program_admin"])
    assert _post(admin, f"/api/v1/patients/{world.alice.pk}/disclosures", body).status_code == 403
    peer = sign_in(Client(), world.staff["peer_specialist"])
    assert _post(peer, f"/api/v1/patients/{world.alice.pk}/disclosures", body).status_code == 404
    assert (
        _post(
            sign_in(Client(), world.lakeside_nurse), f"/api/v1/patients/{world.alice.pk}/disclosures", body
        ).status_code
        == 404
    )
    assert not Disclosure.objects.exists()


# --- T12: emergency access (break-the-glass) ----------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_emergency_access_needs_a_reason_expires_is_flagged_and_audited(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])  # not on Bob's care team
    bob = f"/api/v1/patients/{world.bob.pk}"
    assert nurse.get(bob).status_code == 404
    short = _post(
        nurse, "/api/v1/emergency-access", {"record_number": "RR-0002", "reason": "now", "password": PASSWORD}
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "reason"
    reason = "Found unresponsive in the lobby; need medication list for EMS"
    wrong = _post(
        nurse, "/api/v1/emergency-access", {"record_number": "RR-0002", "reason": reason, "password": "no"}
    )
    assert wrong.status_code == 422
    assert _last_audit().outcome == "denied"
    elsewhere = _post(
        nurse,
        "/api/v1/emergency-access",
        {"record_number": "LH-0001", "reason": reason, "password": PASSWORD},
    )
    assert elsewhere.status_code == 422  # another program's patient is never reachable
    assert not EmergencyAccess.objects.exists()

    opened = _post(
        nurse,
        "/api/v1/emergency-access",
        {"record_number": "RR-0002", "reason": reason, "password": PASSWORD},
    )
    assert opened.status_code == 201
    assert opened.json()["expires_at"] == (NOW + timedelta(hours=4)).isoformat()
    event = _last_audit()
    assert (event.action, event.patient_id, event.actor_id) == (
        "emergency_access",
        world.bob.pk,
        world.staff["nurse"].pk,
    )
    flag = PatientFlag.objects.get(patient=world.bob, kind="emergency_access", resolved_at__isnull=True)
    assert reason in flag.reasons[0]
    assert "Nurse" in flag.reasons[0]
    assert nurse.get(bob).status_code == 200
    read = _last_audit()
    assert (read.action, read.patient_id, read.reason) == ("read", world.bob.pk, "emergency access")
    assert nurse.get(f"/patients/{world.bob.pk}/").status_code == 200
    assert nurse.get(f"/api/v1/patients/{world.alice.pk}").status_code == 200  # on her team: a plain read
    assert _last_audit().reason == ""
    with time_machine.travel(NOW + timedelta(hours=4, seconds=1), tick=False):
        assert sign_in(Client(), world.staff["nurse"]).get(bob).status_code == 404  # expired


@time_machine.travel(NOW, tick=False)
def test_emergency_access_is_for_clinicians(world: World) -> None:
    body = {"record_number": "RR-0002", "reason": "Found unresponsive in the lobby", "password": PASSWORD}
    for role in ("peer_specialist", "program_admin", "auditor"):
        assert (
            _post(sign_in(Client(), world.staff[role]), "/api/v1/emergency-access", body).status_code == 403
        )
    assert _post(_patient(world), "/api/v1/emergency-access", body).status_code == 403
    page = sign_in(Client(), world.staff["counselor"]).post(
        "/emergency-access/", {"record_number": "RR-0002", "reason": body["reason"], "password": PASSWORD}
    )
    assert page.status_code == 302
    assert page["Location"] == f"/patients/{world.bob.pk}/"


@time_machine.travel(NOW, tick=False)
def test_the_consent_form_speaks_spanish(world: World) -> None:
    from django.conf import settings

    client = _patient(world)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = client.get("/me/sharing/new/").content.decode()
    assert "Compartir mi progreso" in html
    assert "Puedo retirar (revocar) este consentimiento" in html
    assert "Medicamento: medicina y dosis actuales" in html
    refused = client.post("/me/sharing/new/", {"signature": "Nadie"}).content.decode()
    assert "escriba su nombre completo tal como aparece en su expediente" in refused
    assert "confirme que leyó lo que significa este consentimiento" in refused


@time_machine.travel(NOW, tick=False)
def test_a_paper_consent_and_a_written_revocation_entered_by_the_care_team(world: World) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    base = f"/api/v1/patients/{world.alice.pk}"
    recorded = _post(counselor, f"{base}/consents", {**CONSENT, "categories": ["enrollment"]})
    assert recorded.status_code == 201
    assert recorded.json()["on_paper"] is True
    consent = Consent.objects.get(pk=recorded.json()["id"])
    assert consent.on_paper
    assert consent.signed_by_id == world.staff["counselor"].pk
    assert (_last_audit().action, _last_audit().reason) == ("create", "signed on paper")
    wrong_name = _post(counselor, f"{base}/consents", {**CONSENT, "signature": "Somebody"})
    assert wrong_name.status_code == 422
    assert wrong_name.json()["errors"][0]["field"] == "signature"
    body = {"basis": "consent", "consent": consent.pk, "password": PASSWORD, **TO}
    assert _post(counselor, f"{base}/disclosures", body).status_code == 201
    mine = _patient(world).get("/api/v1/me/sharing").json()
    assert [c["id"] for c in mine["consents"]] == [consent.pk]
    assert len(mine["disclosures"]) == 1
    revoked = _post(counselor, f"{base}/consents/{consent.pk}/revoked-in-writing", {})
    assert revoked.status_code == 200
    assert (_last_audit().action, _last_audit().reason) == ("update", "revoked in writing")
    assert consent.revocation.in_writing  # type: ignore[attr-defined]
    assert _post(counselor, f"{base}/disclosures", body).status_code == 422
    admin = sign_in(Client(), world.staff["program_admin"])
    assert _post(admin, f"{base}/consents", CONSENT).status_code == 403
    peer = sign_in(Client(), world.staff["peer_specialist"])
    assert _post(peer, f"{base}/consents", CONSENT).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_paper_consent_form_on_the_sharing_page(world: World) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    page = f"/patients/{world.alice.pk}/sharing/paper-consent/"
    refused = counselor.post(page, {"recipient_name": "Valley Clinic"})
    assert refused.status_code == 422
    assert "<strong>The name as signed</strong>: is required" in refused.content.decode()
    ok = counselor.post(
        page,
        {
            "recipient_name": "Valley Clinic",
            "purpose": "treatment",
            "categories": ["enrollment"],
            "expires_on": "2027-02-01",
            "understood": "on",
            "signature": "Alicia Zamorano",
        },
    )
    assert ok.status_code == 302
    html = counselor.get(f"/patients/{world.alice.pk}/sharing/").content.decode()
    assert "Signed on paper; the form is in the chart." in html
    assert "Valley Clinic" in html
