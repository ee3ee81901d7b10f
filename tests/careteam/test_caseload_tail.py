"""A page past the caseload's signalled people (issue #21): `tail._tail` counts the people with a signal
and orders everyone else from one light statement, each missed-days count read only up to MISSED_DAYS
(the day before yesterday's and yesterday's doses as two hashed reads; the episode's first dose and the
take-home plans only for people in an episode not dosed yesterday). Pinned here against `_ranked` over
everyone (the full count for each person, `count_missed` over the whole look-back): the same number of
people with a signal and, for everyone else, the same entries (key, name, id, row: missed days, silence, in
care, record number) in the same order. Over the varied population of test_caseload_top.py at several
"todays", and over every history of the missed days' tests plus review 13a's (voided, zeroed, corrected,
held or buprenorphine-only doses yesterday, a take-home day yesterday, readmitted today, two care teams,
a program at UTC+14) at moments either side of each zone's midnight; for every role and status. The pages
themselves are held to the slow list by test_caseload_top.py and tests/review13a. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from django.db.models import Q

from keel.access import policy
from keel.careteam.queries.ranking import _ranked
from keel.careteam.queries.reads import _open_flags
from keel.careteam.queries.statuses import _status_filter
from keel.careteam.queries.tail import _tail
from keel.core.rules.caseload import NO_SIGNAL
from keel.patients.models import Patient, day_in
from tests.careteam.test_caseload_order import CASES, _vary
from tests.careteam.test_caseload_signals import NOW, _population
from tests.conftest import World
from tests.review13a.test_caseload_others_pages import MOMENTS
from tests.review13a.test_caseload_others_pages import everyone as everyone  # the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.clock_free]  # clock_free: see pyproject's markers


@pytest.fixture
def varied(world: World) -> list[Patient]:
    patients = _population(world, people=90)
    _vary(world, patients)
    return patients


def _both(user: Any, status: str | None, now: datetime) -> tuple[Any, Any]:
    """`_tail`'s answer for this reader at `now`, and the same from `_ranked` over everyone."""
    scope = policy.patients_visible_to(user)
    where = _status_filter(user, status)
    if where is not None:
        scope = scope.filter(where)
    areas = policy.areas_for_role(user.role)
    zones = dict(scope.values_list("pk", "program__time_zone"))
    days = {z: day_in(z, now) for z in set(zones.values())}
    today = {pk: days[z] for pk, z in zones.items()}
    flags = _open_flags(scope, today, policy.flags_visible(areas) or Q())  # as the listing (fix35e)
    fast = _tail(scope, areas, days, today, flags, len(today))
    exact = _ranked(scope, None, areas, days, today, None, len(today))
    signalled = [e for e in exact if cast(int, e[0][0]) < NO_SIGNAL]
    assert exact[: len(signalled)] == signalled  # everyone with a signal first
    return fast, (len(signalled), exact[len(signalled) :])


@pytest.mark.parametrize("shift", [0, 1, -2, 5])
def test_the_tail_is_the_full_rankings_tail(world: World, varied: list[Patient], shift: int) -> None:
    for role, status in CASES:
        fast, exact = _both(world.staff[role], status, NOW + timedelta(days=shift))
        assert fast == exact, (role, status, shift)


def test_the_tail_is_the_full_rankings_tail_at_every_moment(world: World, everyone: list[Patient]) -> None:
    for now in MOMENTS:
        for role, status in CASES:
            fast, exact = _both(world.staff[role], status, now)
            assert fast == exact, (now, role, status)


def test_the_population_reaches_every_capped_count(world: World, everyone: list[Patient]) -> None:
    """Past the signalled people: a count of 0, of 1 and none (not on methadone), silences of a few days;
    among them: counts of 2 and of more than 2 (the cap), and people signalled by a flag only."""
    (signalled, tail), (_, _) = _both(world.staff["nurse"], "all", MOMENTS[3])
    counts = {e[3].signals.missed_dose_days for e in tail}
    assert {0, 1, None} <= counts
    assert any((e[3].signals.days_since_checkin or 0) > 0 for e in tail)
    scope = policy.patients_visible_to(world.staff["nurse"])
    zones = dict(scope.values_list("pk", "program__time_zone"))
    days = {z: day_in(z, MOMENTS[3]) for z in set(zones.values())}
    today = {pk: days[z] for pk, z in zones.items()}
    exact = _ranked(scope, None, policy.areas_for_role("nurse"), days, today, None, len(today))
    missed = [e[3].signals.missed_dose_days or 0 for e in exact[:signalled]]
    assert 2 in missed and any(m > 2 for m in missed)
    assert any(e[3].signals.flags and (e[3].signals.missed_dose_days or 0) < 2 for e in exact[:signalled])
