"""Issue #14 and SECURITY.md T12: break-the-glass is accountable. Every read made through emergency access is
marked in the audit trail, by every route that shows the record (pages, API, FHIR, lists); every use of
emergency powers waits in a review queue for a program admin to attest; the person who used it can neither
attest it nor resolve the flag about it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import PatientFlag
from keel.sharing.models import EmergencyReview
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
REASON = "Found unresponsive in the lobby; need the medication list for EMS"


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _break_glass(world: World) -> Client:
    """The nurse (on Alicia's team, not Roberto's) opens Roberto's record in an emergency."""
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"record_number": "RR-0002", "reason": REASON, "password": PASSWORD}
    assert _post(nurse, "/api/v1/emergency-access", body).status_code == 201
    return nurse


def _last_audit() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


# --- Every read through emergency access is marked ----------

SINGLE_READS = [
    "/patients/{bob}/",
    "/api/v1/patients/{bob}",
    "/patients/{bob}/timeline/",
    "/api/v1/patients/{bob}/timeline",
    "/fhir/R4/Patient/{bob}",
]


@pytest.mark.parametrize("path", SINGLE_READS)
@time_machine.travel(NOW, tick=False)
def test_a_read_of_one_record_through_emergency_access_is_marked(world: World, path: str) -> None:
    nurse = _break_glass(world)
    assert nurse.get(path.format(bob=world.bob.pk)).status_code == 200
    event = _last_audit()
    assert (event.action, event.patient_id, event.reason) == ("read", world.bob.pk, "emergency access")


LIST_READS = ["/patients/", "/api/v1/patients", "/api/v1/caseload", "/fhir/R4/EpisodeOfCare"]


@pytest.mark.parametrize("path", LIST_READS)
@time_machine.travel(NOW, tick=False)
def test_a_list_that_shows_a_record_through_emergency_access_is_marked(world: World, path: str) -> None:
    nurse = _break_glass(world)
    assert nurse.get(path).status_code == 200
    event = _last_audit()
    assert (event.reason, event.detail["emergency_patient_ids"]) == ("emergency access", [world.bob.pk])


@pytest.mark.parametrize("path", LIST_READS)
@time_machine.travel(NOW, tick=False)
def test_a_list_of_ones_own_caseload_is_not_marked(world: World, path: str) -> None:
    sign_in(Client(), world.staff["nurse"]).get(path)
    event = _last_audit()
    assert (event.reason, "emergency_patient_ids" in event.detail) == ("", False)


# --- The review queue ----------


@time_machine.travel(NOW, tick=False)
def test_breaking_the_glass_puts_it_in_the_review_queue(world: World) -> None:
    _break_glass(world)
    review = EmergencyReview.objects.get()
    assert (review.kind, review.patient_id, review.used_by_id, review.reason, review.attested_at) == (
        "emergency_access",
        world.bob.pk,
        world.staff["nurse"].pk,
        REASON,
        None,
    )


@time_machine.travel(NOW, tick=False)
def test_the_program_admin_sees_the_queue_over_the_api(world: World) -> None:
    _break_glass(world)
    admin = sign_in(Client(), world.staff["program_admin"])
    listed = admin.get("/api/v1/emergency-reviews").json()["reviews"]
    assert [(r["kind"], r["patient"], r["used_by"]) for r in listed] == [
        ("emergency_access", world.bob.pk, world.staff["nurse"].pk)
    ]


@time_machine.travel(NOW, tick=False)
def test_the_program_admin_sees_the_queue_on_a_page(world: World) -> None:
    _break_glass(world)
    page = sign_in(Client(), world.staff["program_admin"]).get("/program/emergency-reviews/")
    assert page.status_code == 200
    assert REASON in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_reading_the_queue_is_audited(world: World) -> None:
    _break_glass(world)
    sign_in(Client(), world.staff["program_admin"]).get("/api/v1/emergency-reviews")
    event = _last_audit()
    assert (event.action, event.target_type, event.detail["patient_ids"]) == (
        "read",
        "emergency_review_list",
        [world.bob.pk],
    )


@pytest.mark.parametrize("role", ["nurse", "counselor", "prescriber", "peer_specialist", "auditor"])
@time_machine.travel(NOW, tick=False)
def test_only_program_admins_see_the_queue(world: World, role: str) -> None:
    _break_glass(world)
    assert sign_in(Client(), world.staff[role]).get("/api/v1/emergency-reviews").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_another_programs_admin_never_sees_the_queue(world: World) -> None:
    from keel.accounts import services

    _break_glass(world)
    other, _ = services.create_user(
        username="l-admin", role="program_admin", password=PASSWORD, program_slug="lakeside"
    )
    assert sign_in(Client(), other).get("/api/v1/emergency-reviews").json()["reviews"] == []


@time_machine.travel(NOW, tick=False)
def test_the_program_admin_attests_with_a_note(world: World) -> None:
    _break_glass(world)
    review = EmergencyReview.objects.get()
    admin = sign_in(Client(), world.staff["program_admin"])
    body = {"note": "Called the nurse; EMS confirmed the overdose call."}
    response = _post(admin, f"/api/v1/emergency-reviews/{review.pk}/attest", body)
    assert (response.status_code, response.json()["attested_by"]) == (200, world.staff["program_admin"].pk)
    assert (_last_audit().action, _last_audit().target_type) == ("update", "emergency_review")


