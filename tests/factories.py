"""The people the medication tests build again and again, built one way (issue #17: the review and fix tests
each wrote their own copy). Each takes the personas' `world` and acts on Alice through the services (a dose
history as rows), as the tests did; none asserts anything (but a race's set-up, `prescribe_race`). And the
clock several of them pin, and the set-up of the two order-version races (`prescribing`, `prescribe_race`).
A dose that sent take-home bottles home then corrected or voided, a hold then released, a prescriber's end
(`handed_out_today`, `handed_out_yesterday`, `corrected`, `held_then_released`, `prescriber_ends`): the bottle
tests of sessions 24 and 25."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from keel.accounts.models import Program
from keel.assessments.services import submit_assessment
from keel.patients.models import FlagKind, Patient, PatientFlag, local_today
from keel.patients.services.flags import resolve_flag
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, MedicationOrder, TakeHomePlan
from keel.treatment.services import orders
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.last_use import record_last_use
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from keel.treatment.services.take_homes import end_take_home_plan
from tests.conftest import World
from tests.lock_waits import Pause, run, wait_for_a_lock_waiter


def methadone_with_qtc(
    world: World, qtc_ms: int | None, measured_on: date | None = None, *, taken: bool = False
) -> None:
    """Methadone 80 mg prescribed; then, unless `qtc_ms` is None, a QTc of `qtc_ms` ms recorded by the nurse
    (measured today unless `measured_on` is given). `taken`: 80 mg given under the order the day before (she
    is on 80 mg; review 21m: an order never given is still a start, or a raise from what it raised from)."""
    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    if taken:
        given_daily(world, order, [order.starts_on - timedelta(days=1)], 80)
    if qtc_ms is not None:
        record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=qtc_ms, measured_on=measured_on)


def ready_at_home(world: World, now: datetime, starts_on: date | None = None) -> None:
    """A buprenorphine home-start order of 8 mg written at `now` (to start on `starts_on`, when given),
    heroin last used at 10:00 New York time on 2026-12-02 (reported two hours before `now`), and Alice's
    own SOWS of 32 five minutes before `now`: ready to start at home."""
    prescriber, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    prescribe(
        by=prescriber,
        patient_id=alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        home_start=True,
        starts_on=starts_on,
        now=now,
    )
    record_last_use(
        by=nurse,
        patient_id=alice.pk,
        raw={"opioids": [{"opioid": "heroin", "last_use_at": "2026-12-02T10:00:00-05:00"}]},
        now=now - timedelta(hours=2),
    )
    submit_assessment(
        by=alice.user,
        patient_id=None,
        instrument="sows",
        answers={f"sows_{i}": 2 for i in range(1, 17)},
        filled_at=now - timedelta(minutes=5),
    )


def given_daily(world: World, order: MedicationOrder, days: Sequence[date], mg: int) -> None:
    """`mg` of `order` given to Alice at the window on each of `days`, in that order, at 14:00 UTC, by the
    nurse, the earliest day treatment day 1 (rows written directly: the history, not the behaviour under
    test)."""
    first = min(days)
    for day in days:
        given_on(world, order, day, mg, (day - first).days + 1)


def given_on(
    world: World,
    order: MedicationOrder,
    day: date,
    mg: int,
    treatment_day: int,
    *,
    at: datetime | None = None,
) -> DoseRecord:
    """`mg` of `order` given to Alice on `day` (treatment day `treatment_day`), recorded by the nurse at 14:00
    UTC that day (on her program's day: `_on_her_day`), or given and recorded at `at` when it is given (a row:
    the history, not the behaviour under test)."""
    return DoseRecord.objects.create(
        patient=world.alice,
        order=order,
        medication=order.medication,
        local_date=day,
        sequence=1,
        status=DoseStatus.GIVEN,
        amount_mg=Decimal(mg),
        treatment_day=treatment_day,
        decision={},
        recorded_by=world.staff["nurse"],
        recorded_at=at or _on_her_day(world, day),
        given_at=at,
    )


def _on_her_day(world: World, day: date) -> datetime:
    """14:00 UTC on `day` when that moment is on `day` on her program's clock (New York: the morning), else
    noon of `day` there (Auckland: 14:00 UTC is already the next day, and since lane fix38e a dose's time
    decides which day's limits it counts with)."""
    at = datetime(day.year, day.month, day.day, 14, tzinfo=UTC)
    zone = ZoneInfo(world.alice.program.time_zone)
    if at.astimezone(zone).date() == day:
        return at
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(UTC)


def buprenorphine_then_methadone_order(world: World, bup_at: datetime) -> None:
    """Buprenorphine 8 mg written two hours before `bup_at` and given to Alice at `bup_at` (treatment day 1,
    a row), then methadone 30 mg written an hour before `bup_at`: a methadone dose now is a switch."""
    prescriber, alice = world.staff["prescriber"], world.alice
    bup = prescribe(
        by=prescriber,
        patient_id=alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        now=bup_at - timedelta(hours=2),
    )
    given_on(world, bup, local_today(alice, bup_at), 8, 1, at=bup_at)
    prescribe(
        by=prescriber,
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="30",
        now=bup_at - timedelta(hours=1),
    )


def methadone_with_take_home_plan(
    world: World, decided_at: datetime, *, days_earlier: int = 0
) -> tuple[TakeHomePlan, date]:
    """Alice on methadone 80 mg (written with order version 0), given 80 mg at the window on each of the last
    eight days, and a take-home plan decided at `decided_at`: two bottles, tomorrow and the day after (all
    of it `days_earlier` days earlier: with 1, given up to the day before yesterday, bottles from today).
    Returns the plan and its first bottle's day."""
    alice = world.alice
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    today = local_today(alice) - timedelta(days=days_earlier)
    given_daily(world, order, [today - timedelta(days=n) for n in range(8, 0, -1)], 80)
    tomorrow = today + timedelta(days=1)
    return two_bottle_plan(world, decided_at, tomorrow), tomorrow


def two_bottle_plan(world: World, decided_at: datetime, first: date) -> TakeHomePlan:
    """A take-home plan for Alice decided "eligible" by the prescriber at `decided_at` (nine days in
    treatment, her newest enrollment): two bottles, `first` and the day after."""
    return TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=decided_at,
        days_in_treatment=9,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=2,
        bottles=[first.isoformat(), (first + timedelta(days=1)).isoformat()],
        enrollment=world.alice.enrollments.order_by("-started_on").first(),
    )


