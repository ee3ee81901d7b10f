"""Bulk care-team assignment (issue #18): a program admin puts one clinician on several patients' teams at
once; all or nothing; audited per patient; nobody else may, and nothing crosses programs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _bulk(client: Client, patient_ids: Any, user_id: Any) -> Any:
    body = {"patient_ids": patient_ids, "user_id": user_id}
    return client.post("/api/v1/patients/care-teams", json.dumps(body), content_type="application/json")


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _on_team(world: World, user: Any) -> set[int]:
    return set(CareTeamMember.objects.filter(user=user).values_list("patient_id", flat=True))


def test_an_admin_puts_a_nurse_on_two_teams(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    response = _bulk(signed_in("program_admin"), [world.alice.pk, world.bob.pk], nurse.pk)
    assert response.status_code == 200
    assert _on_team(world, nurse) == {world.alice.pk, world.bob.pk}


def test_each_addition_is_audited_once(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    _bulk(signed_in("program_admin"), [world.alice.pk, world.bob.pk], nurse.pk)  # alice: already there
    rows = AuditEvent.objects.filter(target_type="care_team", reason="added", target_id=str(nurse.pk))
    assert list(rows.values_list("patient_id", flat=True)) == [world.bob.pk]


def test_a_patient_of_another_program_refuses_the_whole_request(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    response = _bulk(signed_in("program_admin"), [world.bob.pk, world.charlie.pk], nurse.pk)
    assert _fields(response) == ["patient_ids"]
    assert world.bob.pk not in _on_team(world, nurse)


def test_staff_of_another_program_names_the_field(world: World, signed_in: Any) -> None:
    response = _bulk(signed_in("program_admin"), [world.bob.pk], world.lakeside_nurse.pk)
    assert _fields(response) == ["user_id"]


@pytest.mark.parametrize("ids", [[], "1", None, ["x"]])
def test_a_bad_list_names_the_field(world: World, signed_in: Any, ids: Any) -> None:
    assert _fields(_bulk(signed_in("program_admin"), ids, world.staff["nurse"].pk)) == ["patient_ids"]


def test_a_nurse_cannot_assign(world: World, signed_in: Any) -> None:
    response = _bulk(signed_in("nurse"), [world.alice.pk], world.staff["counselor"].pk)
    assert response.status_code == 403


NOT_ADMINS = ["patient", "counselor", "nurse", "prescriber", "peer_specialist", "auditor"]


@pytest.mark.parametrize("role", NOT_ADMINS)
@pytest.mark.parametrize("ids", ["all", None, [10**18], [1.5]])
def test_a_role_that_may_not_assign_is_refused_before_its_list_is_read(
    world: World, signed_in: Any, role: str, ids: Any
) -> None:
    """Review 14a, hole 11: the role is judged first, so a bad list is a 403 (not a 422 that tells the
    caller the route would have listened)."""
    assert _bulk(signed_in(role), ids, world.staff["nurse"].pk).status_code == 403


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_a_refused_role_leaves_an_audited_denial(world: World, signed_in: Any, role: str) -> None:
    client = signed_in(role)
    # her own account is refused the care team's routes first (session 39, lane ownapi39): "api_route"
    kind = "api_route" if role in ("patient", "self_guided") else "care_team"
    before = AuditEvent.objects.filter(target_type=kind, outcome="denied").count()
    _bulk(client, "all", world.staff["nurse"].pk)
    assert AuditEvent.objects.filter(target_type=kind, outcome="denied").count() == before + 1


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_a_refused_role_adds_no_one(world: World, signed_in: Any, role: str) -> None:
    before = CareTeamMember.objects.count()
    _bulk(signed_in(role), [world.bob.pk], world.staff["peer_specialist"].pk)
    assert CareTeamMember.objects.count() == before


def test_a_deactivated_admin_is_refused_before_its_list_is_read(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    admin = world.user("program_admin")
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    assert _bulk(client, "all", world.staff["nurse"].pk).status_code in (401, 403)


def test_the_page_assigns(world: World, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    response = signed_in("program_admin").post(
        "/program/care-teams/", {"patient_ids": [world.alice.pk, world.bob.pk], "user_id": nurse.pk}
    )
    assert response.status_code == 200
    assert _on_team(world, nurse) == {world.alice.pk, world.bob.pk}


def test_the_page_names_a_missing_staff_member(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post("/program/care-teams/", {"patient_ids": [world.bob.pk]})
    assert response.status_code == 422
    assert list(response.context["errors"]) == ["user_id"]


def test_the_page_lists_only_the_programs_people(world: World, signed_in: Any) -> None:
    body = signed_in("program_admin").get("/program/care-teams/").content.decode()
    assert world.charlie.display_name not in body


def test_the_page_in_spanish(world: World, signed_in: Any) -> None:
    body = signed_in("program_admin").get("/program/care-teams/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Agregar a los equipos de atención" in body
