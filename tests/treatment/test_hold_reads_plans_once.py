"""A held dose reads the person's take-home plans once (issue #21, lane perf24).

The dose's context reads every plan of the person (`_Reads.every_plan`, in its episode statement, under the
person's lock). A hold then read them twice more: the bottles at home it names (`bottles.at_home_reason`,
`bottles_at_home_above`'s ORM read) and the plans it ends (`suspend_take_home_plans`' `SELECT ... FOR
UPDATE`). Now the bottles at home are told from the context's plans on both databases; the plans it ends
too on SQLite, whose IMMEDIATE transaction has held the one writer lock since its BEGIN (`select_for_update`
locks nothing there); on PostgreSQL they are still read `FOR UPDATE` (a prescriber's end locks the plan's
row, not the person's). Here: both answers held to the reads they replace over varied plans (running, ended
before / on / after the day, of an earlier episode, another person's, no bottle handed out, returned
bottles, a tie on the decision's time), and a held dose's statements."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keel.treatment.models import Medication, TakeHomePlan
from keel.treatment.queries import dose_context_and_reads
from keel.treatment.queries.take_home_plans import bottles_at_home_above
from keel.treatment.services.doses.bottles import AT_HOME_AFTER_HOLD, at_home_reason
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.take_homes import unlocked_plans
from keel.treatment.services.take_homes.holds import _plans_to_suspend
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan

pytestmark = pytest.mark.django_db


def _iso(days: list[date]) -> list[str]:
    return [d.isoformat() for d in days]


def _varied_plans(world: World, today: date) -> dict[str, TakeHomePlan]:
    """Alice's plans around `today` (and one of Bob's), each a different case of the two reads."""
    prescriber = world.staff["prescriber"]
    episode = world.alice.enrollments.order_by("-started_on").first()
    now = timezone.now()

    def plan(
        decided: int,
        first: int,
        n: int,
        *,
        ended: int | None = None,
        handed: dict[int, str] | None = None,
        returned: tuple[int, ...] = (),
        patient: Any = None,
        enrollment: Any = episode,
        at: Any = None,
    ) -> TakeHomePlan:
        day = lambda k: today + timedelta(days=k)  # noqa: E731
        return TakeHomePlan.objects.create(
            patient=patient or world.alice,
            decided_by=prescriber,
            decided_at=at or now + timedelta(days=decided),
            days_in_treatment=30,
            criteria={},
            decision={"decision": "eligible"},
            max_supply_days=6,
            bottles=_iso([day(k) for k in range(first, first + n)]),
            enrollment=enrollment,
            ended_on=None if ended is None else day(ended),
            ended_by=None if ended is None else prescriber,
            ended_at=None if ended is None else now + timedelta(days=ended),
            end_reason="" if ended is None else "ended in the test",
            returned_days=_iso([day(k) for k in returned]),
            bottle_mg={day(k).isoformat(): mg for k, mg in (handed or {}).items()},
        )

    tie = now - timedelta(days=3)
    return {
        "earlier episode": plan(-40, -38, 3, enrollment=None, handed={-38: "60"}),
        "ended before, bottles still out": plan(
            -6, -4, 7, ended=-2, handed={1: "90", 2: "90", 3: "40"}, returned=(2,)
        ),
        "ended on the day": plan(-5, -1, 4, ended=0, handed={1: "70"}),
        "ended after the day": plan(-4, 0, 6, ended=3, handed={1: "30", 4: "50"}),
        "tie, first": plan(0, 2, 3, at=tie, handed={2: "80"}),
        "tie, second": plan(0, 2, 3, at=tie),
        "running, nothing handed out": plan(-1, 1, 3),
        "running": plan(-1, 1, 4, handed={1: "60", 2: "60"}),
        "Bob's": plan(-1, 1, 3, patient=world.bob, handed={1: "100", 2: "100"}),
    }


def _every_plan(world: World, today: date) -> list[TakeHomePlan]:
    _ctx, reads = dose_context_and_reads(world.alice, Medication.METHADONE, today, with_other_holds=True)
    return reads.every_plan


def _row(plan: TakeHomePlan) -> list[tuple[str, Any]]:
    """Every column of the plan, as read."""
    return [(f.attname, getattr(plan, f.attname)) for f in TakeHomePlan._meta.concrete_fields]


@pytest.mark.parametrize("offset", [-3, -2, -1, 0, 1, 3, 5])
def test_the_plans_a_hold_ends_are_the_orms_locking_read(world: World, offset: int) -> None:
    """The hand-written locking read (`_PLANS_NOT_ENDED`) and the plans told from the context both answer
    as the ORM's `select_for_update()` query they replaced: the same rows, columns and order."""
    today = timezone.localdate()
    _varied_plans(world, today)
    held_on = today + timedelta(days=offset)
    with transaction.atomic():  # a locking read needs a transaction on PostgreSQL
        orm = list(
            TakeHomePlan.objects.select_for_update()
            .filter(patient=world.alice)
            .exclude(ended_on__lte=held_on)
        )
        with CaptureQueriesContext(connection) as queries:
            read = _plans_to_suspend(world.alice, held_on, None)
        told = _plans_to_suspend(world.alice, held_on, _every_plan(world, today))
    assert orm, "the case has plans to end"
    assert [_row(p) for p in read] == [_row(p) for p in orm]
    assert [_row(p) for p in told] == [_row(p) for p in orm]
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert sql.endswith("FOR UPDATE") is connection.features.has_select_for_update


