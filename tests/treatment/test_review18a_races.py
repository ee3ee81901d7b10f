"""Review 18a, PostgreSQL: a hold of one medication and a dose of another at the same moment are checked one
after the other under the person's lock (the dose sees the hold, or the hold comes after the dose)."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from keel.accounts import services as accounts
from keel.patients.models import CareTeamMember
from keel.treatment.models import DoseRecord, DoseStatus, Medication
from keel.treatment.services.doses import window
from keel.treatment.services.orders import prescribe
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_buprenorphine_hold_and_a_methadone_dose_at_once_are_serialized(
    world: Any, monkeypatch: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a race of two connections: run on PostgreSQL (KEEL_DATABASE_URL)")
    now = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    alice, nurse = world.alice, world.staff["nurse"]
    other, _ = accounts.create_user(
        username="r18-nurse-2", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=alice, user=other)
    for medication, mg in ((Medication.METHADONE, "30"), (Medication.BUPRENORPHINE, "4")):
        prescribe(
            by=world.staff["prescriber"], patient_id=alice.pk, medication=medication, dose_mg=mg, now=now
        )

    barrier = threading.Barrier(2)
    hold_saved = threading.Event()
    original = window.dose_context_and_reads

    def read_then_meet(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):  # the lock makes this wait time out
            barrier.wait(timeout=5)
        if args[1] == Medication.METHADONE:  # the dose writes after the hold is saved, if it can
            hold_saved.wait(timeout=5)
        return out

    monkeypatch.setattr(window, "dose_context_and_reads", read_then_meet)
    outcomes: list[object] = []

    def record(by: Any, medication: str, sedated: bool) -> None:
        try:
            outcomes.append(
                window.record_dose(
                    by=by,
                    patient_id=alice.pk,
                    medication=medication,
                    amount_mg="" if sedated else "30",
                    sedated=sedated,
                    now=now,
                )
            )
        except Exception as exc:  # a refusal is the safe outcome
            outcomes.append(exc)
        finally:
            if sedated:
                hold_saved.set()
            connections.close_all()

    threads = [
        threading.Thread(target=record, args=(nurse, Medication.BUPRENORPHINE, True)),
        threading.Thread(target=record, args=(other, Medication.METHADONE, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    hold = DoseRecord.objects.get(patient=alice, status=DoseStatus.HELD)
    given = DoseRecord.objects.filter(patient=alice, medication=Medication.METHADONE, status=DoseStatus.GIVEN)
    assert all(dose.pk < hold.pk for dose in given), f"a methadone dose saved after the hold: {outcomes}"
