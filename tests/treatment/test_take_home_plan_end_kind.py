"""Session 24 (lane bot24, item 4): what ended a take-home plan is stored (`TakeHomePlan.end_kind`), the one
truth the bottle decisions read of its state (a keep back or "nothing given" of today is the one end a dose
later that day undoes); the English end reason stays for people to read. Migration 0023 fills the kind of
the plans already ended from their reasons as the code read them until now."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.doses import bottles
from keel.treatment.services.take_homes import HOLD_SUSPENDS, suspend_take_home_plans
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan, pinned_at_last_five_pm_utc, prescriber_ends

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("keel.treatment.migrations.0023_take_home_plan_end_kind")
DAYS = "2026-12-06, 2026-12-07"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        (bottles.NOT_HANDED_OUT.format(days=DAYS, mg="80", why="A step above 10 mg."), "kept_back"),
        (bottles.NOTHING_GIVEN.format(days=DAYS), "nothing_given"),
        (bottles.VOIDED_NOT_HANDED_OUT.format(days=DAYS, day="2026-12-04"), "voided"),
        (bottles.TAKEN_BACK_FROM_TODAY.format(days=DAYS, day="2026-12-01", mg="80", why="x."), "taken_back"),
        (HOLD_SUSPENDS.format(day="2026-12-05"), "hold"),
        (
            bottles.NOTHING_GIVEN.format(days=DAYS)
            + bottles.EARLIER_END.format(day="2026-12-09", reason="Relapse reported, seen in clinic"),
            "after_earlier_end",
        ),
        ("Relapse reported at group this week; bottles stop, review in clinic.", "prescriber"),
    ],
)
def test_the_migration_reads_each_end_as_the_code_read_it(reason: str, kind: str) -> None:
    assert MIGRATION.end_kind_of(1, reason) == kind


def test_the_migration_reads_an_end_with_no_one_as_a_discharge() -> None:
    assert MIGRATION.end_kind_of(None, "") == "discharge"


def test_every_kind_the_migration_writes_is_a_choice() -> None:
    assert {kind for kind, _ in MIGRATION._KINDS} | {"discharge", "prescriber", "after_earlier_end"} <= set(
        PlanEnd.values
    )


def _ended_today(world: World, kind: str, reason: str) -> tuple[TakeHomePlan, object]:
    today = local_today(world.alice)
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    plan.ended_on, plan.ended_by, plan.ended_at = today, world.staff["nurse"], timezone.now()
    plan.end_reason, plan.end_kind = reason, kind
    plan.save()
    return plan, today


def test_a_keep_back_is_read_from_its_kind(world: World) -> None:
    plan, today = _ended_today(world, PlanEnd.KEPT_BACK, "")
    assert bottles.kept_back_today(plan, today)


def test_a_prescribers_end_in_the_keep_backs_words_is_not_a_keep_back(world: World) -> None:
    """The English words no longer decide: a prescriber who typed them ended the plan for good."""
    today = local_today(world.alice)
    tomorrow = (today + timedelta(days=1)).isoformat()
    words = bottles.NOT_HANDED_OUT.format(days=f"{tomorrow}, x", mg="80", why="y.")
    plan, today = _ended_today(world, PlanEnd.PRESCRIBER, words)
    assert not bottles.kept_back_today(plan, today)


def test_nothing_given_is_read_from_its_kind(world: World) -> None:
    plan, today = _ended_today(world, PlanEnd.NOTHING_GIVEN, "")
    assert bottles.goes_home_at_a_dose_today(plan, today)


def test_an_end_over_an_earlier_one_is_never_undone(world: World) -> None:
    plan, today = _ended_today(world, PlanEnd.AFTER_EARLIER_END, "")
    assert not bottles.kept_back_today(plan, today)


def test_a_hold_stores_its_kind(world: World) -> None:
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=1))
    suspend_take_home_plans(
        by=world.staff["nurse"], patient=world.alice, held_on=local_today(world.alice), now=timezone.now()
    )
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.HOLD


def test_a_prescribers_end_stores_its_kind(world: World) -> None:
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=1))
    prescriber_ends(world, plan, "Relapse reported at group this week; bottles stop, review in clinic.")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.PRESCRIBER
