"""Lane priv30, item 4: `episode_plans` reads a plan stored before plans named their episode (no enrollment)
as of the episode in which it was decided, on the program's calendar day, never the UTC date of
`decided_at`. New York: 23:30 the evening before the episode began is the next day in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import episode_plans
from tests.conftest import World

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


class _Plan(NamedTuple):
    patient_id: int
    enrollment_id: int | None
    decided_at: datetime


def _at(day: date, hour: int, minute: int) -> datetime:
    """New York's wall clock on `day`, as the database hands `decided_at` back: in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def _kept(world: World, decided_at: datetime, started_on: date) -> bool:
    plan = _Plan(world.alice.pk, None, decided_at)
    return episode_plans([plan], {world.alice.pk: (999_999, started_on)}) == [plan]


@pytest.fixture(autouse=True)
def _in_new_york(world: World) -> None:
    program = world.alice.program
    program.time_zone = "America/New_York"
    program.save(update_fields=["time_zone"])


def test_a_plan_decided_at_23_30_the_evening_before_is_not_of_the_episode(world: World) -> None:
    started_on = local_today(world.alice)
    decided = _at(started_on - timedelta(days=1), 23, 30)
    assert decided.date() == started_on  # the UTC date says otherwise
    assert not _kept(world, decided, started_on)


def test_a_plan_decided_at_00_30_on_the_first_day_is_of_the_episode(world: World) -> None:
    started_on = local_today(world.alice)
    assert _kept(world, _at(started_on, 0, 30), started_on)


def test_a_plan_naming_its_episode_is_kept_whatever_its_hour(world: World) -> None:
    started_on = local_today(world.alice)
    plan = _Plan(world.alice.pk, 999_999, _at(started_on - timedelta(days=1), 23, 30))
    assert episode_plans([plan], {world.alice.pk: (999_999, started_on)}) == [plan]


class _ValuesPlan(NamedTuple):
    """A plan read as values with its program's zone (`missed.CountedPlan`: the caseload's statement)."""

    patient_id: int
    enrollment_id: int | None
    decided_at: datetime
    time_zone: str


def test_a_plan_read_with_its_zone_asks_no_statement_for_it(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started_on = local_today(world.alice)
    plan = _ValuesPlan(world.alice.pk, None, _at(started_on - timedelta(days=1), 23, 30), "America/New_York")
    with CaptureQueriesContext(connection) as asked:
        kept = episode_plans([plan], {world.alice.pk: (999_999, started_on)})
    assert (kept, len(asked.captured_queries)) == ([], 0)


def test_a_plan_read_with_its_zone_is_judged_on_that_zone(world: World) -> None:
    started_on = local_today(world.alice)
    plan = _ValuesPlan(world.alice.pk, None, _at(started_on, 0, 30), "America/New_York")
    assert episode_plans([plan], {world.alice.pk: (999_999, started_on)}) == [plan]
