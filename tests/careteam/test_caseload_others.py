"""A page past the caseload's head (issue #21): the people who cannot have a signal are read lightly
(`others._others`: no missed days counted) and only those it cannot place exactly are ranked the full way
(`_ranked`). Pinned here against `_ranked` over everyone: each person `_others` places has `_ranked`'s entry
(the same key, name, id and row: missed days, silence, in care, record number), every person not in the
head is placed or left to `_ranked`, and most are placed. Over the varied population of
tests/careteam/test_caseload_top.py, at several "todays", for several roles; run on SQLite and PostgreSQL.
The pages themselves are held to the slow list by test_caseload_top.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Q

from keel.access import policy
from keel.careteam.queries.head import _may_have_a_signal
from keel.careteam.queries.others import _others
from keel.careteam.queries.ranking import _entry_order, _ranked
from keel.careteam.queries.reads import _open_flags
from keel.careteam.queries.statuses import _status_filter
from keel.patients.models import Patient, day_in
from tests.careteam.test_caseload_order import CASES, _vary
from tests.careteam.test_caseload_signals import NOW, _population
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.clock_free]  # clock_free: see pyproject's markers


@pytest.fixture
def varied(world: World) -> list[Patient]:
    patients = _population(world, people=90)
    _vary(world, patients)
    return patients


def _read(user: Any, status: str | None, shift: int) -> tuple[Any, dict[int, Any], set[int]]:
    """`_others`' answer for this reader at NOW + shift days, `_ranked`'s entry of everyone, and the head."""
    now = NOW + timedelta(days=shift)
    scope = policy.patients_visible_to(user)
    where = _status_filter(user, status)
    if where is not None:
        scope = scope.filter(where)
    areas = policy.areas_for_role(user.role)
    zones = dict(scope.values_list("pk", "program__time_zone"))
    days = {z: day_in(z, now) for z in set(zones.values())}
    today = {pk: days[z] for pk, z in zones.items()}
    maybe = _may_have_a_signal(areas, days)
    assert maybe is not None
    head = set(scope.filter(maybe).values_list("pk", flat=True))
    flags = _open_flags(scope, today, policy.flags_visible(areas) or Q())  # as the listing (fix35e)
    others = _others(scope, areas, days, today, flags, len(today), head)
    exact = {e[2]: e for e in _ranked(scope, None, areas, days, today, None, len(today))}
    return others, exact, head


@pytest.mark.parametrize("shift", [0, 1, -2, 5])
def test_each_person_placed_lightly_has_the_full_ranks_entry(
    world: World, varied: list[Patient], shift: int
) -> None:
    for role, status in CASES:
        (entries, _unsure), exact, _head = _read(world.staff[role], status, shift)
        for entry in entries:
            assert entry == exact[entry[2]], (role, status, shift, entry[2])


@pytest.mark.parametrize("shift", [0, 1, -2, 5])
def test_everyone_past_the_head_is_placed_or_left_to_the_full_rank(
    world: World, varied: list[Patient], shift: int
) -> None:
    for role, status in CASES:
        (entries, unsure), exact, head = _read(world.staff[role], status, shift)
        placed = [e[2] for e in entries]
        assert sorted([*placed, *unsure]) == sorted(set(exact) - head), (role, status, shift)


@pytest.mark.parametrize("shift", [0, 1, -2, 5])
def test_the_light_read_is_in_the_caseloads_order(world: World, varied: list[Patient], shift: int) -> None:
    for role, status in CASES:
        (entries, _unsure), _exact, _head = _read(world.staff[role], status, shift)
        assert entries == sorted(entries, key=_entry_order), (role, status, shift)


def test_most_people_past_the_head_are_placed_lightly(world: World, varied: list[Patient]) -> None:
    for role, status in CASES:
        (entries, unsure), _exact, _head = _read(world.staff[role], status, 0)
        assert len(entries) > len(unsure), (role, status)


def test_the_light_read_places_people_on_methadone_and_people_who_check_in(
    world: World, varied: list[Patient]
) -> None:
    """The population reaches both parts of the light read: a count of 0 (a dose yesterday) and a silence
    of a few days (a check-in before today)."""
    (entries, _unsure), _exact, _head = _read(world.staff["nurse"], "all", 0)
    signals = [e[3].signals for e in entries]
    assert any(s.missed_dose_days == 0 for s in signals)
    assert any((s.days_since_checkin or 0) > 0 for s in signals)
