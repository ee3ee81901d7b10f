"""Review 17b hole 6: every audit row of a write made through emergency access says so, its own reason kept,
from what the scoped getter already asked (`keel_off_team`): no statement of its own. Review 18b: the mark is
the row's sealed `through_emergency` field, never text appended to the reason (a typed reason could fake it).
The audit page shows the mark in words beside the reason, and its emergency filter finds the marked rows."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from keel.audit import queries as audit_queries
from keel.audit.models import AuditEvent
from keel.audit.services import EMERGENCY_MARK
from keel.patients.models import CareTeamMember
from keel.sharing.services import emergency_access
from keel.treatment import services
from keel.treatment.services.care_plan import dispense_naloxone
from keel.treatment.services.qtc import record_qtc
from keel.web.audit_words import event_row, reason_words
from tests.conftest import PASSWORD, World, sign_in
from tests.treatment.test_dose_context_sql import HISTORIES, NOON
from tests.treatment.test_dosing_row_sql import _grant

pytestmark = pytest.mark.django_db


def _off_team(world: World, role: str = "nurse") -> Any:
    user = world.staff[role]
    CareTeamMember.objects.filter(patient=world.alice, user=user).delete()
    _grant(user, world.alice, "open")
    return user


def _rows(user: Any, since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor_id=user.pk, id__gt=since).order_by("id"))


def _last_id() -> int:
    last = AuditEvent.objects.order_by("-id").first()
    return last.pk if last else 0


def _dose(user: Any, world: World, held: bool) -> None:
    services.record_dose(
        by=user, patient_id=world.alice.pk, amount_mg="30", sedated=held, medication="methadone"
    )


@pytest.mark.parametrize("held", [False, True], ids=["given", "held"])
def test_a_dose_through_emergency_access_is_marked_with_its_reason(world: World, held: bool) -> None:
    HISTORIES["regular"](world)
    nurse = _off_team(world)
    since = _last_id()
    with time_machine.travel(NOON, tick=False):
        _dose(nurse, world, held)
    rows = _rows(nurse, since)
    dose = [r for r in rows if r.target_type == "dose"]
    assert len(dose) == 1 and dose[0].reason == ("hold" if held else "allowed") and dose[0].through_emergency
    if held:  # the flag to a prescriber and the take-home suspension are marked too
        flag = [r for r in rows if r.target_type == "patient_flag"]
        assert flag and flag[0].reason == "dose held: prescriber to assess" and flag[0].through_emergency
    assert rows and all(r.through_emergency for r in rows), [r.reason for r in rows]


@pytest.mark.parametrize("held", [False, True], ids=["given", "held"])
def test_the_mark_costs_no_statement(world: World, held: bool) -> None:
    """An off-team dose runs no more statements than the care team's (the mark comes from `keel_off_team`)."""
    HISTORIES["regular"](world)
    on_team = world.staff["nurse"]
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as team:
        _dose(on_team, world, held)
    off = _off_team(world, "prescriber")
    CareTeamMember.objects.filter(patient=world.alice, user=off).delete()
    from keel.treatment.models import DoseRecord

    DoseRecord.objects.filter(patient=world.alice, local_date=NOON.date()).delete()
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as glass:
        _dose(off, world, held)
    assert len(glass) <= len(team)
    assert not any("patients_emergencyaccess" in q["sql"] for q in glass.captured_queries[1:])


def test_qtc_and_naloxone_through_emergency_access_are_marked(world: World) -> None:
    HISTORIES["regular"](world)
    prescriber = _off_team(world, "prescriber")
    since = _last_id()
    with time_machine.travel(NOON, tick=False):
        qtc = record_qtc(by=prescriber, patient_id=world.alice.pk, qtc_ms=430)
        kit = dispense_naloxone(by=prescriber, patient_id=world.alice.pk, product="nasal_4mg")
    rows = {(r.target_type, r.target_id): r for r in _rows(prescriber, since)}
    assert rows[("qtc", str(qtc.pk))].through_emergency and rows[("qtc", str(qtc.pk))].reason
    assert "emergency" not in rows[("qtc", str(qtc.pk))].reason  # its own reason, nothing appended
    assert rows[("naloxone_kit", str(kit.pk))].reason == "emergency access"
    assert rows[("naloxone_kit", str(kit.pk))].through_emergency


def test_the_care_teams_rows_are_not_marked(world: World) -> None:
    HISTORIES["regular"](world)
    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    since = _last_id()
    with time_machine.travel(NOON, tick=False):
        _dose(nurse, world, True)
        record_qtc(by=prescriber, patient_id=world.alice.pk, qtc_ms=430)
        dispense_naloxone(by=nurse, patient_id=world.alice.pk, product="nasal_4mg")
    rows = _rows(nurse, since) + _rows(prescriber, since)
    assert rows and not any("emergency" in r.reason for r in rows), [r.reason for r in rows]
    assert not any(r.through_emergency for r in rows)


