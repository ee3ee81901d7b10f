"""Review 18a: two nurses dosing the same person at once each pass the first day's methadone total alone."""

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


def test_two_nurses_at_once_do_not_double_the_first_day(world: Any, monkeypatch: Any) -> None:
    """Scenario: Alice's first day of methadone; her order is 30 mg (the label's first dose). Two nurses at
    two stations of the window (the API, each with its own slot: 1 and 2, as a second client sends when its
    list showed slot 1 being given) record 30 mg each at the same moment. Each request reads the day
    (`dose_context_and_reads`: nothing given yet), each passes the first-dose limit (30 mg), the first-day
    total (40 mg) and the re-dose interval (no dose before), and each saves: the day's unique slot does not
    catch two different slots, and no lock of the person orders the two reads and writes.

    Impact: 60 mg of methadone in minutes on the first day of induction, above the program's 40 mg day-one
    total and the supplementary dose's 2-4 h wait; first-day overdose is the main cause of induction deaths
    (Baxter 2013). The guard that refuses the second dose when recorded one after the other is walked around
    by timing alone.

    Safe outcome: the two doses are checked one after the other (the second sees the first): one is saved,
    the other refused (DoseBlocked or DoseConflict); the day's total stays within 40 mg.
    """
    if connection.vendor != "postgresql":
        pytest.skip("a race of two connections: run on PostgreSQL (KEEL_DATABASE_URL)")
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 18, 10, 0, tzinfo=zone)
    alice = world.alice
    nurse = world.staff["nurse"]
    other, _ = accounts.create_user(
        username="r-nurse-2", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=alice, user=other)
    prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication=Medication.METHADONE,
        dose_mg="30",
        now=now,
    )

    barrier = threading.Barrier(2)
    original = window.dose_context_and_reads

    def read_then_meet(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        # both requests have read the day before either writes (a lock would make this wait time out)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        return out

    monkeypatch.setattr(window, "dose_context_and_reads", read_then_meet)
    outcomes: list[object] = []

    def give(by: Any, slot: int) -> None:
        try:
            outcomes.append(
                window.record_dose(
                    by=by,
                    patient_id=alice.pk,
                    medication=Medication.METHADONE,
                    amount_mg="30",
                    sequence=slot,
                    slot_required=True,
                    now=now,
                )
            )
        except Exception as exc:  # a refusal is the safe outcome
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=give, args=(nurse, 1)), threading.Thread(target=give, args=(other, 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    given = DoseRecord.objects.filter(patient=alice, medication=Medication.METHADONE, status=DoseStatus.GIVEN)
    total = sum(d.amount_mg for d in given)
    assert total <= 40, f"first-day total {total} mg from two nurses at once: {outcomes}"
