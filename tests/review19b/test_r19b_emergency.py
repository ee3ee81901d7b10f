"""Review 19b: attacks on break-the-glass, the audit trail's emergency marks and the care-gap words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _break_glass(world: Any, user: Any, patient: Any, reason: str = "found unresponsive in the lobby") -> Any:
    from keel.sharing import services

    _patient, grant = services.emergency_access(
        by=user, record_number=patient.record_number, reason=reason, password=PASSWORD
    )
    return grant


def test_a_list_read_through_emergency_access_is_sealed_as_emergency(world: Any, signed_in: Any) -> None:
    """The nurse breaks the glass for Bob (not on her team) and opens her caseload, which now lists him: the
    list's audit row is an action through emergency access, so its sealed field says so and the audit's
    "Only emergency access" filter shows it (not only the reason's text "emergency access")."""
    from keel.audit import queries
    from keel.audit.models import AuditEvent

    nurse = world.staff["nurse"]
    _break_glass(world, nurse, world.bob)
    client = signed_in("nurse")
    assert client.get("/patients/").status_code == 200
    row = AuditEvent.objects.filter(actor_id=nurse.pk, target_type="patient_list").order_by("-id").first()
    assert row is not None
    assert world.bob.pk in row.detail.get("emergency_patient_ids", [])
    assert row.through_emergency is True
    shown = queries.list_events(world.staff["auditor"], emergency=True)
    assert row.pk in [e.pk for e in shown]


def test_an_invisible_emergency_reason_is_refused(world: Any) -> None:
    """A reason made of zero-width spaces is no reason: the grant's accountability rests on it."""
    from keel.patients.models import EmergencyAccess
    from keel.sharing import services

    with pytest.raises(services.SharingInvalid):
        services.emergency_access(
            by=world.staff["nurse"],
            record_number=world.bob.record_number,
            reason="\u200b" * 12,
            password=PASSWORD,
        )
    assert not EmergencyAccess.objects.filter(patient=world.bob).exists()


def test_the_audit_api_sends_no_clinical_free_text_to_an_auditor(world: Any, signed_in: Any) -> None:
    """The audit API promises "one event, no health information" (`audit.schemas`), and an auditor's role
    sees no part of any record. A prescriber's override reason is clinical free text (a drug used, a heart
    test): it must not reach the auditor through the event's `reason`."""
    from keel.treatment import services

    services.add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg=120,
        reason="Reports daily cocaine use and her QTc was 470 ms, so she needs a split dose today",
    )
    response = signed_in("auditor").get("/api/v1/audit/events")
    assert response.status_code == 200
    assert b"cocaine" not in response.content


def test_emergency_access_does_not_open_the_accounting_of_disclosures(world: Any, signed_in: Any) -> None:
    """Break-the-glass is for treating a medical emergency. Which courts, employers or programs a person let
    her records go to (her consents) and the accounting of disclosures (42 CFR 2.24) are no part of that: a
    disclosure under a consent is already refused under a grant (review 17b), so the list of them is too."""
    nurse = world.staff["nurse"]
    _break_glass(world, nurse, world.bob)
    response = signed_in("nurse").get(f"/api/v1/patients/{world.bob.pk}/sharing")
    assert response.status_code in (403, 404)


def test_a_record_number_two_of_my_programs_share_opens_no_one(world: Any) -> None:
    """Record numbers are unique only inside a program. A nurse who works in Riverside and Lakeside breaks
    the glass for "RR-0002", which names Bob at Riverside and another person at Lakeside: Keel must not pick
    one of them for her (the wrong person's record opened, the wrong care team told); the number is refused
    as ambiguous (or a program asked for), and no grant is made."""
    from datetime import date

    from keel.accounts.models import ProgramMembership
    from keel.patients.models import EmergencyAccess, Patient
    from keel.sharing import services

    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    Patient.objects.create(
        program=world.lakeside,
        record_number=world.bob.record_number,
        given_name="Wilhelmina",
        family_name="Oyelaran",
        date_of_birth=date(1984, 2, 3),
    )
    with pytest.raises(services.SharingInvalid):
        services.emergency_access(
            by=nurse,
            record_number=world.bob.record_number,
            reason="found unresponsive in the lobby",
            password=PASSWORD,
        )
    assert not EmergencyAccess.objects.filter(user=nurse).exists()