@time_machine.travel(NOW, tick=False)
def test_an_attested_use_leaves_the_queue(world: World) -> None:
    _break_glass(world)
    review = EmergencyReview.objects.get()
    admin = sign_in(Client(), world.staff["program_admin"])
    page = admin.post(f"/program/emergency-reviews/{review.pk}/attest/", {"note": "Checked with EMS."})
    assert page.status_code == 302
    assert admin.get("/api/v1/emergency-reviews").json()["reviews"] == []


@time_machine.travel(NOW, tick=False)
def test_an_attestation_needs_a_note(world: World) -> None:
    _break_glass(world)
    review = EmergencyReview.objects.get()
    admin = sign_in(Client(), world.staff["program_admin"])
    response = _post(admin, f"/api/v1/emergency-reviews/{review.pk}/attest", {"note": " "})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "note")


@time_machine.travel(NOW, tick=False)
def test_a_use_is_attested_once(world: World) -> None:
    _break_glass(world)
    review = EmergencyReview.objects.get()
    admin = sign_in(Client(), world.staff["program_admin"])
    _post(admin, f"/api/v1/emergency-reviews/{review.pk}/attest", {"note": "Checked with EMS."})
    again = _post(admin, f"/api/v1/emergency-reviews/{review.pk}/attest", {"note": "Checked twice."})
    assert (again.status_code, again.json()["errors"][0]["field"]) == (422, "review")


@time_machine.travel(NOW, tick=False)
def test_the_person_who_broke_the_glass_cannot_attest_it(world: World) -> None:
    nurse = _break_glass(world)
    review = EmergencyReview.objects.get()
    response = _post(nurse, f"/api/v1/emergency-reviews/{review.pk}/attest", {"note": "All fine, it was me."})
    assert (response.status_code, EmergencyReview.objects.get().attested_at) == (404, None)


def test_the_database_refuses_an_attestation_by_the_person_who_used_it(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        _break_glass(world)
    review = EmergencyReview.objects.get()
    review.attested_by, review.attested_at, review.note = world.staff["nurse"], NOW, "It was me."
    with pytest.raises(IntegrityError), transaction.atomic():
        review.save()


@time_machine.travel(NOW, tick=False)
def test_the_person_who_broke_the_glass_cannot_resolve_its_flag(world: World) -> None:
    nurse = _break_glass(world)
    flag = PatientFlag.objects.get(patient=world.bob, kind="emergency_access")
    path = f"/api/v1/patients/{world.bob.pk}/flags/{flag.pk}/resolve"
    response = _post(nurse, path, {"note": "Handled it myself."})
    assert (response.status_code, PatientFlag.objects.get(pk=flag.pk).resolved_at) == (403, None)


@time_machine.travel(NOW, tick=False)
def test_a_refused_flag_resolution_is_audited(world: World) -> None:
    nurse = _break_glass(world)
    flag = PatientFlag.objects.get(patient=world.bob, kind="emergency_access")
    _post(nurse, f"/api/v1/patients/{world.bob.pk}/flags/{flag.pk}/resolve", {"note": "Handled it myself."})
    event = _last_audit()
    assert (event.action, event.reason) == (
        "denied",
        "the person who used emergency access cannot resolve its flag",
    )


@time_machine.travel(NOW, tick=False)
def test_someone_else_on_the_team_resolves_the_flag(world: World) -> None:
    from keel.patients.models import CareTeamMember

    _break_glass(world)
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["counselor"])
    flag = PatientFlag.objects.get(patient=world.bob, kind="emergency_access")
    counselor = sign_in(Client(), world.staff["counselor"])
    path = f"/api/v1/patients/{world.bob.pk}/flags/{flag.pk}/resolve"
    assert _post(counselor, path, {"note": "Spoke with the nurse; it was needed."}).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_an_emergency_disclosure_also_waits_for_review(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {
        "basis": "emergency",
        "categories": ["medication"],
        "recipient_name": "Dr. Example",
        "recipient_role": "physician",
        "recipient_affiliation": "Mercy Hospital emergency department",
        "nature": "Unresponsive after a suspected overdose",
        "password": PASSWORD,
    }
    assert _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body).status_code == 201
    admin = sign_in(Client(), world.staff["program_admin"])
    page = admin.get("/program/emergency-reviews/").content.decode()
    assert "Mercy Hospital emergency department" in page


def test_emergency_uses_from_before_the_queue_are_queued_by_the_migration(world: World) -> None:
    import importlib

    from django.apps import apps

    from keel.patients.models import EmergencyAccess

    with time_machine.travel(NOW, tick=False):
        _break_glass(world)
    EmergencyReview.objects.all().delete()  # as before the queue existed
    grant = EmergencyAccess.objects.get()
    migration = importlib.import_module("keel.sharing.migrations.0005_queue_earlier_emergencies")
    migration.queue_earlier_emergencies(apps, None)
    review = EmergencyReview.objects.get()
    assert (review.kind, review.emergency_access_id, review.used_by_id) == (
        "emergency_access",
        grant.pk,
        world.staff["nurse"].pk,
    )
