"""The dosing window's swapped row in one hand-written statement (`dosing_row`, issue #13: the htmx answer to
each dose) is the dosing list's row for that person (`dosing_list`, the ORM reads that are its spec): the same
patient (its photo or none), program, order, dose context, take-home plan, open flags and status, over the
dose-context histories (held, blocked, dosed, take-homes, discharged, restarts, readmission), both window
medications, the roles that may open the window and those that may not, a person off the care team with
emergency access open, expired or ended, and people not on the list at all; the list audit row it writes is
the list's; and the row rendered from it is byte for byte the row rendered from the list's. Run on SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools
import re
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from keel.assessments.services import NotAllowed
from keel.audit.models import AuditEvent
from keel.patients.models import (
    CareTeamMember,
    EmergencyAccess,
    Enrollment,
    EnrollmentStatus,
    FlagKind,
    PatientFlag,
    PatientPhoto,
)
from keel.treatment import services
from keel.treatment.models import DoseStatus, MedicationOrder, OrderStatus
from keel.treatment.queries import DosingRow, dosing_list, dosing_row
from tests.conftest import World, sign_in
from tests.treatment.test_dose_context_sql import HISTORIES, NOON, TODAY, _order, _plain, dose, hold, plain

pytestmark = pytest.mark.django_db
MEDICATIONS = ("methadone", "buprenorphine")
_SOURCES = itertools.count(1)


def _row(row: DosingRow | None) -> Any:
    """A row as plain data: every field, the patient's photo flag and program included."""
    if row is None:
        return None
    out = {f.name: _plain(getattr(row, f.name)) for f in fields(row) if f.name != "today"}
    out["today"] = plain(row.today)
    out["has_photo"] = row.patient.has_photo
    out["program"] = _plain(row.patient.program)
    return out


def list_row(user: Any, patient_id: int, medication: str, now: datetime | None = None) -> Any:
    """The spec: the person's row of the whole list (set-based ORM reads)."""
    for row in dosing_list(user, medication=medication, now=now):
        if row.patient.pk == patient_id:
            return row
    return None


def _audit_of(call: Any) -> tuple[Any, Any]:
    """What `call` returns and the list audit row(s) it wrote, as plain values."""
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    value = call()
    written = [
        (
            e.actor_id,
            e.action,
            e.outcome,
            e.target_type,
            e.target_id,
            e.reason,
            e.detail,
            e.program_id,
            e.patient_id,
            e.chain,
        )
        for e in AuditEvent.objects.filter(id__gt=before).order_by("id")
    ]
    return value, written


def _photo(world: World, patient: Any) -> None:
    PatientPhoto.objects.create(
        patient=patient,
        data=b"\xff\xd8\xff",
        content_type="image/jpeg",
        sha256="0" * 64,
        width=1,
        height=1,
        uploaded_at=NOON,
    )


def _flag(world: World, patient: Any, resolved: bool = False) -> None:
    PatientFlag.objects.create(
        patient=patient,
        kind=FlagKind.DOSE_HELD,
        source_type="note",
        source_id=next(_SOURCES),
        raised_at=NOON - timedelta(hours=5),
        resolved_at=NOON - timedelta(hours=4) if resolved else None,
        resolved_by=world.staff["prescriber"] if resolved else None,
        resolution_note="assessed" if resolved else "",
    )


def _assert_same(user: Any, patient_id: int, medication: str, why: Any) -> Any:
    with time_machine.travel(NOON, tick=False):
        expected = _row(list_row(user, patient_id, medication))
        narrowed, orm_audit = _audit_of(
            lambda: next(
                (
                    r
                    for r in dosing_list(user, medication=medication, patient_id=patient_id)
                    if r.patient.pk == patient_id
                ),
                None,
            )
        )
        got, sql_audit = _audit_of(lambda: dosing_row(user, patient_id=patient_id, medication=medication))
    assert _row(got) == expected == _row(narrowed), why
    assert sql_audit == orm_audit, why
    assert len(sql_audit) == 1, why
    return got


