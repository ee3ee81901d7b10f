"""A page past the caseload's signalled people cut by the database (issue #21): `tail_page._tail_page` counts
the signalled people and orders everyone else in SQL (the missed days capped at MISSED_DAYS from `_tail`'s
own reads, the take-home days from `_take_home_counts`, the silence, the name by `Patient.sort_name` in
code-point order, the id) and returns only the page's rows. Pinned here against the old read, `_tail` (one
light statement over everyone, ordered in Python; itself held to the full ranking by
test_caseload_tail.py): the same count of signalled people and, for every page of 3 and 50 places past
them, the same entries (key, name, id, row) as the old read's slice; for every role and status over the
varied population at several "todays" and over every missed-days history at moments either side of each
zone's midnight. Through `Caseload`: every page equal to the old read's page. A person added between the
audited list and the page: the page statement sees other people than the audit row names and the old read
answers. The sort key: kept on insert, `bulk_create` and a save of a name. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keel.access import policy
from keel.access.policy import Area
from keel.careteam import queries
from keel.careteam.queries.reads import _open_flags
from keel.careteam.queries.statuses import _status_filter
from keel.careteam.queries.tail import _tail
from keel.careteam.queries.tail_page import _tail_page, _take_home_counts
from keel.core.names import sort_key
from keel.core.rules.caseload import MISSED_DAYS
from keel.patients.models import CareTeamMember, Patient, day_in
from tests.careteam.test_caseload_order import CASES, _vary
from tests.careteam.test_caseload_signals import NOW, _population
from tests.conftest import World
from tests.review13a.test_caseload_others_pages import MOMENTS
from tests.review13a.test_caseload_others_pages import everyone as everyone  # the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.clock_free]  # clock_free: see pyproject's markers


@pytest.fixture(autouse=True)
def _always_a_head(monkeypatch: pytest.MonkeyPatch) -> None:
    """A head, and pages past it cut by the database, at every size (above the thresholds only, in use)."""
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", 0)
    monkeypatch.setattr("keel.careteam.queries.listing.TAIL_IN_SQL_ABOVE", 0)


@pytest.fixture
def varied(world: World) -> list[Patient]:
    patients = _population(world, people=90)
    _vary(world, patients)
    return patients


def _reads(user: Any, status: str | None, now: datetime) -> tuple[Any, ...]:
    scope = policy.patients_visible_to(user)
    where = _status_filter(user, status)
    if where is not None:
        scope = scope.filter(where)
    areas = policy.areas_for_role(user.role)
    zones = dict(scope.values_list("pk", "program__time_zone"))
    days = {z: day_in(z, now) for z in set(zones.values())}
    today: dict[int, date] = {pk: days[z] for pk, z in zones.items()}
    return scope, areas, days, today


def _every_page_is_the_old_reads(user: Any, status: str | None, now: datetime) -> int:
    """Every page of 1, 7 and 50 places past the signalled people, against `_tail`'s slice; how many
    places past them there were."""
    scope, areas, days, today = _reads(user, status, now)
    seen = policy.flags_visible(areas)  # the flags the role sees rank for it (lane fix35e)
    flags = _open_flags(scope, today, seen) if seen is not None else {}
    signalled, tail = _tail(scope, areas, days, today, flags, len(today))
    given = _take_home_counts(scope, days, today, len(today)) if Area.CLINICAL in areas else {}
    audited = (len(today), sum(today))
    n = len(today)
    for size in (3, 50):
        for start in [*range(signalled, n, size), max(0, signalled - 3), 0]:
            stop = min(start + size, n)
            got = _tail_page(scope, areas, days, audited, given, n, start, stop)
            assert got is not None, (user.role, status, now, size, start)
            assert got[0] == signalled, (user.role, status, now)
            # the places from the signalled people's end on
            expected = tail[max(start, signalled) - signalled : max(stop, signalled) - signalled]
            assert got[1] == expected, (user.role, status, now, size, start)
    return n - signalled


@pytest.mark.parametrize("shift", [0, 1, -2, 5])
def test_every_page_past_the_signalled_is_the_old_reads(
    world: World, varied: list[Patient], shift: int
) -> None:
    for role, status in CASES:
        assert _every_page_is_the_old_reads(world.staff[role], status, NOW + timedelta(days=shift)) > 0


def test_every_page_past_the_signalled_is_the_old_reads_at_every_moment(
    world: World, everyone: list[Patient]
) -> None:
    for now in MOMENTS:
        for role, status in CASES:
            _every_page_is_the_old_reads(world.staff[role], status, now)


def test_take_home_days_shorten_counts_the_page_is_given(world: World, everyone: list[Patient]) -> None:
    """The population has people whose count a take-home day shortens (else `given` would go untested)."""
    shortened = 0
    for now in MOMENTS:
        scope, _areas, days, today = _reads(world.staff["nurse"], "all", now)
        given = _take_home_counts(scope, days, today, len(today))
        shortened += sum(n < MISSED_DAYS for n in given.values())
    assert shortened


def _old(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old read: every page past the head from `_tail`."""
    monkeypatch.setattr("keel.careteam.queries.listing._tail_page", lambda *args: None)