@pytest.mark.parametrize("offset", [-1, 0, 1, 2, 3, 4])
@pytest.mark.parametrize(
    ("medication", "mg"),
    [(Medication.METHADONE, "0"), (Medication.METHADONE, "60"), (Medication.BUPRENORPHINE, "8")],
)
def test_the_bottles_at_home_told_from_the_context_are_the_querys(
    world: World, offset: int, medication: str, mg: str
) -> None:
    today = timezone.localdate()
    _varied_plans(world, today)
    every = _every_plan(world, today)
    from_day = today + timedelta(days=offset)
    told = bottles_at_home_above(world.alice, medication, from_day, Decimal(mg), plans=every)
    assert told == bottles_at_home_above(world.alice, medication, from_day, Decimal(mg))
    if offset == 1 and mg == "0":
        assert told, "the case has bottles at home"


@pytest.mark.parametrize("offset", [-1, 0, 2])
def test_a_holds_at_home_reason_from_the_context_is_the_querys(world: World, offset: int) -> None:
    today = timezone.localdate()
    _varied_plans(world, today)
    day = today + timedelta(days=offset)
    told = at_home_reason(world.alice, day, AT_HOME_AFTER_HOLD, _every_plan(world, today))
    assert told == at_home_reason(world.alice, day, AT_HOME_AFTER_HOLD)


def test_the_plans_are_told_only_where_no_other_writer_can_change_them() -> None:
    plans: list[TakeHomePlan] = []
    assert (unlocked_plans(plans) is None) is (connection.vendor == "postgresql")


def test_a_held_dose_reads_the_plans_once_and_still_names_and_ends_them(world: World) -> None:
    """Two 80 mg bottles went home with today's dose (a third, later, did not); she comes back intoxicated
    and is held: the hold names the bottles at home and the plan stops after them, as before, reading the
    plans in the dose's context only (PostgreSQL: and once more, locked)."""
    plan, tomorrow = methadone_with_take_home_plan(world, decided_at=timezone.now())
    later = tomorrow + timedelta(days=3)  # a bottle after the run going home today: the hold stops it
    TakeHomePlan.objects.filter(pk=plan.pk).update(bottles=[*plan.bottles, later.isoformat()])
    nurse = world.staff["nurse"]
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="80")
    with CaptureQueriesContext(connection) as queries:
        held = record_dose(by=nurse, patient_id=world.alice.pk, sedated=True)
    assert held.dose.status == "held"
    assert any(r.template == AT_HOME_AFTER_HOLD for r in held.decision.reasons), held.decision
    plan.refresh_from_db()
    went_home = [tomorrow, tomorrow + timedelta(days=1)]
    assert {k: Decimal(v) for k, v in plan.bottle_mg.items()} == dict.fromkeys(_iso(went_home), Decimal(80))
    assert plan.ended_on == tomorrow + timedelta(days=1)  # the run at home stays covered, nothing after
    reads = [q["sql"] for q in queries.captured_queries if '"treatment_takehomeplan"' in q["sql"]]
    selects = [sql for sql in reads if sql.startswith("SELECT")]
    assert not any('"bottle_mg"' in sql.split(" WHERE ", 1)[-1] for sql in selects), selects
    if connection.vendor == "postgresql":
        assert len(selects) == 2 and selects[1].endswith("FOR UPDATE"), selects
    else:
        assert len(selects) == 1, selects
    assert 'LEFT JOIN "treatment_takehomeplan"' in selects[0]  # the context's read