@pytest.mark.parametrize("history", list(HISTORIES))
def test_the_swapped_row_in_sql_is_the_lists_row(world: World, history: str) -> None:
    HISTORIES[history](world)
    _order(world, "methadone"), _order(world, "buprenorphine")
    for medication in MEDICATIONS:
        for role in ("nurse", "prescriber"):
            _assert_same(world.staff[role], world.alice.pk, medication, (history, medication, role))


@pytest.mark.parametrize("photo", [False, True])
@pytest.mark.parametrize("flags", [0, 2])
def test_the_photo_and_the_open_flags_are_the_lists(world: World, photo: bool, flags: int) -> None:
    HISTORIES["regular"](world)
    if photo:
        _photo(world, world.alice)
    _photo(world, world.bob)  # someone else's photo and flags count for nothing here
    _flag(world, world.bob)
    for _ in range(flags):
        _flag(world, world.alice)
    _flag(world, world.alice, resolved=True)
    got = _assert_same(world.staff["nurse"], world.alice.pk, "methadone", (photo, flags))
    assert got.patient.has_photo is photo
    assert got.open_flags == flags


def test_held_given_take_home_and_due_rows_are_the_lists(world: World) -> None:
    """Each status the row can show, read both ways."""
    nurse = world.staff["nurse"]
    HISTORIES["take-homes"](world)  # today is a take-home day
    assert _assert_same(nurse, world.alice.pk, "methadone", "take-home").status == "take_home"
    hold(world, dose(world, 0, status=DoseStatus.HELD, amount_mg=Decimal(0)), released=False)
    assert _assert_same(nurse, world.alice.pk, "methadone", "held").status == "held"
    _order(world, "buprenorphine")
    # the methadone hold stands for buprenorphine too (the dose reads it: lane fix33h, review 33e hole 6)
    assert _assert_same(nurse, world.alice.pk, "buprenorphine", "held too").status == "held"
    PatientFlag.objects.filter(patient=world.alice, kind=FlagKind.DOSE_HELD).update(
        resolved_at=NOON, resolved_by=world.staff["prescriber"], resolution_note="assessed"
    )  # released
    assert _assert_same(nurse, world.alice.pk, "buprenorphine", "due").status == "due"
    dose(world, 0, medication="buprenorphine")
    assert _assert_same(nurse, world.alice.pk, "buprenorphine", "given").status == "given"


def _grant(user: Any, patient: Any, state: str) -> None:
    now = NOON
    EmergencyAccess.objects.create(
        patient=patient,
        user=user,
        reason="emergency",
        started_at=now - timedelta(hours=2),
        expires_at=now - timedelta(hours=1) if state == "expired" else now + timedelta(hours=1),
        ended_at=now - timedelta(minutes=5) if state == "ended" else None,
    )


