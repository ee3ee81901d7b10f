"""One person's dose context in hand-written SQL (`dose_context`, issue #21) is the set-based ORM reads'
answer (`dose_contexts`, the dosing list's) for that person: every field of the context, over varied
histories (voided, zeroed and corrected doses, holds released or open, another medication, take-home
plans, restarts, a discharge and readmission, no episode at all), for both window medications, with and
without the other medication's holds. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

from keel.patients.models import Enrollment, EnrollmentStatus, FlagKind, PatientFlag
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, MedicationOrder, TakeHomePlan
from keel.treatment.queries import DoseContext, dose_context, dose_contexts
from tests.conftest import World

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _order(world: World, medication: str = "methadone") -> MedicationOrder:
    found = MedicationOrder.objects.filter(patient=world.alice, medication=medication).first()
    return found or MedicationOrder.objects.create(
        patient=world.alice,
        medication=medication,
        rxnorm="6813" if medication == "methadone" else "1819",
        dose_mg=Decimal(30),
        starts_on=date(2026, 1, 5),
        prescriber=world.staff["prescriber"],
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


def dose(world: World, back: int, seq: int = 1, medication: str = "methadone", **kw: Any) -> DoseRecord:
    day = TODAY - timedelta(days=back)
    fields_: dict[str, Any] = {
        "patient": world.alice,
        "order": _order(world, medication),
        "medication": medication,
        "local_date": day,
        "sequence": seq,
        "status": DoseStatus.GIVEN,
        "amount_mg": Decimal(30) if medication == "methadone" else Decimal(8),
        "treatment_day": 5,
        "decision": {"decision": "allowed"},
        "recorded_by": world.staff["nurse"],
        "recorded_at": datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14 + seq),
    }
    return DoseRecord.objects.create(**(fields_ | kw))


def amend(world: World, d: DoseRecord, minutes: int, **kw: Any) -> None:
    DoseAmendment.objects.create(
        dose=d,
        reason="entry error",
        amended_by=world.staff["nurse"],
        amended_at=NOON - timedelta(days=1) + timedelta(minutes=minutes),
        **kw,
    )


def hold(world: World, d: DoseRecord, released: bool) -> None:
    PatientFlag.objects.create(
        patient=world.alice,
        kind=FlagKind.DOSE_HELD,
        source_type="dose",
        source_id=d.pk,
        raised_at=NOON - timedelta(hours=3),
        resolved_at=NOON - timedelta(hours=1) if released else None,
        resolved_by=world.staff["prescriber"] if released else None,
        resolution_note="assessed" if released else "",
    )


def plan(world: World, back: int, days: list[int], **kw: Any) -> None:
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=NOON - timedelta(days=back),
        days_in_treatment=100,
        criteria={},
        decision={},
        max_supply_days=len(days),
        bottles=[(TODAY - timedelta(days=b)).isoformat() for b in days],
        **kw,
    )


def run(world: World, days: range, medication: str = "methadone") -> None:
    for back in days:
        dose(world, back, medication=medication)


def discharge_and_readmit(world: World, on_back: int) -> Enrollment:
    """End the episode `on_back` days ago and readmit the same day (consent at noon of that day)."""
    old = Enrollment.objects.get(patient=world.alice, status=EnrollmentStatus.ACTIVE)
    day = TODAY - timedelta(days=on_back)
    old.status, old.ended_on, old.end_reason = EnrollmentStatus.ENDED, day, "left"
    old.save()
    return Enrollment.objects.create(
        patient=world.alice,
        program=world.alice.program,
        started_on=day,
        consented_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=16),
    )


def _empty(world: World) -> None:
    pass


def _regular(world: World) -> None:
    run(world, range(12, 0, -1))


def _amended(world: World) -> None:
    first = dose(world, 9)
    amend(world, first, 0, voided=True)  # the episode's first dose voided: the next one starts it
    run(world, range(8, 2, -1))
    amend(world, dose(world, 2), 0, corrected_mg=Decimal(0))
    y = dose(world, 1)
    amend(world, y, 0, corrected_mg=Decimal(20))
    amend(world, y, 5, voided=True)
    amend(world, y, 9, corrected_mg=Decimal(25))  # the latest wins
    t = dose(world, 0)
    amend(world, t, 0, corrected_mg=Decimal(25))
    amend(world, t, 1, voided=True)
    dose(world, 0, 2, amount_mg=Decimal(10))


def _holds(released: bool) -> Callable[[World], None]:
    def build(world: World) -> None:
        run(world, range(5, 0, -1))
        hold(world, dose(world, 1, 2, status=DoseStatus.HELD, amount_mg=Decimal(0)), released=False)
        hold(world, dose(world, 0, status=DoseStatus.HELD, amount_mg=Decimal(0)), released)
        d = dose(world, 0, medication="buprenorphine", status=DoseStatus.HELD, amount_mg=Decimal(0))
        hold(world, d, not released)
        dose(world, 1, medication="buprenorphine", status=DoseStatus.HELD, amount_mg=Decimal(0))

    return build


def _other_medication(world: World) -> None:
    run(world, range(6, 0, -1), medication="buprenorphine")
    dose(world, 0, medication="buprenorphine", given_at=NOON - timedelta(hours=2))
    run(world, range(3, 0, -1))


def _take_homes(world: World) -> None:
    run(world, range(10, 2, -1))
    plan(world, 4, [2, 1])
    # ended: the bottles after today cover nothing; today's bottle left the clinic (the plan's record says
    # so: session 24, a day is a take-home day only if its bottle left, and yesterday, a bottle day of the
    # first plan, had no observed dose to hand it out at)
    plan(world, 1, [0, -1, -2], ended_on=TODAY, bottle_mg={TODAY.isoformat(): "30"})
    plan(world, 200, [5])  # decided in an earlier episode (no enrollment named), before this one started


def _restart(world: World) -> None:
    run(world, range(28, 20, -1))  # then nothing: days missed in a row
    dose(world, 40)  # outside the look-back


def _readmitted(world: World) -> None:
    run(world, range(20, 5, -1))
    old = Enrollment.objects.get(patient=world.alice, status=EnrollmentStatus.ACTIVE)
    plan(world, 8, [7, 6], enrollment=old)  # the old episode's plan
    new = discharge_and_readmit(world, 5)  # the old episode's dose of that day came before the consent
    dose(world, 5, 2, recorded_at=NOON - timedelta(days=5) + timedelta(hours=2))  # after the consent
    run(world, range(4, 1, -1))
    plan(world, 2, [1], enrollment=new)
    # no enrollment named, decided in this episode; its bottle left the clinic (the record says so, as above)
    plan(world, 2, [0], bottle_mg={TODAY.isoformat(): "30"})


def _readmitted_without_a_dose(world: World) -> None:
    run(world, range(10, 3, -1))
    discharge_and_readmit(world, 3)


def _discharged(world: World) -> None:
    run(world, range(6, 1, -1))
    old = Enrollment.objects.get(patient=world.alice, status=EnrollmentStatus.ACTIVE)
    old.status, old.ended_on, old.end_reason = EnrollmentStatus.ENDED, TODAY - timedelta(days=1), "left"
    old.save()


def _future_and_given_times(world: World) -> None:
    run(world, range(4, 1, -1))
    dose(world, 1, given_at=NOON - timedelta(hours=30))
    dose(world, -1)  # dated tomorrow (a clock set back)
    dose(world, 0, given_at=NOON - timedelta(hours=4))


HISTORIES: dict[str, Callable[[World], None]] = {
    "empty": _empty,
    "regular": _regular,
    "amended": _amended,
    "holds open": _holds(False),
    "holds released": _holds(True),
    "other medication": _other_medication,
    "take-homes": _take_homes,
    "restart": _restart,
    "readmitted": _readmitted,
    "readmitted, no dose yet": _readmitted_without_a_dose,
    "discharged": _discharged,
    "future-dated, given times": _future_and_given_times,
}


def _plain(value: Any) -> Any:
    """A context's value as plain data: model instances by their column values."""
    if isinstance(value, Model):
        return (type(value).__name__, tuple(getattr(value, f.attname) for f in value._meta.concrete_fields))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, dict):
        return sorted((k, _plain(v)) for k, v in value.items())
    return value