def test_the_mark_keeps_the_reason_and_is_never_doubled(world: World) -> None:
    """The mark is the field: a reason is kept as written (nothing appended, so never doubled, and a long
    reason keeps its 500 characters); a marked row with no reason of its own reads "emergency access"."""
    from keel.audit import services as audit
    from keel.audit.models import Action

    prescriber = _off_team(world, "prescriber")
    for reason, kept in [
        ("", EMERGENCY_MARK),
        ("hold", "hold"),
        ("hold; emergency access", "hold; emergency access"),
        ("emergency access: may not prescribe", "emergency access: may not prescribe"),
        ("x" * 600, "x" * 500),
    ]:
        event = audit.record_for_patient(
            prescriber, world.alice, Action.UPDATE, "patient", reason=reason, through_emergency=True
        )
        assert event.reason == kept and event.through_emergency


def test_the_audit_page_says_the_mark_in_words() -> None:
    marked = AuditEvent(action="update", outcome="success", reason="hold", through_emergency=True)
    typed = AuditEvent(action="update", outcome="success", reason="a typed reason; emergency access")
    with translation.override("es"):
        row = event_row(marked)
        assert row["reason"] == reason_words("hold") and row["emergency"] == "mediante acceso de emergencia"
        assert event_row(typed)["emergency"] == ""  # the words come from the field, never from the text
    assert reason_words("a typed reason; emergency access") == "a typed reason; emergency access"


def test_the_emergency_filter_finds_reads_and_marked_writes(world: World, client: Any) -> None:
    HISTORIES["regular"](world)
    nurse = _off_team(world)
    with time_machine.travel(NOON, tick=False):
        _dose(nurse, world, True)
    admin = world.staff["program_admin"]
    found = audit_queries.list_events(admin, limit=500, emergency=True)
    reasons = {e.reason for e in found if e.through_emergency}
    assert "hold" in reasons
    assert all(e.through_emergency or e.action == "emergency_access" for e in found)
    everything = audit_queries.list_events(admin, limit=500)
    assert {e.pk for e in everything if e.through_emergency} <= {e.pk for e in found}


def test_a_fill_through_emergency_access_is_marked(world: World) -> None:
    from keel.treatment.models import FillSource
    from keel.treatment.services.fills import record_fill
    from tests.treatment.test_dose_context_sql import _order

    HISTORIES["regular"](world)
    nurse = _off_team(world)
    with time_machine.travel(NOON, tick=False):
        fill = record_fill(
            by=nurse,
            patient_id=world.alice.pk,
            order_id=_order(world).pk,
            filled_on=NOON.date().isoformat(),
            days_supply=7,
            source=FillSource.values[0],
        )
    event = AuditEvent.objects.get(target_type="medication_fill", target_id=str(fill.pk))
    assert event.reason == "emergency access" and event.through_emergency


def test_an_emergency_disclosure_through_emergency_access_keeps_its_reason_and_is_marked(
    world: World,
) -> None:
    nurse = world.staff["nurse"]
    CareTeamMember.objects.filter(patient=world.alice, user=nurse).delete()
    emergency_access(by=nurse, record_number="RR-0001", reason="unresponsive in the lobby", password=PASSWORD)
    body = {
        "basis": "emergency",
        "categories": ["medication"],
        "recipient_name": "Dr. Example",
        "recipient_role": "physician",
        "recipient_affiliation": "Mercy Hospital emergency department",
        "nature": "Unresponsive after a suspected overdose",
        "password": PASSWORD,
    }
    client = sign_in(Client(), nurse)
    path = f"/api/v1/patients/{world.alice.pk}/disclosures"
    response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(actor_id=nurse.pk, action="disclose")
    assert event.reason == "medical emergency" and event.through_emergency


def test_an_on_team_row_without_a_reason_asks_no_emergency_statement(world: World) -> None:
    """The scoped getter already asked whether the actor is on the care team (`keel_off_team` False): the
    audit row of an on-team write without a reason runs no emergency-access query of its own."""
    from keel.access import policy
    from keel.audit import services as audit
    from keel.audit.models import Action

    nurse = world.staff["nurse"]
    patient = policy.get_patient_or_404(nurse, world.alice.pk, audit_success=False)
    assert patient.keel_off_team is False
    with CaptureQueriesContext(connection) as captured:
        audit.record_for_patient(nurse, patient, Action.UPDATE, "patient")
    assert not [q for q in captured.captured_queries if "emergencyaccess" in q["sql"]]


def test_an_on_team_row_without_a_reason_is_not_marked(world: World) -> None:
    from keel.access import policy
    from keel.audit import services as audit
    from keel.audit.models import Action

    nurse = world.staff["nurse"]
    patient = policy.get_patient_or_404(nurse, world.alice.pk, audit_success=False)
    event = audit.record_for_patient(nurse, patient, Action.UPDATE, "patient")
    assert event.reason == "" and not event.through_emergency