TYPO = "Wrong amount typed at the window; the pump log shows the real amount."


def handed_out_today(world: World, decided_at: datetime | None = None) -> tuple[TakeHomePlan, DoseRecord]:
    """Alice on methadone 80 mg, a plan for tomorrow and the day after decided at `decided_at` (yesterday
    unless given); today she takes her 80 mg at the window and the two bottles go home with it (the dose
    path records them). The plan (read again) and today's dose."""
    plan, _first = methadone_with_take_home_plan(world, decided_at or timezone.now() - timedelta(days=1))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    plan.refresh_from_db()
    dose = DoseRecord.objects.filter(patient=world.alice, local_date=local_today(world.alice)).latest("id")
    return plan, dose


def handed_out_yesterday(world: World) -> tuple[TakeHomePlan, DoseRecord]:
    """Alice on methadone 80 mg; yesterday she took 80 mg at the window and her bottles for today and
    tomorrow went home with it (the plan's record of them, `bottle_mg`, as the dose path writes it)."""
    plan, first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=2), days_earlier=1)
    order = MedicationOrder.objects.filter(patient=world.alice).latest("id")
    dose = given_on(world, order, local_today(world.alice) - timedelta(days=1), 80, 9)
    plan.bottle_mg = {first.isoformat(): "80.00", (first + timedelta(days=1)).isoformat(): "80.00"}
    plan.save(update_fields=["bottle_mg"])
    return plan, dose


def corrected(
    world: World, dose: DoseRecord, reason: str = TYPO, *, corrected_mg: object = None, void: bool = False
) -> DoseAmendment:
    """`dose` corrected (to `corrected_mg`) or voided by the nurse, with `reason`."""
    return amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        reason=reason,
        corrected_mg=corrected_mg,
        void=void,
    )


