"""Fix 20c, holes 7 and 8: a peer specialist sees no episode of care on the timeline (page and API); a nurse
under emergency access reads no thought record (API, the recovery page) and the refusal is in fixed words."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.accounts.models import Role, User
from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember, EndReason, Enrollment, EnrollmentStatus
from keel.sharing.services.emergency import emergency_access
from keel.web.audit_words import EMERGENCY_MAY_NOT, reason_words
from tests.conftest import sign_in
from tests.review20b.conftest import PASSWORD, World

THOUGHT = {
    "situation": "Friday night, alone",
    "automatic_thought": "Quintanilla will leave me",
    "feeling": "anxious",
    "intensity_before": 80,
    "balanced_thought": "I got through last Friday",
    "intensity_after": 40,
}


@pytest.fixture
def peer(world: World) -> User:
    user, _ = accounts.create_user(
        username="north.peer", role=Role.PEER_SPECIALIST, password=PASSWORD, program_slug=world.program.slug
    )
    CareTeamMember.objects.create(patient=world.patient, user=user)
    today = timezone.localdate()
    Enrollment.objects.create(
        patient=world.patient,
        program=world.program,
        started_on=today - timedelta(days=60),
        ended_on=today - timedelta(days=5),
        status=EnrollmentStatus.ENDED,
        end_reason=EndReason.ADMINISTRATIVE,
    )
    return user


def test_the_timeline_api_shows_a_peer_no_episode(world: World, peer: User) -> None:
    response = sign_in(Client(), peer).get(f"/api/v1/patients/{world.patient.pk}/timeline")
    assert [e for e in response.json()["events"] if e["kind"] == "enrollment"] == []


def test_the_timeline_page_shows_a_peer_no_discharge(world: World, peer: User) -> None:
    response = sign_in(Client(), peer).get(f"/patients/{world.patient.pk}/timeline/")
    assert b"Administrative discharge" not in response.content


def test_the_care_team_nurse_still_sees_care_ended(world: World, peer: User) -> None:
    response = sign_in(Client(), world.nurse).get(f"/api/v1/patients/{world.patient.pk}/timeline")
    assert "Care ended" in [e["title"] for e in response.json()["events"]]


@pytest.fixture
def glass(world: World) -> World:
    created = sign_in(Client(), world.patient_user).post(
        "/api/v1/me/thought-records", json.dumps(THOUGHT), content_type="application/json"
    )
    assert created.status_code == 201
    emergency_access(
        by=world.other_nurse,
        record_number=world.patient.record_number,
        reason="found unresponsive in the lobby, naloxone given",
        password=PASSWORD,
    )
    return world


def test_the_thought_records_api_refuses_a_grant_403(glass: World) -> None:
    response = sign_in(Client(), glass.other_nurse).get(
        f"/api/v1/patients/{glass.patient.pk}/thought-records"
    )
    assert response.status_code == 403


def test_the_refusal_is_audited_in_fixed_words(glass: World) -> None:
    sign_in(Client(), glass.other_nurse).get(f"/api/v1/patients/{glass.patient.pk}/thought-records")
    row = AuditEvent.objects.filter(action="denied", target_type="thought_records").latest("id")
    assert row.reason == "emergency access: may not read thought records"


def test_the_refusals_words_are_on_the_audit_page() -> None:
    assert "read thought records" in EMERGENCY_MAY_NOT


def test_the_refusal_reads_in_spanish_words() -> None:
    from django.utils import translation

    with translation.override("es"):
        said = reason_words("emergency access: may not read thought records")
    assert "leer los registros de pensamientos" in said


def test_the_recovery_page_under_a_grant_shows_no_thought(glass: World) -> None:
    response = sign_in(Client(), glass.other_nurse).get(f"/patients/{glass.patient.pk}/recovery/")
    assert b"Quintanilla" not in response.content


def test_the_recovery_page_under_a_grant_still_opens(glass: World) -> None:
    response = sign_in(Client(), glass.other_nurse).get(f"/patients/{glass.patient.pk}/recovery/")
    assert response.status_code == 200


def test_the_care_team_nurse_still_reads_thought_records(glass: World) -> None:
    response = sign_in(Client(), glass.nurse).get(f"/api/v1/patients/{glass.patient.pk}/thought-records")
    assert response.status_code == 200


def test_the_care_team_nurse_still_sees_them_on_the_recovery_page(glass: World) -> None:
    response = sign_in(Client(), glass.nurse).get(f"/patients/{glass.patient.pk}/recovery/")
    assert b"Quintanilla" in response.content