@pytest.mark.parametrize("emergency", ["none", "open", "expired", "ended"])
def test_scope_emergency_access_and_people_not_on_the_list(world: World, emergency: str) -> None:
    """Off the care team (bob: the row only with emergency access open, the audit row says so), another
    program's person (charlie), no order, a stopped order, a discharge, ids that match nothing."""
    nurse = world.staff["nurse"]
    for patient in (world.alice, world.bob, world.charlie):
        for medication in MEDICATIONS:
            MedicationOrder.objects.create(
                patient=patient,
                medication=medication,
                rxnorm="6813" if medication == "methadone" else "1819",
                dose_mg=Decimal(30),
                starts_on=date(2026, 1, 5),
                prescriber=world.staff["prescriber"],
                created_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
    if emergency != "none":
        _grant(nurse, world.bob, emergency)
        _grant(nurse, world.charlie, emergency)
    ids = [world.alice.pk, world.bob.pk, world.charlie.pk, max(world.charlie.pk, world.bob.pk) + 100, 0]
    for pk in ids:
        for medication in MEDICATIONS:
            _assert_same(nurse, pk, medication, (emergency, pk, medication))
    bob = _assert_same(nurse, world.bob.pk, "methadone", emergency)
    assert (bob is not None) is (emergency == "open")
    MedicationOrder.objects.filter(patient=world.alice, medication="buprenorphine").update(
        status=OrderStatus.STOPPED
    )
    assert _assert_same(nurse, world.alice.pk, "buprenorphine", "stopped") is None
    Enrollment.objects.filter(patient=world.alice).update(
        status=EnrollmentStatus.ENDED, ended_on=TODAY, end_reason="left"
    )
    assert _assert_same(nurse, world.alice.pk, "methadone", "discharged") is None


def test_a_role_off_the_window_is_refused_both_ways(world: World) -> None:
    HISTORIES["regular"](world)
    for role in ("counselor", "peer_specialist", "program_admin", "auditor"):
        if role not in world.staff:
            continue
        with pytest.raises(NotAllowed):
            dosing_list(world.staff[role], medication="methadone", patient_id=world.alice.pk)
        with pytest.raises(NotAllowed):
            dosing_row(world.staff[role], patient_id=world.alice.pk, medication="methadone")
    nurse = world.staff["nurse"]
    nurse.is_active = False
    with pytest.raises(NotAllowed):
        dosing_row(nurse, patient_id=world.alice.pk, medication="methadone")


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', html)


@pytest.mark.parametrize("history", ["regular", "take-homes", "holds open", "restart"])
@pytest.mark.parametrize("photo", [False, True])
def test_the_row_rendered_from_sql_is_the_row_rendered_from_the_list(
    world: World, history: str, photo: bool
) -> None:
    """The rendered fragment, byte for byte (the CSRF token aside: it is masked afresh on every render)."""
    HISTORIES[history](world)
    if photo:
        _photo(world, world.alice)
    _flag(world, world.alice)
    nurse = world.staff["nurse"]
    result = {"kind": "given", "text": "30 mg given to Alicia.", "patient": world.alice.pk, "medication": "x"}
    with time_machine.travel(NOON, tick=False):
        for medication in MEDICATIONS:
            _order(world, medication)
            new = dosing_row(nurse, patient_id=world.alice.pk, medication=medication)
            old = list_row(nurse, world.alice.pk, medication)
            for extra in ({"result": result, "focus": True}, {}):
                assert render_to_string(
                    "treatment/_dosing_row.html", {"r": new, **extra}
                ) == render_to_string("treatment/_dosing_row.html", {"r": old, **extra}), (
                    history,
                    medication,
                )


def test_the_htmx_answer_to_a_dose_is_the_row_the_list_renders(world: World) -> None:
    """Through the page: the swapped row after a dose is the list's row for the state after it, rendered with
    the same verdict."""
    HISTORIES["regular"](world)
    _photo(world, world.alice)
    nurse = world.staff["nurse"]
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), nurse)
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "30", "sequence": "1", "medication": "methadone"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        row = list_row(nurse, world.alice.pk, "methadone")
        result = {
            "kind": "given",
            "text": f"30 mg given to {world.alice.display_name}.",
            "patient": world.alice.pk,
            "medication": "methadone",
        }
        expected = render_to_string(
            "treatment/_dosing_row.html",
            {"r": row, "result": result, "focus": True},
            request=response.wsgi_request,
        )
    assert row.status == "given"
    assert _without_csrf(response.content.decode()) == _without_csrf(expected)


def test_the_swapped_row_runs_three_statements_and_the_audit(
    world: World, django_assert_num_queries: Any
) -> None:
    """One statement for the row, two for the dose context, the list audit row (its chain head, insert)."""
    HISTORIES["regular"](world)
    nurse = world.staff["nurse"]
    with time_machine.travel(NOON, tick=False):
        dosing_row(nurse, patient_id=world.alice.pk, medication="methadone")  # the chain head exists
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert dosing_row(nurse, patient_id=world.alice.pk, medication="methadone") is not None
    reads = [q for q in captured.captured_queries if "audit" not in q["sql"]]
    assert len(reads) == 3, [q["sql"][:80] for q in captured.captured_queries]


def test_an_off_team_row_is_audited_as_emergency_access(world: World) -> None:
    nurse = world.staff["nurse"]
    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )
    CareTeamMember.objects.filter(patient=world.alice, user=nurse).delete()
    _grant(nurse, world.alice, "open")
    with time_machine.travel(NOON, tick=False):
        row, audit = _audit_of(lambda: dosing_row(nurse, patient_id=world.alice.pk, medication="methadone"))
    assert row is not None
    assert audit[0][5] == "emergency access"
    assert audit[0][6]["emergency_patient_ids"] == [world.alice.pk]
    assert timezone.now()  # the clock is real again
