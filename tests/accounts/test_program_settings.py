"""Program settings (issue #18): time zone, dosing-window hours, closure days and the contact details patients
see; the program's admins only; every bad field named; audited."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts.models import Program
from keel.audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db
GOOD = {
    "time_zone": "America/Chicago",
    "dosing_opens": "06:30",
    "dosing_closes": "13:00",
    "closure_days": ["2026-12-25", "2026-11-26"],
    "contact_phone": "555-0100",
    "contact_address": "12 River St, Springfield",
}


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel("2026-03-10T16:00:00+00:00", tick=False):
        yield


def _put(client: Client, body: dict[str, Any], slug: str = "riverside") -> Any:
    return client.put(f"/api/v1/programs/{slug}/settings", json.dumps(body), content_type="application/json")


def test_an_admin_changes_the_settings(world: World, signed_in: Any) -> None:
    response = _put(signed_in("program_admin"), GOOD)
    assert response.status_code == 200
    program = Program.objects.get(slug="riverside")
    assert (program.time_zone, program.dosing_opens, program.dosing_closes) == (
        "America/Chicago",
        time(6, 30),
        time(13, 0),
    )
    assert program.closure_days == ["2026-11-26", "2026-12-25"]
    assert (program.contact_phone, program.contact_address) == ("555-0100", "12 River St, Springfield")


def test_the_change_is_audited_with_the_fields_changed(world: World, signed_in: Any) -> None:
    _put(signed_in("program_admin"), {**GOOD, "dosing_opens": "", "dosing_closes": "", "contact_phone": ""})
    row = AuditEvent.objects.get(target_type="program_settings")
    assert row.detail == {"changed": ["time_zone", "closure_days", "contact_address"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"dosing_opens": "6am"}, "dosing_opens"),
        ({"dosing_closes": "05:00"}, "dosing_closes"),
        ({"dosing_closes": ""}, "dosing_closes"),
        ({"closure_days": ["2026-02-30"]}, "closure_days"),
        ({"closure_days": ["2031-01-01"]}, "closure_days"),
        ({"closure_days": "not a list"}, "closure_days"),
        ({"contact_phone": "5" * 41}, "contact_phone"),
    ],
)
def test_bad_input_names_the_field(world: World, signed_in: Any, change: dict[str, Any], field: str) -> None:
    response = _put(signed_in("program_admin"), {**GOOD, **change})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert Program.objects.get(slug="riverside").time_zone == "America/New_York"


@pytest.mark.parametrize("role", ["nurse", "prescriber", "auditor", "patient"])
def test_only_admins_change_settings(world: World, signed_in: Any, role: str) -> None:
    assert _put(signed_in(role), GOOD).status_code == 403


def test_an_admin_cannot_change_another_program(world: World, signed_in: Any) -> None:
    assert _put(signed_in("program_admin"), GOOD, slug="lakeside").status_code == 403
    assert Program.objects.get(slug="lakeside").time_zone == "America/New_York"


def test_the_page_saves_closure_days_one_per_line(world: World, signed_in: Any) -> None:
    form = {**GOOD, "closure_days": "2026-12-25\n2026-11-26\n"}
    response = signed_in("program_admin").post("/program/settings/", form)
    assert response.status_code == 200
    assert Program.objects.get(slug="riverside").closure_days == ["2026-11-26", "2026-12-25"]


def test_the_page_names_a_bad_field(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post("/program/settings/", {**GOOD, "closure_days": "Christmas"})
    assert response.status_code == 422
    assert response.context["errors"] == {"closure_days": "give each date as YYYY-MM-DD"}


def test_the_page_in_spanish(world: World, signed_in: Any) -> None:
    body = signed_in("program_admin").get("/program/settings/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "La ventanilla de dosis abre" in body
