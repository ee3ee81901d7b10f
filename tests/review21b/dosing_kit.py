"""Helpers for review 21b's dosing-row attacks: post a dose the way the page's htmx form does, cut the row
out of the answer and out of a fresh GET of the dosing page, and compare them (the verdict, the focus and the
CSRF token aside: the swapped row carries them, the fresh list does not)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.conftest import World, sign_in

NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York, a Wednesday
TODAY = date(2026, 11, 25)


def row_id(patient_id: int, medication: str) -> str:
    return f"p{patient_id}" + ("" if medication == "methadone" else f"-{medication}")


def cut_row(html: str, patient_id: int, medication: str) -> str | None:
    found = re.search(rf'<tr id="{row_id(patient_id, medication)}".*?</tr>', html, re.S)
    return found.group(0) if found else None


def normal(row: str | None) -> str | None:
    if row is None:
        return None
    row = re.sub(r" result-\w+", "", row)
    row = re.sub(r'<p class="verdict.*?</p>', "", row, flags=re.S)
    row = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", row)
    row = row.replace(" autofocus", "")
    return re.sub(r"\s+", " ", row).strip()


def history(world: World, days: list[int], medication: str = "methadone", mg: str = "30", **kw: Any) -> None:
    """Observed doses on TODAY + day for each day (no guard rail: the history is the test's premise)."""
    current = MedicationOrder.objects.get(patient=world.alice, medication=medication, status="active")
    for day in days:
        DoseRecord.objects.create(
            patient=world.alice,
            order=current,
            medication=medication,
            local_date=TODAY + timedelta(days=day),
            sequence=kw.get("sequence", 1),
            status=kw.get("status", "given"),
            amount_mg=Decimal(mg),
            treatment_day=1,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=NOON + timedelta(days=day, hours=kw.get("hours", 0)),
        )


def swap_and_fresh(
    world: World,
    body: dict[str, Any],
    at: datetime = NOON,
    role: str = "nurse",
    language: str = "en",
    patient_id: int | None = None,
    user: Any = None,
) -> tuple[Any, str | None, str | None, list[AuditEvent]]:
    """POST the dose as htmx does; then GET the list. Returns (response, swapped row, fresh row, the
    dosing_list audit rows the POST wrote)."""
    pid = patient_id if patient_id is not None else world.alice.pk
    medication = body.get("medication", "methadone")
    from keel.treatment import queries

    real = queries.row_after_dose
    TOLD.clear()

    def spy(*args: Any, **kw: Any) -> Any:
        row = real(*args, **kw)
        TOLD.append(row is not None)
        return row

    queries.row_after_dose = spy  # type: ignore[assignment]
    try:
        return _swap_and_fresh(world, body, at, role, language, pid, medication, user)
    finally:
        queries.row_after_dose = real  # type: ignore[assignment]


TOLD: list[bool] = []  # per POST: whether the row was told from the dose (row_after_dose answered)


def _swap_and_fresh(
    world: World,
    body: dict[str, Any],
    at: datetime,
    role: str,
    language: str,
    pid: int,
    medication: str,
    user: Any,
) -> tuple[Any, str | None, str | None, list[AuditEvent]]:
    with time_machine.travel(at, tick=False):
        client = sign_in(Client(), user or world.staff[role])
        before = AuditEvent.objects.filter(target_type="dosing_list").count()
        response = client.post(
            f"/dosing/{pid}/", body, headers={"HX-Request": "true"}, HTTP_ACCEPT_LANGUAGE=language
        )
        audits = list(AuditEvent.objects.filter(target_type="dosing_list").order_by("id")[before:])
        swapped = cut_row(response.content.decode(), pid, medication) if response.status_code == 200 else None
        fresh = cut_row(
            client.get("/dosing/", HTTP_ACCEPT_LANGUAGE=language).content.decode(), pid, medication
        )
    return response, normal(swapped), normal(fresh), audits


def on_methadone_long(world: World) -> None:
    """Alice on 30 mg methadone, observed daily for 40 days (take-homes possible)."""
    from keel.treatment import services as treatment

    with time_machine.travel(NOON - timedelta(days=20), tick=False):
        treatment.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
        )
    history(world, list(range(-40, 0)))


def meanwhile(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """`change` lands (commits) right after the dose read the person's day and before the row is shown:
    another clinician's write in that window (a prescriber at the next desk)."""
    from keel.treatment.services.doses import window

    real = window.dose_context_and_reads
    done: list[int] = []

    def read_then_change(*args: Any, **kw: Any) -> Any:
        out = real(*args, **kw)
        if not done:
            done.append(1)
            change()
        return out

    monkeypatch.setattr(window, "dose_context_and_reads", read_then_change)