@pytest.mark.parametrize("size", [7, 50])
def test_every_caseload_page_is_the_old_reads(
    world: World, varied: list[Patient], monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    for role, status in CASES:
        user = world.staff[role]
        new = Paginator(queries.caseload(user, now=NOW, status=status), size)
        pages = {n: [asdict(r) for r in new.get_page(n)] for n in new.page_range}
        with monkeypatch.context() as m:
            _old(m)
            old = Paginator(queries.caseload(user, now=NOW, status=status), size)
            assert {n: [asdict(r) for r in old.get_page(n)] for n in old.page_range} == pages, (role, status)


def test_a_page_past_the_head_is_one_statement_however_deep(world: World, varied: list[Patient]) -> None:
    """The first page past the signalled people reads the take-home counts first (three statements at most
    here: the plans' observed days too); every other page is one statement, the last as the second; a page
    read again is none."""
    fast = queries.caseload(world.staff["nurse"], now=NOW, status="all")
    signalled = len(fast.signalled())
    with CaptureQueriesContext(connection) as first:
        fast[signalled : signalled + 5]
    counts = []
    for start in (signalled + 5, len(fast) - 5):
        with CaptureQueriesContext(connection) as ctx:
            fast[start : start + 5]
        counts.append(len(ctx.captured_queries))
    with CaptureQueriesContext(connection) as again:
        fast[signalled : signalled + 5]
    assert counts[0] == counts[1]  # however deep
    if connection.vendor == "sqlite":  # PostgreSQL adds its planner setting's savepoint around each
        # Session 24: a take-home plan with a bottle day due that its record is silent on reads the observed
        # days once (`missed.visits_of`: a bottle whose hand-out day passed with no dose never
        # left, the dose context's rule): one statement more than the three before.
        assert len(first.captured_queries) <= 4
        assert counts == [1, 1]
    assert len(again.captured_queries) == 0


def test_a_person_added_after_the_audit_row_is_not_listed(
    world: World, varied: list[Patient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page statement sees a person the audit row does not name: it answers None and the old read
    (the audited people only) gives the page."""
    nurse = world.staff["nurse"]
    fast = queries.caseload(nurse, now=NOW, status="all")
    with monkeypatch.context() as m:
        _old(m)
        old = queries.caseload(nurse, now=NOW, status="all")
    late = Patient.objects.create(
        program=world.riverside, record_number="LATE-1", given_name="Aaron", family_name="Late"
    )
    CareTeamMember.objects.create(patient=late, user=nurse)
    answers: list[Any] = []
    real = _tail_page
    monkeypatch.setattr(
        "keel.careteam.queries.listing._tail_page", lambda *args: answers.append(real(*args)) or answers[-1]
    )
    rows = [asdict(r) for r in fast[len(fast) - 20 :]]
    assert answers == [None]
    monkeypatch.setattr("keel.careteam.queries.listing._tail_page", lambda *args: None)
    assert rows == [asdict(r) for r in old[len(old) - 20 :]]
    assert late.pk not in {r["id"] for r in rows}


@pytest.mark.parametrize(
    ("preferred", "given", "family"),
    [("", "Straße", "Ünal"), ("ﬁona", "Fiona", "ΣΊΣΥΦΟΣ"), ("", "ǅemal", "İnce"), ("", "Anna", "anna")],
)
def test_the_sort_key_is_the_shown_name_casefolded(
    world: World, preferred: str, given: str, family: str
) -> None:
    p = Patient.objects.create(
        program=world.riverside, record_number="SK-1", given_name="x", family_name="y", preferred_name=""
    )
    assert Patient.objects.get(pk=p.pk).sort_name == "x y"
    p.preferred_name, p.given_name, p.family_name = preferred, given, family
    p.save(update_fields=["preferred_name", "given_name", "family_name"])
    # review 35e hole 3 (fix36c): the key is `core.names.sort_key`, no longer `casefold` alone
    assert Patient.objects.get(pk=p.pk).sort_name == sort_key(p.display_name)
    p.given_name = "Zed"
    p.save(update_fields=["given_name"])  # the key is written with the name part
    assert Patient.objects.get(pk=p.pk).sort_name == sort_key(p.display_name)
    (q,) = Patient.objects.bulk_create(
        [Patient(program=world.riverside, record_number="SK-2", given_name=given, family_name=family)]
    )
    assert Patient.objects.get(pk=q.pk).sort_name == sort_key(f"{given} {family}")


def test_the_database_orders_the_key_as_python_compares_it(world: World) -> None:
    """Code-point order (`COLLATE "C"` on PostgreSQL, BINARY on SQLite), not the database's collation."""
    names = [
        "zoë",
        "zoe",
        "ß",
        "ss",
        "ﬁ",
        "fi",
        "é",
        "f",
        "Z",
        "a",
        "\u03c3",
        "\u03c2",
        "\u03c9",
        "😀",
        "ǆ",
        "z",
    ]
    for n, name in enumerate(names):
        Patient.objects.create(
            program=world.riverside, record_number=f"CP-{n}", given_name=name, family_name=""
        )
    code_points = '"C"' if connection.vendor == "postgresql" else "BINARY"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sort_name FROM patients_patient WHERE record_number LIKE 'CP-%%' "  # nosec B608
            f"ORDER BY sort_name COLLATE {code_points}, id"
        )
        ordered = [row[0] for row in cursor.fetchall()]
    assert ordered == sorted(sort_key(f"{name} ") for name in names)  # review 35e hole 3: the folded key