def prescriber_ends(
    world: World,
    plan: TakeHomePlan,
    reason: str,
    *,
    from_day: object = None,
    returned_days: object = None,
    ending: bool | None = None,
    now: datetime | None = None,
) -> TakeHomePlan:
    """`plan` ended by the prescriber through `end_take_home_plan` (`from_day`, `returned_days`, `ending` and
    `now` as it reads them)."""
    return end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason=reason,
        from_day=from_day,
        returned_days=returned_days,
        ending=ending,
        now=now,
    )


def held_then_released(world: World, at: datetime | None = None, medication: str = "methadone") -> None:
    """A hold of Alice's `medication` at the window (sedated) at `at` (now unless given), by the nurse; then
    the prescriber resolves its flag: she may have the rest of the day's dose."""
    record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, medication=medication, now=at
    )
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="Assessed: alert and oriented, may have the rest of today's dose",
    )


def last_five_pm_utc() -> datetime:
    """The last 17:00 UTC before now (noon or 13:00 in New York, the same day), never in the future."""
    real = datetime.now(UTC)
    at = datetime.combine(real.date(), time(17), tzinfo=UTC)
    return at - timedelta(days=1) if at > real else at


def pinned_at_last_five_pm_utc() -> Iterator[None]:
    """The clock pinned (not ticking) at `last_five_pm_utc()`, for a module's autouse `_clock` fixture."""
    with time_machine.travel(last_five_pm_utc(), tick=False):
        yield


def page_versions(patient: Patient, writes: str = "") -> dict[str, str]:
    """The hidden fields a page's order form sends, as `treatment/_order_versions.html` renders them now:
    every medication's `order_version_<m>`, the one a form writes (`writes`, the start page's buprenorphine)
    as `order_version` (review 23a hole 3: a form without the whole picture writes nothing). A test that
    sends an older read puts its own value after these."""
    from keel.treatment.queries import order_versions

    return {
        ("order_version" if m == writes else f"order_version_{m}"): str(v)
        for m, v in order_versions(patient).items()
    }


def prescribing(world: World, **order: Any) -> Callable[[], MedicationOrder]:
    """Alice's order of `order` (medication, dose_mg, a version read...), written by the prescriber through
    `prescribe` when called: a submit for `prescribe_race`."""
    return lambda: prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, **order)


def prescribe_race(
    monkeypatch: pytest.MonkeyPatch, first: Callable[[], Any], second: Callable[[], Any]
) -> dict[str, Any]:
    """Two submits of an order at once on PostgreSQL, each in its own thread and connection
    (`tests.lock_waits`): `first` is paused inside its transaction just after it took the person's lock
    (`orders.lock_person`); `second` starts then, and once it is seen waiting for a lock (`waited`) the first
    goes on. The outcomes by name: `first`, `second` (the order written, or the exception raised) and
    `waited`. The one check here is that the first took the lock (the race's set-up, not what it tests)."""
    pause = Pause(orders.lock_person)
    monkeypatch.setattr(orders, "lock_person", pause)
    outcomes: dict[str, Any] = {}
    one = run(first, outcomes, "first")
    assert pause.held.wait(timeout=30)
    two = run(second, outcomes, "second")
    outcomes["waited"] = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    return outcomes


def program_in_zone_at_noon_two_days_ago(world: World, name: str) -> Iterator[str]:
    """The program in time zone `name`, the clock pinned at noon there two days ago (inside dosing hours),
    for a zone fixture's `yield from` (lanes fix29a and fix29c)."""
    from zoneinfo import ZoneInfo

    Program.objects.filter(pk=world.riverside.pk).update(time_zone=name)
    world.alice = Patient.objects.select_related("program").get(pk=world.alice.pk)
    local = datetime.now(UTC).astimezone(ZoneInfo(name)).date() - timedelta(days=2)
    with time_machine.travel(datetime.combine(local, time(12), tzinfo=ZoneInfo(name)), tick=False):
        yield name