def plain(ctx: DoseContext) -> dict[str, Any]:
    return {f.name: _plain(getattr(ctx, f.name)) for f in fields(ctx)}


@pytest.mark.parametrize("history", list(HISTORIES))
def test_one_persons_context_in_sql_is_the_orm_reads_answer(world: World, history: str) -> None:
    HISTORIES[history](world)
    for medication in ("methadone", "buprenorphine"):
        for with_other_holds in (False, True):
            for today in (TODAY, TODAY - timedelta(days=1)):
                expected = dose_contexts(
                    [(world.alice, today)], medication, with_other_holds=with_other_holds
                )
                got = dose_context(world.alice, medication, today, with_other_holds=with_other_holds)
                assert plain(got) == plain(expected[world.alice.pk]), (medication, with_other_holds, today)


def test_the_histories_reach_what_they_are_about(world: World) -> None:
    """The equivalence above means something only if the histories give varied contexts."""
    HISTORIES["holds open"](world)
    ctx = dose_context(world.alice, "methadone", TODAY, with_other_holds=True)
    assert ctx.hold_open
    assert not ctx.other_hold_open
    assert dose_context(world.alice, "buprenorphine", TODAY, with_other_holds=True).other_hold_open


def test_the_take_home_history_covers_today(world: World) -> None:
    HISTORIES["take-homes"](world)
    ctx = dose_context(world.alice, "methadone", TODAY)
    assert TODAY in ctx.take_home_days
    assert TODAY + timedelta(days=1) not in ctx.take_home_days


def test_a_readmission_starts_a_new_episode_in_sql_too(world: World) -> None:
    HISTORIES["readmitted"](world)
    ctx = dose_context(world.alice, "methadone", TODAY)
    assert ctx.first_dose_on == TODAY - timedelta(days=5)
    assert ctx.take_home_days == {TODAY - timedelta(days=1), TODAY}


def test_no_active_enrollment_is_no_episode_in_sql_too(world: World) -> None:
    HISTORIES["discharged"](world)
    assert not dose_context(world.alice, "methadone", TODAY).in_episode