def test_a_refused_break_the_glass_is_in_the_emergency_view(world: Any) -> None:
    """A nurse tries to break the glass for Bob with a wrong password: the refusal is about emergency access
    (a try at a record outside her team), so the audit's "Only emergency access" view lists it."""
    from keel.audit import queries
    from keel.audit.models import AuditEvent
    from keel.sharing import services

    nurse = world.staff["nurse"]
    with pytest.raises(services.SharingInvalid):
        services.emergency_access(
            by=nurse,
            record_number=world.bob.record_number,
            reason="found unresponsive in the lobby",
            password="not my password at all",
        )
    refused = AuditEvent.objects.filter(
        actor_id=nurse.pk, target_type="emergency_access", outcome="denied"
    ).latest("id")
    shown = queries.list_events(world.staff["auditor"], emergency=True)
    assert refused.pk in [e.pk for e in shown]


def test_emergency_access_does_not_cancel_a_persons_appointments(world: Any) -> None:
    """Emergency access is for reading the record (and the few acts of care an emergency needs); a person's
    schedule of visits is her care team's. A nurse who broke the glass for Bob cannot cancel the counseling
    visit his program booked for him (his reminders would stop)."""
    from datetime import UTC, datetime

    from django.core.exceptions import PermissionDenied

    from keel.appointments import services
    from keel.appointments.models import Appointment

    booked_at = datetime(2027, 3, 1, 15, tzinfo=UTC)
    visit = services.schedule(
        by=world.staff["program_admin"],
        patient_id=world.bob.pk,
        day="2027-03-10",
        start="09:30",
        end="10:30",
        kind="counseling",
        with_id=world.staff["counselor"].pk,
        now=booked_at,
    )
    nurse = world.staff["nurse"]
    _break_glass(world, nurse, world.bob)
    with pytest.raises(PermissionDenied):
        services.set_status(
            by=nurse, patient_id=world.bob.pk, appointment_id=visit.pk, status="cancelled", now=booked_at
        )
    assert Appointment.objects.get(pk=visit.pk).status == visit.status


def test_a_registration_that_finds_someone_outside_my_team_is_audited(world: Any, signed_in: Any) -> None:
    """Being a patient of an addiction program is itself protected (42 CFR Part 2). A nurse who is not on
    Bob's care team types his name and birth date into a registration: the refusal ("a patient with this
    name and date of birth is already registered") tells her he is in care here, another route to what the
    emergency access guards with a reason and a password. That finding must at least leave a denied audit row
    about the person found, as a refused break-the-glass does."""
    from keel.audit.models import AuditEvent

    before = AuditEvent.objects.filter(patient_id=world.bob.pk).count()
    response = signed_in("nurse").post(
        "/api/v1/patients",
        {
            "given_name": world.bob.given_name,
            "family_name": world.bob.family_name,
            "date_of_birth": world.bob.date_of_birth.isoformat(),
            "episode_kind": "otp",
            "notice_given": True,
            "consented": True,
        },
        content_type="application/json",
    )
    assert "not_a_duplicate" in [e["field"] for e in response.json()["errors"]]
    assert AuditEvent.objects.filter(patient_id=world.bob.pk).count() > before


def test_a_caseload_read_stays_in_the_programs_trail_after_its_reader_leaves(
    world: Any, signed_in: Any
) -> None:
    """A nurse who works in Riverside and Lakeside opens her caseload (it lists Alice, a Riverside patient),
    then Riverside's admin takes her out of Riverside. The read of Riverside's patients is Riverside's to
    audit: it stays in Riverside's trail, whoever its reader works for now."""
    from keel.accounts import staff
    from keel.accounts.models import ProgramMembership
    from keel.audit import queries
    from keel.audit.models import AuditEvent

    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    assert signed_in("nurse").get("/patients/").status_code == 200
    read = AuditEvent.objects.filter(actor_id=nurse.pk, target_type="patient_list").latest("id")
    assert world.alice.pk in read.detail["patient_ids"]
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    shown = queries.list_events(world.staff["auditor"], limit=500)
    assert read.pk in [e.pk for e in shown]
