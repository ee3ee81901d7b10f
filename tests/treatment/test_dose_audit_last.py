"""A dose at the window appends its audit rows last (issue #21, lane perf23, `audit.deferred`), as a check-in
does (tests/recovery/test_checkin_audit_last.py).

Before, a held dose appended the dose's audit row as the dose was inserted, so the program's chain head was
locked from there to the commit, over the flag's insert, the person's lock taken again, the take-home plans'
read and their ends. Now every audit row of the dose (the dose's, the flag's, each plan's) is appended after
every other statement, in the order recorded, still in the dose's transaction: the head's lock is the first
of the last statements, after the person's lock. Run on SQLite and PostgreSQL (there the locks are
`SELECT ... FOR NO KEY UPDATE` of the person and `SELECT ... FOR UPDATE` of the head)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keel.audit import services as audit
from keel.audit.models import AuditEvent, Outcome
from tests.review13d.common import at, dose, methadone_on

pytestmark = pytest.mark.django_db

_TODAY = date.today()
MON = _TODAY - timedelta(days=_TODAY.weekday() + 35)  # a Monday five weeks back: the history before today


def _plan(world: Any, decided: date, first_bottle: date) -> Any:
    from keel.treatment import services

    criteria = dict.fromkeys(services.CRITERIA_KEYS, True)
    now = at(decided, 10)
    with time_machine.travel(now, tick=False):
        return services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=criteria,
            start_on=first_bottle.isoformat(),
            now=now,
        )


def _audit_statement(sql: str) -> bool:
    return "audit_" in sql or "SAVEPOINT" in sql or sql == "COMMIT"  # the rows, their head, the commit


def _head_lock(sent: list[str]) -> int:
    lock = next(i for i, sql in enumerate(sent) if "audit_auditchainhead" in sql and sql.startswith("SELECT"))
    if connection.vendor == "postgresql":
        assert sent[lock].endswith("FOR UPDATE")
    return lock


def _person_lock(sent: list[str]) -> int:
    return next(i for i, sql in enumerate(sent) if "FOR NO KEY UPDATE" in sql)


def test_a_held_dose_locks_the_chain_head_last(world: Any) -> None:
    from keel.patients.models import PatientFlag
    from keel.treatment.models import TakeHomePlan

    methadone_on(world, MON, "30", 12)
    plan = _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    with CaptureQueriesContext(connection) as queries:
        held = dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    assert held.dose.status == "held"
    flags = PatientFlag.objects.filter(patient=world.alice, source_type="dose", source_id=held.dose.pk)
    assert flags.exists()
    assert TakeHomePlan.objects.get(pk=plan.pk).ended_on == MON + timedelta(days=8)
    sent = [q["sql"] for q in queries.captured_queries]
    lock = _head_lock(sent)
    before, after = sent[:lock], sent[lock:]
    assert not any("audit_" in sql for sql in before)  # no audit statement before the head's lock
    assert any(sql.startswith('INSERT INTO "treatment_doserecord"') for sql in before)
    assert any(sql.startswith('INSERT INTO "patients_patientflag"') for sql in before)
    assert any(sql.startswith('UPDATE "treatment_takehomeplan"') for sql in before)
    assert all(_audit_statement(sql) for sql in after), after
    assert sum('INSERT INTO "audit_auditevent"' in sql for sql in after) == 3


def test_a_held_dose_s_rows_are_chained_in_the_order_recorded(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    plan = _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    held = dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    rows = list(AuditEvent.objects.filter(id__gt=newest).order_by("id"))
    assert [(r.target_type, r.target_id) for r in rows] == [
        ("dose", str(held.dose.pk)),
        ("patient_flag", rows[1].target_id),
        ("take_home_plan", str(plan.pk)),
    ]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]  # each linked to the one before
    assert audit.verify_chain().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's one writer lock is taken at BEGIN")
def test_the_person_is_locked_before_the_chain_head(world: Any) -> None:
    methadone_on(world, MON, "30", 8)
    with CaptureQueriesContext(connection) as queries:
        dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    sent = [q["sql"] for q in queries.captured_queries]
    assert _person_lock(sent) < _head_lock(sent)


def test_a_given_dose_locks_the_chain_head_after_its_insert(world: Any) -> None:
    methadone_on(world, MON, "30", 8)
    with CaptureQueriesContext(connection) as queries:
        given = dose(world, "30", at(MON + timedelta(days=8), 11))
    assert given.dose.status == "given"
    sent = [q["sql"] for q in queries.captured_queries]
    lock = _head_lock(sent)
    assert any(sql.startswith('INSERT INTO "treatment_doserecord"') for sql in sent[:lock])
    assert not any("audit_" in sql for sql in sent[:lock])
    assert all(_audit_statement(sql) for sql in sent[lock:]), sent[lock:]
    assert sum('INSERT INTO "audit_auditevent"' in sql for sql in sent[lock:]) == 1


def test_a_blocked_dose_still_commits_its_denial_row(world: Any) -> None:
    from keel.treatment.services.common import DoseBlocked

    methadone_on(world, MON, "30", 8)
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with pytest.raises(DoseBlocked):
        dose(world, "60", at(MON + timedelta(days=8), 11))  # past the order: a prescriber's override first
    denied = AuditEvent.objects.filter(id__gt=newest, target_type="dose", outcome=Outcome.DENIED)
    assert denied.count() == 1
    assert audit.verify_chain().ok


def _given_today_asked_and_told(world: Any, day: date) -> tuple[bool, bool]:
    """`suspend_take_home_plans`' own question (the ORM), and `window.given_on`'s from the dose's reads."""
    from keel.treatment.models import DoseRecord, DoseStatus
    from keel.treatment.queries import dose_context_and_reads
    from keel.treatment.queries.doses import taken_doses
    from keel.treatment.services.doses.window import given_on

    with time_machine.travel(at(day, 12), tick=False):
        asked = taken_doses(
            DoseRecord.objects.filter(patient=world.alice, local_date=day, status=DoseStatus.GIVEN)
        ).exists()
        _ctx, reads = dose_context_and_reads(world.alice, "methadone", day, with_other_holds=True)
        return asked, given_on(reads, world.alice.pk, day)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("nothing", False),
        ("given", True),
        ("given then voided", False),
        ("given then corrected to 0", False),
        ("given then corrected to 20", True),
        ("held", False),
        ("buprenorphine given", True),
    ],
)
def test_given_on_answers_as_the_orm(world: Any, today: str, expected: bool) -> None:
    from keel.treatment.models import DoseRecord
    from tests.review13d.common import amend

    methadone_on(world, MON, "30", 8)
    day = MON + timedelta(days=8)
    if today.startswith("given"):
        given = dose(world, "30", at(day, 9)).dose
        if "voided" in today:
            amend(world, given.pk, at(day, 10), void=True)
        elif "corrected" in today:
            amend(world, given.pk, at(day, 10), corrected_mg=today.rsplit(" ", 1)[1])
    elif today == "held":
        dose(world, "", at(day, 9), sedated=True)
    elif today == "buprenorphine given":  # another medication's row as written (not the guards' point)
        last = DoseRecord.objects.filter(patient=world.alice).order_by("-id").first()
        assert last is not None
        DoseRecord.objects.create(
            patient=world.alice,
            order=last.order,  # the reads join no order
            medication="buprenorphine",
            local_date=day,
            sequence=1,
            status="given",
            amount_mg="4",
            treatment_day=last.treatment_day + 1,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=at(day, 9),
        )
    assert _given_today_asked_and_told(world, day) == (expected, expected)
