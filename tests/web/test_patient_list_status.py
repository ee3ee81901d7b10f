"""The patient list shows who is in care now, who was discharged, or everyone (issue #18): `?status=current|
discharged|all`, default current; a status not in the list is a form error (page) or a 422 naming `status`
(API), never a 500; the pages keep the status; the list's audit row names only the people shown."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember, Enrollment, EnrollmentStatus
from tests.conftest import World, _make_patient, sign_in

pytestmark = pytest.mark.django_db


def _discharge(patient: Any) -> None:
    Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.ENDED, ended_on=date(2026, 2, 1), end_reason="left"
    )


@pytest.fixture
def discharged(world: World) -> World:
    """Bob was discharged; Alicia is in care; both on the riverside clinicians' teams."""
    for role in ("nurse", "counselor", "peer_specialist"):
        CareTeamMember.objects.get_or_create(patient=world.bob, user=world.staff[role])
    _discharge(world.bob)
    return world


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/patients/\d+/">([^<]+)</a>', html)


def _page(world: World, query: str = "", role: str = "nurse") -> Any:
    return sign_in(Client(), world.staff[role]).get(f"/patients/{query}")


def test_the_list_shows_who_is_in_care_by_default(discharged: World) -> None:
    assert _names(_page(discharged).content.decode()) == ["Alicia Zamorano"]


def test_current_shows_who_is_in_care(discharged: World) -> None:
    assert _names(_page(discharged, "?status=current").content.decode()) == ["Alicia Zamorano"]


def test_discharged_shows_who_left_care(discharged: World) -> None:
    assert _names(_page(discharged, "?status=discharged").content.decode()) == ["Roberto Quintanilla"]


def test_all_shows_everyone(discharged: World) -> None:
    names = _names(_page(discharged, "?status=all").content.decode())
    assert sorted(names) == ["Alicia Zamorano", "Roberto Quintanilla"]


@pytest.mark.parametrize("bad", ["gone", "CURRENT", "current ", "1", "<script>"])
def test_a_status_not_in_the_list_is_a_form_error(discharged: World, bad: str) -> None:
    response = _page(discharged, f"?status={bad}")
    assert response.status_code == 422
    assert "choose current, discharged or all" in response.content.decode()


def test_a_bad_status_lists_nobody(discharged: World) -> None:
    assert _names(_page(discharged, "?status=gone").content.decode()) == []


def test_the_filter_is_offered_in_spanish(discharged: World) -> None:
    client = sign_in(Client(), discharged.staff["nurse"])
    client.cookies["django_language"] = "es"
    html = client.get("/patients/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Dados de alta" in html


def test_a_bad_status_is_named_in_spanish(discharged: World) -> None:
    client = sign_in(Client(), discharged.staff["nurse"])
    client.cookies["django_language"] = "es"
    html = client.get("/patients/?status=gone", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "elija actuales, dados de alta o todos" in html


def test_the_list_audit_row_names_only_the_people_shown(discharged: World) -> None:
    _page(discharged, "?status=discharged")
    row = AuditEvent.objects.filter(target_type="patient_list").latest("id")
    assert discharged.alice.pk not in row.detail["patient_ids"]


def test_the_pages_keep_the_status(world: World) -> None:
    nurse = world.staff["nurse"]
    for i in range(55):
        p = _make_patient(world.riverside, f"RR-8{i:03d}", "Gone", f"Person{i:03d}", f"gone{i}")
        CareTeamMember.objects.create(patient=p, user=nurse)
        _discharge(p)
    html = sign_in(Client(), nurse).get("/patients/?status=discharged&page=2").content.decode()
    assert 'href="?status=discharged&amp;page=1"' in html


def test_the_second_page_of_discharged_people_lists_the_rest(world: World) -> None:
    nurse = world.staff["nurse"]
    for i in range(55):
        p = _make_patient(world.riverside, f"RR-8{i:03d}", "Gone", f"Person{i:03d}", f"gone{i}")
        CareTeamMember.objects.create(patient=p, user=nurse)
        _discharge(p)
    html = sign_in(Client(), nurse).get("/patients/?status=discharged&page=2").content.decode()
    assert len(_names(html)) == 5


# --- Roles that never see episodes of care -------------------------------------------------------------


def test_a_peer_specialist_sees_everyone_on_their_teams(discharged: World) -> None:
    names = _names(_page(discharged, role="peer_specialist").content.decode())
    assert "Roberto Quintanilla" in names


def test_a_peer_specialist_is_not_offered_the_filter(discharged: World) -> None:
    assert 'name="status"' not in _page(discharged, role="peer_specialist").content.decode()


@pytest.mark.parametrize("status", ["current", "discharged"])
def test_a_peer_specialist_may_not_filter_by_who_is_in_care(discharged: World, status: str) -> None:
    assert _page(discharged, f"?status={status}", role="peer_specialist").status_code == 422


# --- The API ---------------------------------------------------------------------------------------------


def _api(world: World, query: str = "", role: str = "nurse") -> Any:
    return sign_in(Client(), world.staff[role]).get(f"/api/v1/caseload{query}")


def test_the_api_lists_who_is_in_care_by_default(discharged: World) -> None:
    assert [r["display_name"] for r in _api(discharged).json()] == ["Alicia Zamorano"]


def test_the_api_lists_the_discharged(discharged: World) -> None:
    rows = _api(discharged, "?status=discharged").json()
    assert [r["display_name"] for r in rows] == ["Roberto Quintanilla"]


def test_the_api_lists_everyone(discharged: World) -> None:
    assert len(_api(discharged, "?status=all").json()) == 2


def test_the_api_names_a_bad_status(discharged: World) -> None:
    response = _api(discharged, "?status=gone")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["status"])


def test_the_api_refuses_a_peer_asking_who_is_in_care(discharged: World) -> None:
    response = _api(discharged, "?status=current", role="peer_specialist")
    assert json.loads(response.content)["errors"][0]["field"] == "status"
