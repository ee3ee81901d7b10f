"""No path moves a person in care to another program (session 18, lane care18b; keel.patients.care_gap).

Had one, her old program's staff would stop counting the moment she moved ("staff who left her program do not
count") and her team could be left with no one who can act. Keel has none: a person's record belongs to the
program that holds it (42 CFR Part 2); a transfer ends her episode there and discloses the record to the
receiving program under her consent (`patients.services.episodes.discharge`), which registers her itself;
a readmission opens an episode at the same program. These tests hold it so: the code writes no program onto
an existing row; the API, the page and the CLI refuse or ignore a program on readmission and on contact
details; a person a transfer took out of care may lose anyone from her team; a readmitted person whose team
already had the gap is not made to close it first."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from keel.patients.models import CareTeamMember, Enrollment, Patient
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "keel"
NOW = "2026-03-10T16:00:00+00:00"  # 11:00 in New York, the programs' zone
CONFIRMED = {"notice_given": True, "consented": True}


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _discharged(client: Client, patient: Patient) -> None:
    r = _post(
        client, f"/api/v1/patients/{patient.pk}/discharge", {"reason": "left", "ended_on": "2026-03-01"}
    )
    assert r.status_code == 200, r.content


def _programs(patient: Patient) -> set[str]:
    return {Patient.objects.get(pk=patient.pk).program.slug} | set(
        Enrollment.objects.filter(patient=patient).values_list("program__slug", flat=True)
    )


def _writes_a_program(source: str, label: str) -> list[str]:
    """`x.program = ...`, `x.program_id = ...`, `.update(program=...)`, `update_fields=[..."program"...]`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in {"program", "program_id"}:
                found.append(f"{label}:{node.lineno}")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in {"update", "bulk_update", "save"}:
            names = {k.arg for k in node.keywords}
            listed = [
                e.value
                for k in node.keywords
                if k.arg == "update_fields" and isinstance(k.value, ast.List | ast.Tuple)
                for e in k.value.elts
                if isinstance(e, ast.Constant)
            ]
            positional = [
                e.value for a in node.args for e in getattr(a, "elts", []) if isinstance(e, ast.Constant)
            ]
            if names & {"program", "program_id"} or {"program", "program_id"} & {*listed, *positional}:
                found.append(f"{label}:{node.lineno}")
    return found


def test_no_code_writes_a_program_onto_an_existing_row() -> None:
    """A move of a person (or her episode) to another program would have to ask `care_gap` about her new
    program's team under her lock: none exists. One added later fails here first."""
    writes = [
        w
        for p in sorted(SRC.rglob("*.py"))
        if "migrations" not in p.parts
        for w in _writes_a_program(p.read_text(), str(p.relative_to(SRC)))
    ]
    assert writes == []


@pytest.mark.parametrize(
    "move",
    [
        "patient.program = lakeside\n",
        "patient.program_id = 2\n",
        "Patient.objects.filter(pk=1).update(program=lakeside)\n",
        "Enrollment.objects.filter(pk=1).update(program_id=2)\n",
        'patient.save(update_fields=["program"])\n',
    ],
)
def test_the_source_check_finds_a_move(move: str) -> None:
    assert _writes_a_program(move, "move") == ["move:1"]


def test_the_api_refuses_a_readmission_naming_another_program(world: World, signed_in: Any) -> None:
    admin = signed_in("program_admin")
    _discharged(admin, world.bob)
    r = _post(admin, f"/api/v1/patients/{world.bob.pk}/readmit", {**CONFIRMED, "program": "lakeside"})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["program"]
    assert _programs(world.bob) == {"riverside"}


def test_the_page_readmits_at_the_same_program_whatever_is_posted(world: World, signed_in: Any) -> None:
    admin = signed_in("program_admin")
    _discharged(admin, world.bob)
    form = {"started_on": "2026-03-10", "confirmed": "on", "notice_given": "on", "consented": "on"}
    form["program"] = "lakeside"
    assert admin.post(f"/patients/{world.bob.pk}/readmit/", form).status_code == 302
    assert _programs(world.bob) == {"riverside"}


def test_the_cli_has_no_program_to_readmit_into(world: World, signed_in: Any) -> None:
    _discharged(signed_in("program_admin"), world.bob)
    with pytest.raises(CommandError):
        call_command(
            "episode",
            "readmit",
            "--by",
            "r-program_admin",
            "--patient-id",
            str(world.bob.pk),
            "--notice-given",
            "--consented",
            "--program",
            "lakeside",
        )
    assert _programs(world.bob) == {"riverside"}


def test_the_contact_details_refuse_a_program(world: World, signed_in: Any) -> None:
    r = signed_in("program_admin").patch(
        f"/api/v1/patients/{world.alice.pk}/contact",
        json.dumps({"program": "lakeside"}),
        content_type="application/json",
    )
    assert r.status_code == 422
    assert _programs(world.alice) == {"riverside"}


def test_after_a_transfer_out_her_team_may_lose_anyone(world: World, signed_in: Any) -> None:
    """A transfer to Lakeside ends her care at Riverside: no gap to open, her last prescriber may go."""
    consent = _post(
        sign_in(Client(), world.alice.user),
        "/api/v1/me/consents",
        {
            "recipient_name": "Lakeside Health Center",
            "purpose": "treatment",
            "categories": ["record"],
            "expires_on": "2027-05-31",
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )
    assert consent.status_code == 201, consent.content
    transfer = {
        "reason": "transferred",
        "recipient_name": "Lakeside Health Center",
        "consent": consent.json()["id"],
        "password": PASSWORD,
    }
    assert (
        _post(signed_in("nurse"), f"/api/v1/patients/{world.alice.pk}/discharge", transfer).status_code == 200
    )
    admin = signed_in("program_admin")
    for role in ("counselor", "nurse", "prescriber"):
        r = admin.delete(f"/api/v1/patients/{world.alice.pk}/care-team/{world.staff[role].pk}")
        assert r.status_code == 204, (role, r.content)
    assert _programs(world.alice) == {"riverside"}


def test_a_readmission_is_not_made_to_close_a_gap_her_team_already_had(world: World, signed_in: Any) -> None:
    """Bob's team has no clinician: he is readmitted all the same (a team that already had the gap is not made
    to close it first); the care team page is where it is closed."""
    admin = signed_in("program_admin")
    _discharged(admin, world.bob)
    assert not CareTeamMember.objects.filter(patient=world.bob).exists()
    assert _post(admin, f"/api/v1/patients/{world.bob.pk}/readmit", CONFIRMED).status_code in (200, 201)
