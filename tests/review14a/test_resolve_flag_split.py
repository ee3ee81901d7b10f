"""Review 14a: resolve_flag after its split into steps: refusals before the note is judged, the note's
checks, a flag of another patient, a prescriber-only flag."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import World, audit_count, sign_in


def _flag(patient: Any, kind: str = "reported_use") -> Any:
    from keel.patients.models import PatientFlag

    return PatientFlag.objects.create(
        patient=patient,
        kind=kind,
        reasons=["x"],
        sources=[],
        source_type="test",
        source_id=1,
        raised_at=timezone.now(),
    )


def _resolve(c: Client, patient: Any, flag: Any, note: Any) -> Any:
    return c.post(
        f"/api/v1/patients/{patient.pk}/flags/{flag.pk}/resolve",
        data=json.dumps({"note": note}),
        content_type="application/json",
    )


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "program_admin", "patient"])
def test_resolve_refused_role_before_note(world: World, role: str) -> None:
    flag = _flag(world.alice)
    audits = audit_count()
    r = _resolve(sign_in(Client(), world.user(role)), world.alice, flag, "   ")
    assert r.status_code in (403, 404), (role, r.status_code, r.content[:200])
    assert audit_count() > audits
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_resolve_other_programs_flag_404(world: World) -> None:
    flag = _flag(world.charlie)
    r = _resolve(sign_in(Client(), world.staff["nurse"]), world.charlie, flag, "called them")
    assert r.status_code == 404
    # another patient's flag id under one's own patient
    r = _resolve(sign_in(Client(), world.staff["nurse"]), world.alice, flag, "called them")
    assert r.status_code == 404
    flag.refresh_from_db()
    assert flag.resolved_at is None


@pytest.mark.parametrize("note", ["", "   ", ["called"], None, "x" * 2001])
def test_resolve_bad_note_422(world: World, note: Any) -> None:
    flag = _flag(world.alice)
    r = _resolve(sign_in(Client(), world.staff["nurse"]), world.alice, flag, note)
    assert r.status_code == 422, (note if not isinstance(note, str) else len(note), r.status_code)
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_resolve_prescriber_only_flag_by_nurse_refused(world: World) -> None:
    flag = _flag(world.alice, "dose_held")
    r = _resolve(sign_in(Client(), world.staff["nurse"]), world.alice, flag, "assessed, fine")
    assert r.status_code in (403, 404)
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_resolve_twice(world: World) -> None:
    flag = _flag(world.alice)
    c = sign_in(Client(), world.staff["nurse"])
    assert _resolve(c, world.alice, flag, "called them").status_code == 200
    r = _resolve(c, world.alice, flag, "again")
    assert r.status_code in (404, 409, 422), r.status_code
