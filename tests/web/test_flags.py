"""Flags: the care team sees them, clinical staff resolve them with a note (audited), once."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import PatientFlag
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(world: World) -> PatientFlag:
    return PatientFlag.objects.create(
        patient=world.alice,
        kind="suicide_risk",
        priority=0,
        reasons=["PHQ-9 question 9 above 0"],
        source_type="assessment",
        source_id=1,
        raised_at=timezone.now(),
    )


def _resolve(client: Client, world: World, flag: PatientFlag, note: str) -> object:
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/flags/{flag.pk}/resolve",
        json.dumps({"note": note}),
        content_type="application/json",
    )


def test_a_counselor_resolves_a_flag_with_a_note_on_the_page(world: World, flag: PatientFlag) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    page = client.get(f"/patients/{world.alice.pk}/").content.decode()
    assert "What was done" in page
    response = client.post(
        f"/patients/{world.alice.pk}/flags/{flag.pk}/resolve/",
        {"note": "Called; safety plan made", "version": flag.version},
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.resolved_at
    assert flag.resolved_by == world.staff["counselor"]
    assert "safety plan" in flag.resolution_note
    assert (
        AuditEvent.objects.filter(
            target_type="patient_flag", target_id=str(flag.pk), reason="resolved"
        ).count()
        == 1
    )
    after = client.get(f"/patients/{world.alice.pk}/").content.decode()
    assert "The flag is resolved." in after
    assert "PHQ-9 question 9 above 0" not in after


def test_a_note_is_required_and_a_flag_resolves_only_once(world: World, flag: PatientFlag) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    empty = _resolve(client, world, flag, "  ")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "note"  # type: ignore[attr-defined]
    assert _resolve(client, world, flag, "Checked in with her").status_code == 200  # type: ignore[attr-defined]
    again = _resolve(client, world, flag, "again")
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_peers_patients_and_outsiders_cannot_resolve(world: World, flag: PatientFlag) -> None:
    assert _resolve(sign_in(Client(), world.staff["peer_specialist"]), world, flag, "x").status_code == 404  # type: ignore[attr-defined]
    assert _resolve(sign_in(Client(), world.alice.user), world, flag, "x").status_code == 403  # type: ignore[attr-defined]
    assert _resolve(sign_in(Client(), world.lakeside_nurse), world, flag, "x").status_code == 404  # type: ignore[attr-defined]
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_the_flag_list_puts_open_flags_first(world: World, flag: PatientFlag) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    _resolve(client, world, flag, "done")
    PatientFlag.objects.create(
        patient=world.alice,
        kind="suicide_risk",
        priority=0,
        reasons=["new"],
        source_type="assessment",
        source_id=2,
        raised_at=timezone.now(),
    )
    data = client.get(f"/api/v1/patients/{world.alice.pk}/flags").json()
    assert [f["resolved_at"] is None for f in data] == [True, False]


# --- A flag that needs a prescriber is resolved only by one (issue #15) ---------------------------------


@pytest.fixture
def held(world: World) -> PatientFlag:
    return PatientFlag.objects.create(
        patient=world.alice,
        kind="dose_held",
        priority=0,
        reasons=["Dose held: sedated at the window"],
        source_type="dose",
        source_id=1,
        raised_at=timezone.now(),
    )


@pytest.mark.parametrize("role", ["nurse", "counselor"])
def test_a_dose_held_flag_is_not_resolved_by_another_role_on_the_api(
    world: World, held: PatientFlag, role: str
) -> None:
    response = _resolve(sign_in(Client(), world.staff[role]), world, held, "Seen, looks fine")
    assert response.status_code == 403  # type: ignore[attr-defined]
    held.refresh_from_db()
    assert held.resolved_at is None
    assert AuditEvent.objects.filter(
        target_type="patient_flag", target_id=str(held.pk), reason="only a prescriber resolves this flag"
    ).exists()


def test_a_dose_held_flag_is_not_resolved_by_a_nurse_on_the_page(world: World, held: PatientFlag) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    page = client.get(f"/patients/{world.alice.pk}/").content.decode()
    assert "Only a prescriber resolves this flag." in page
    response = client.post(f"/patients/{world.alice.pk}/flags/{held.pk}/resolve/", {"note": "fine"})
    assert response.status_code == 302
    assert "only a prescriber resolves this flag" in client.get(response["Location"]).content.decode()
    held.refresh_from_db()
    assert held.resolved_at is None


def test_a_prescriber_resolves_a_dose_held_flag(world: World, held: PatientFlag) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    assert "What was done" in client.get(f"/patients/{world.alice.pk}/").content.decode()
    assert _resolve(client, world, held, "Assessed; dose resumed at 60 mg").status_code == 200  # type: ignore[attr-defined]
    held.refresh_from_db()
    assert held.resolved_by == world.staff["prescriber"]
