"""Lane prop29: a property test over take-home corrections, an automated reviewer of the correction paths.

Short lists of steps (`STEP`) drive the same services the pages and the API call, over a window of about four
days (the clock moved by `time_machine`, relative to the program's today): a dose at the window (which hands
out the bottles of a run starting the next day), a dose with a bottle brought back, a prescriber's take-home
decision, a correction of a dose (a typo, to 0 mg, back up, a void), bottles recorded brought back, a hold
placed and released, a prescriber's end, the next day. After every step a small oracle (`Facts`) reads the
FACTS (the doses standing per day, the bottles the plans record handed out and brought back, the plans' days
and ends) and checks the invariants of `check_invariants` against what the app reads (the call-back list, the
supply check, the plans' days):

1. no day has a bottle at home (recorded handed out, not brought back) and a dose at the window standing
   unless that day is on the call-back list;
2. every bottle at home on a day no plan covers any more is on the call-back list;
3. a bottle brought back is never counted at home (the call-back list, the supply check);
4. a plan ended by a prescriber, a hold or a window dose never covers days again (its end never goes away
   nor later);
5. no exception other than a refusal escapes a service for ordinary input.

Deterministic (`derandomize`, no example database, no deadline). `KEEL_PROP_EXAMPLES` raises the number of
examples (default 25, about 30 s on SQLite on a shared two-core machine)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keel.access.errors import ClinicalNotAllowed
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import Enrollment, FlagKind, PatientFlag, local_today, zone_of
from keel.patients.services.flags import FlagError, resolve_flag
from keel.treatment import queries, services
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, Medication, PlanEnd, TakeHomePlan
from keel.treatment.queries.take_home_plans import as_handed_out, call_back, held_bottles, plan_days
from keel.treatment.services.common import DoseBlocked, DoseConflict, PlanAlreadyEnded
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.take_homes import end_take_home_plan, record_bottles_brought_back
from tests.conftest import World
from tests.factories import TYPO, given_daily, last_five_pm_utc

EXAMPLES = int(os.environ.get("KEEL_PROP_EXAMPLES", "25"))
CRITERIA: dict[str, object] = {key: True for key in services.CRITERIA_KEYS}
REFUSALS: tuple[type[BaseException], ...] = (
    InvalidInput,
    DoseBlocked,
    DoseConflict,
    PlanAlreadyEnded,
    ClinicalNotAllowed,  # a held dose changed into a given one by a nurse: a refusal with its words
    FlagError,
)
# the ends no correction undoes (invariant 4)
FINAL_ENDS = {PlanEnd.PRESCRIBER, PlanEnd.HOLD, PlanEnd.WINDOW_DOSED}
DAYS = 4  # the window of days the steps move over

Step = tuple[Any, ...]
STEP = st.one_of(
    st.tuples(st.just("dose"), st.sampled_from(["80", "60"])),
    st.tuples(st.just("dose_back"), st.sampled_from(["80"])),
    st.tuples(st.just("plan"), st.integers(0, 1), st.integers(1, 2)),
    st.tuples(st.just("amend"), st.integers(0, 3), st.sampled_from(["void", "0", "80", "40"])),
    st.tuples(st.just("back"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("hold")),
    st.tuples(st.just("release")),
    st.tuples(st.just("end"), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("next")),
)


def steps_text(steps: list[Step]) -> str:
    return "\n".join(f"  {i}: {s}" for i, s in enumerate(steps))


@dataclass
class Run:
    """One example: Alice on methadone 80 mg with doses at the window for the last days, and the clock."""

    world: World
    start: datetime
    day: int = 0
    clock: Any = None
    final_ends: dict[int, date] = field(default_factory=dict)  # plan -> the end no correction undoes

    @property
    def alice(self) -> Any:
        return self.world.alice

    minutes: int = 0  # into the day: every step happens five minutes after the one before

    def at(self, day: int, minutes: int = 0) -> None:
        if self.clock is not None:
            self.clock.stop()
        instant = self.start + timedelta(days=day, minutes=minutes)
        self.clock = time_machine.travel(instant, tick=False)
        self.clock.start()
        self.day, self.minutes = day, minutes

    def later(self) -> None:
        """Five minutes on (two writes never share an instant, as at a real window)."""
        self.at(self.day, self.minutes + 5)

    def today(self) -> date:
        return local_today(self.alice, timezone.now())

    def plans(self) -> list[TakeHomePlan]:
        return list(TakeHomePlan.objects.filter(patient=self.alice).order_by("decided_at", "id"))

    def doses(self) -> list[DoseRecord]:
        return list(
            DoseRecord.objects.filter(patient=self.alice, medication=Medication.METHADONE).order_by("-id")
        )


def set_up(world: World, start: datetime) -> Run:
    run = Run(world, start)
    run.at(0)
    today = run.today()
    Enrollment.objects.filter(patient=world.alice).update(started_on=today - timedelta(days=40))
    order = services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    given_daily(world, order, [today - timedelta(days=n) for n in range(30, 0, -1)], 80)
    return run


def do(run: Run, step: Step) -> None:
    """One step through the services; a refusal (bad or refused input, a conflict) is fine."""
    nurse, prescriber, alice = run.world.staff["nurse"], run.world.staff["prescriber"], run.alice
    kind = step[0]
    today = run.today()
    if kind == "dose":
        record_dose(by=nurse, patient_id=alice.pk, amount_mg=step[1])
    elif kind == "dose_back":
        record_dose(by=nurse, patient_id=alice.pk, amount_mg=step[1], bottle_returned=True)
    elif kind == "plan":
        first = today + timedelta(days=step[1])
        services.decide_take_home(
            by=prescriber,
            patient_id=alice.pk,
            criteria=CRITERIA,
            bottle_days=[(first + timedelta(days=n)).isoformat() for n in range(step[2])],
            acknowledged_flags=[c.id for c in queries.take_home_concerns(alice, today)],
        )
    elif kind == "amend":
        doses = [d for d in run.doses() if d.local_date >= today - timedelta(days=DAYS)]
        if not doses:
            return
        dose = doses[step[1] % len(doses)]
        amend_dose(
            by=nurse,
            patient_id=alice.pk,
            dose_id=dose.pk,
            reason=TYPO,
            corrected_mg=None if step[2] == "void" else step[2],
            void=step[2] == "void",
        )
    elif kind == "back":
        plans = run.plans()
        if not plans:
            return
        plan = plans[step[1] % len(plans)]
        days = sorted(plan.bottles or [])
        if not days:
            return
        record_bottles_brought_back(
            by=nurse,
            patient_id=alice.pk,
            plan_id=plan.pk,
            reason="Brought back unopened at the window today.",
            returned_days=[days[step[2] % len(days)]],
        )
    elif kind == "hold":
        record_dose(by=nurse, patient_id=alice.pk, sedated=True)
    elif kind == "release":
        flag = PatientFlag.objects.filter(
            patient=alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True
        ).first()
        if flag is not None:
            resolve_flag(
                by=prescriber,
                patient_id=alice.pk,
                flag_id=flag.pk,
                note="Assessed: alert and oriented, may have the rest of today's dose",
            )
    elif kind == "end":
        plans = run.plans()
        if not plans:
            return
        plan = plans[step[1] % len(plans)]
        end_take_home_plan(
            by=prescriber,
            patient_id=alice.pk,
            plan_id=plan.pk,
            reason="Reassessing after a missed group; take-homes stop.",
            from_day=(today + timedelta(days=step[2])).isoformat(),
        )
    elif kind == "next" and run.day < DAYS:
        run.at(run.day + 1)


@dataclass
class Facts:
    """The oracle's facts, read from the rows (not from the app's readers)."""

    standing: set[date]  # days with an observed methadone dose given, not voided, > 0 mg
    at_home: dict[int, set[date]]  # plan -> days recorded handed out (or taken back), not brought back
    returned: dict[int, set[date]]  # plan -> days recorded brought back
    covered: set[date]  # days a plan covers, as the app reads the plans today


def facts(run: Run) -> Facts:
    today = run.today()
    standing: set[date] = set()
    for dose in run.doses():
        if dose.status != DoseStatus.GIVEN:
            continue
        last = DoseAmendment.objects.filter(dose=dose).order_by("-amended_at", "-id").first()
        if last is None:
            mg = dose.amount_mg
        elif last.voided:
            continue
        else:
            mg = last.corrected_mg if last.corrected_mg is not None else Decimal(0)
        if mg > 0:
            standing.add(dose.local_date)
    plans = run.plans()
    at_home = {}
    returned = {}
    for plan in plans:
        back = {date.fromisoformat(iso) for iso in plan.returned_days or []}
        isos = [*(plan.bottle_mg or {}), *(plan.bottles_taken_back or {})]
        recorded = {date.fromisoformat(iso) for iso in isos}
        at_home[plan.pk] = recorded - back
        returned[plan.pk] = back
    as_handed_out(plans, zone_of(run.alice), today)
    covered = set().union(*(plan_days(p) for p in plans)) if plans else set()
    return Facts(standing, at_home, returned, covered)


def check_invariants(run: Run, label: str) -> None:
    today = run.today()
    seen = facts(run)
    listed = call_back(run.alice, today)
    called = {d for days in listed.values() for d in days}
    enrollment = run.alice.enrollments.order_by("-started_on").first()
    held = held_bottles(run.alice, (enrollment.pk, enrollment.started_on), today)
    for pk, days in seen.at_home.items():
        for day in sorted(d for d in days if d >= today):
            # 1: a bottle at home and a dose at the window on its day: the person is called back
            if day in seen.standing:
                assert day in called, f"{label}: bottle at home {day} (plan {pk}), window dose, no call-back"
            # 2: a bottle at home for a day no plan covers: called back
            if day not in seen.covered:
                assert day in listed.get(pk, {}), (
                    f"{label}: bottle at home {day} (plan {pk}), uncovered, no call-back"
                )
    for pk, days in seen.returned.items():
        # 3: a bottle brought back is never counted at home
        assert not (days & set(listed.get(pk, {}))), (
            f"{label}: brought back {sorted(days)} ({pk}) called back"
        )
        assert not (days & held.get(pk, set())), f"{label}: brought back {sorted(days)} ({pk}) held (supply)"
    for plan in run.plans():
        # 4: an end no correction undoes
        before = run.final_ends.get(plan.pk)
        if before is not None:
            assert plan.ended_on is not None, f"{label}: plan {plan.pk} ended ({before}) goes on again"
            assert plan.ended_on <= before, f"{label}: plan {plan.pk} ended {before} now to {plan.ended_on}"
        if plan.ended_on is not None and plan.end_kind in FINAL_ENDS:
            run.final_ends[plan.pk] = min(plan.ended_on, before or plan.ended_on)


def play(world: World, steps: list[Step], start: datetime) -> None:
    """Play `steps` from a fresh set-up, every write rolled back at the end."""
    with transaction.atomic():
        run = set_up(world, start)
        try:
            check_invariants(run, "set-up")
            for i, step in enumerate(steps):
                run.later()
                try:
                    do(run, step)
                except REFUSALS:
                    pass
                except Exception as error:  # 5: nothing else escapes a service
                    raise AssertionError(f"step {i} {step} raised {error!r}\n{steps_text(steps)}") from error
                check_invariants(run, f"after step {i} {step}\n{steps_text(steps)}\n")
        finally:
            if run.clock is not None:
                run.clock.stop()
            transaction.set_rollback(True)


@pytest.fixture
def start() -> Iterator[datetime]:
    yield last_five_pm_utc()


@pytest.mark.timeout(max(300, EXAMPLES * 3))
@pytest.mark.django_db
def test_take_home_corrections_keep_the_invariants(world: World, start: datetime) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(steps=st.lists(STEP, min_size=1, max_size=12))
    def one(steps: list[Step]) -> None:
        play(world, steps, start)

    one()
