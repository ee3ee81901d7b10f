"""The caseload's head (issue #21, top-k): the first pages rank only the people who may have a signal
(`head._may_have_a_signal`, one statement) and everyone is ranked only for a page past them. Pinned here
against the caseload the slow way (`_before`: a Patient per person, `dose_contexts`' own count, every row
said, the whole list sorted on `rank(...).key`) over a varied population with ties (names that differ only
in case, one whole name shared by several, flags raised at one moment, equal signals): the head's selection
never leaves out anyone with a signal, whatever "today" is; each page inside the head is the slow list's
page, read without ranking everyone; a page past it is too. A short list (HEAD_ABOVE people or fewer) is
ranked at once (tests/careteam/test_caseload_order.py); here every list has a head. Run on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any, cast

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from keel.access import policy
from keel.careteam import queries
from keel.careteam.queries.head import _bounds, _may_have_a_signal
from keel.careteam.queries.ranking import _ranked
from keel.careteam.queries.reads import _open_flags
from keel.careteam.queries.statuses import _status_filter
from keel.core.rules.caseload import NO_SIGNAL, TIERS
from keel.patients.models import Patient, day_in
from tests.careteam.test_caseload_order import CASES, _before, _vary
from tests.careteam.test_caseload_signals import NOW, _population
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.clock_free]  # clock_free: see pyproject's markers


@pytest.fixture(autouse=True)
def _always_a_head(monkeypatch: pytest.MonkeyPatch) -> None:
    """The head at every size (above HEAD_ABOVE people only, in use), ranked in the smallest batches (a
    page's people first, then as many again: every settling step is taken)."""
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", 0)
    monkeypatch.setattr("keel.careteam.queries.head.HEAD_BATCH", 1)


@pytest.fixture
def varied(world: World) -> list[Patient]:
    patients = _population(world, people=90)
    _vary(world, patients)
    return patients


def _head(fast: queries.Caseload) -> list[int]:
    return fast.signalled()


@pytest.mark.parametrize("shift", [0, 1, -2, 5])
def test_everyone_with_a_signal_may_have_one(world: World, varied: list[Patient], shift: int) -> None:
    now = NOW + timedelta(days=shift)  # other "todays": other doses in the window, other silences
    for role, status in CASES:
        user = world.staff[role]
        expected = _before(user, now=now, status=status)
        signalled = {r.id for r in expected if r.tier != TIERS[NO_SIGNAL]}
        scope = policy.patients_visible_to(user)
        where = _status_filter(user, status)
        if where is not None:
            scope = scope.filter(where)
        zones = set(scope.values_list("program__time_zone", flat=True))
        maybe = _may_have_a_signal(policy.areas_for_role(user.role), {z: day_in(z, now) for z in zones})
        selected = set(scope.filter(maybe).values_list("pk", flat=True)) if maybe is not None else set()
        assert signalled <= selected, (role, status, shift, signalled - selected)
        # A head, not everyone: most people here have a dose or a check-in of the last days.
        assert len(selected) < len(expected), (role, status, shift)
        fast = queries.caseload(user, now=now, status=status)
        assert _head(fast) == [r.id for r in expected if r.tier != TIERS[NO_SIGNAL]], (role, status, shift)


def test_the_population_has_a_head_and_a_tail(world: World, varied: list[Patient]) -> None:
    rows = _before(world.staff["nurse"], now=NOW, status="all")
    tiers = [r.tier for r in rows]
    head = sum(t != TIERS[NO_SIGNAL] for t in tiers)
    assert 14 < head < len(rows) - 7  # pages of 7 inside the head, and past it
    keys = [(r.tier, len(r.reasons), r.missed_dose_days or 0, r.days_since_checkin or 0) for r in rows[:head]]
    assert len(set(keys)) < head  # equal signals: the name, then the id, decide
    names = [r.display_name.casefold() for r in rows]
    assert len(set(names)) < len(names)


def _page(user: Any, status: str | None, size: int, number: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Page `number` of `size` of a fresh caseload, the statements the page's cut made, and whether it ranked
    everyone."""
    fast = queries.caseload(user, now=NOW, status=status)
    with CaptureQueriesContext(connection) as ctx:
        page = Paginator(fast, size).get_page(number)
        rows = [asdict(r) for r in page]
    return rows, len(ctx.captured_queries), fast._people is not None and len(fast.signalled()) < len(fast)


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_page_is_the_slow_lists_page(world: World, varied: list[Patient], language: str) -> None:
    for role, status in CASES:
        user = world.staff[role]
        with translation.override(language):
            expected = [asdict(r) for r in _before(user, now=NOW, status=status)]
            head = len(_head(queries.caseload(user, now=NOW, status=status)))
            for size in (50, 7):
                theirs = Paginator(expected, size)
                for n in [*theirs.page_range, theirs.num_pages + 3]:
                    rows, statements, everyone = _page(user, status, size, n)
                    assert rows == list(theirs.get_page(n)), (role, status, size, n)
                    inside = min(n, theirs.num_pages) * size <= head
                    # No page ranks everyone: inside the head, the head's people only as far as the page
                    # needs (a statement a batch); past it, the signalled people counted and the others
                    # ordered from one light read (`_tail`).
                    assert not everyone, (role, status, size, n)
                    assert inside or statements > 0, (role, status, size, n)


def test_a_read_past_the_head_reads_the_others_once(world: World, varied: list[Patient]) -> None:
    fast = queries.caseload(world.staff["nurse"], now=NOW, status="all")
    head = len(fast.signalled())
    with CaptureQueriesContext(connection) as first:
        tail = fast[head : head + 5]
    with CaptureQueriesContext(connection) as again:
        assert [r.id for r in fast[head : head + 5]] == [r.id for r in tail]
        last = fast[-1]
        assert fast[0] == fast[:1][0]
        assert [r.id for r in fast[head - 2 : head + 2]] == [r.id for r in fast[head - 2 : head]] + [
            r.id for r in tail[:2]
        ]
    assert last == list(fast)[-1]  # everyone ranked (the API's read): the same last row
    assert len(first.captured_queries) > 0
    assert len(again.captured_queries) == 0
    with pytest.raises(IndexError):
        fast[len(fast)]


@pytest.mark.parametrize("shift", [0, 1, -2, 5])
def test_each_bound_is_at_or_before_the_persons_key(world: World, varied: list[Patient], shift: int) -> None:
    """`_bounds` (the head's order before it is ranked) never puts a person after their place: each part of
    the bound at most the same part of the person's `rank_key` (so the bound is before or at the key), the
    name theirs, for everyone who may have a signal, at other "todays" too."""
    now = NOW + timedelta(days=shift)
    exact, below = 0, 0
    for role, status in CASES:
        user = world.staff[role]
        scope = policy.patients_visible_to(user)
        where = _status_filter(user, status)
        if where is not None:
            scope = scope.filter(where)
        areas = policy.areas_for_role(user.role)
        zones = dict(scope.values_list("pk", "program__time_zone"))
        days = {z: day_in(z, now) for z in set(zones.values())}
        today = {pk: days[z] for pk, z in zones.items()}
        maybe = _may_have_a_signal(areas, days)
        if maybe is None:
            continue
        flags = _open_flags(scope, today, policy.flags_visible(areas) or Q())  # as the listing (fix35e)
        bounds = _bounds(scope, maybe, areas, days, today, flags, len(today))
        keys = {e[2]: e[:2] for e in _ranked(scope, None, areas, days, today, None, len(today))}
        assert {pk for _, _, pk in bounds} <= set(keys), (role, status, shift)
        for bound, name, pk in bounds:
            key, their_name = keys[pk]
            assert name == their_name, (role, status, shift, pk)
            assert all(cast(Any, b) <= k for b, k in zip(bound, key, strict=True)), (role, status, shift, pk)
            exact += bound == key
            below += bound < key
    # Some bounds are the keys themselves (no missed days to count), some are before them (bounded counts).
    assert exact, shift
    assert below, shift
