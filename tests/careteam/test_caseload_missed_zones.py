"""The caseload's missed days, read in its signals statement (`with_missed_day_reads`, ORM subqueries per
person, counted by `count_missed`, issue #21), held to the slow caseload (`_before`: `dose_contexts` per
person, the one definition) row by row, on SQLite and PostgreSQL: every history of
tests/careteam/test_caseload_missed_sql.py (voided, zeroed and corrected doses, holds, take-home days of
this episode and an earlier one, a discharge and readmission, no episode, ...) and a few more: no methadone
order, a stopped one, and people of a program in another time zone (Los Angeles) whose last dose was given
at 23:30 local, read at moments when its day and New York's differ, by staff who work in both programs (the
statement's today is each program's). Every list is read through the head (`_may_have_a_signal`'s people
first), whole (a page past it) and as a short list (everyone at once)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.paginator import Paginator

from keel.accounts.models import ProgramMembership
from keel.careteam import queries
from keel.patients.models import Enrollment, Patient, day_in
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.queries import count_missed, dose_contexts, missed_days, with_missed_day_reads
from keel.treatment.queries.missed import MISSED_READS
from tests.careteam.test_caseload_missed_sql import HISTORIES, NOW, _Maker
from tests.careteam.test_caseload_order import _before
from tests.conftest import World

pytestmark = pytest.mark.django_db
LOS_ANGELES = "America/Los_Angeles"
# NOW (14:00 UTC): the same day in both zones; 06:00 UTC: 01:00 in New York, 22:00 the day before in Los
# Angeles; 07:45 UTC on the next day: 23:45 in Los Angeles, already the next day in New York.
MOMENTS = [NOW, NOW - timedelta(hours=8), NOW + timedelta(hours=17, minutes=45)]


def _in_los_angeles(world: World, p: Patient) -> Patient:
    Patient.objects.filter(pk=p.pk).update(program=world.lakeside)
    Enrollment.objects.filter(patient=p).update(program=world.lakeside)
    p.refresh_from_db()
    return p


def _late_evening_dose_yesterday_in_los_angeles(m: _Maker) -> Patient:
    """Dosed every day up to Los Angeles' day before NOW's, the last at 23:30 local (07:30 UTC the next
    day: a day later in UTC and in New York)."""
    p = _in_los_angeles(m.world, m.person())
    m.daily(p, range(2, 40))
    m.dose(p, 1, recorded_ago=(14 - 7.5) / 24)  # 11-24 23:30 in Los Angeles: 11-25 07:30 UTC
    return p


def _last_dosed_three_days_ago_in_los_angeles(m: _Maker) -> Patient:
    p = _in_los_angeles(m.world, m.person())
    m.daily(p, range(3, 40))
    return p


def _dosed_at_23_30_tonight_after_two_missed_in_los_angeles(m: _Maker) -> Patient:
    """A dose on Los Angeles' 25th at 23:30 local (07:30 UTC on the 26th, New York's day), after two days
    missed: on the 25th it is today's (the two days before are missed), on the 24th a day after today."""
    p = _in_los_angeles(m.world, m.person())
    m.daily(p, range(3, 40))
    m.dose(p, 0, recorded_ago=-17.5 / 24)
    return p


def _take_home_day_in_los_angeles(m: _Maker) -> Patient:
    p = _in_los_angeles(m.world, m.person())
    m.daily(p, range(3, 40))
    m.bottles(p, [2, 1], enrollment=Enrollment.objects.get(patient=p, status="active"))
    return p


def _no_methadone_order(m: _Maker) -> Patient:
    p = m.person()
    MedicationOrder.objects.filter(patient=p, medication="methadone").delete()
    m.daily(p, range(1, 20), medication="buprenorphine", mg="16")
    return p


def _methadone_order_stopped(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(5, 30))
    MedicationOrder.objects.filter(patient=p, medication="methadone").update(status=OrderStatus.STOPPED)
    return p


MORE = [
    _late_evening_dose_yesterday_in_los_angeles,
    _last_dosed_three_days_ago_in_los_angeles,
    _dosed_at_23_30_tonight_after_two_missed_in_los_angeles,
    _take_home_day_in_los_angeles,
    _no_methadone_order,
    _methadone_order_stopped,
]


@pytest.fixture
def everyone(world: World) -> list[Patient]:
    world.lakeside.time_zone = LOS_ANGELES
    world.lakeside.save(update_fields=["time_zone"])
    for role in ("nurse", "program_admin"):
        ProgramMembership.objects.get_or_create(user=world.staff[role], program=world.lakeside)
    m = _Maker(world)
    people = [history(m) for history in [*HISTORIES, *MORE]]
    for p in people:
        p.refresh_from_db()
    return people


@pytest.mark.parametrize("now", MOMENTS, ids=["same day", "new york ahead", "late evening in los angeles"])
@pytest.mark.parametrize("head_above", [0, 10_000])
def test_every_row_is_the_slow_caseloads(
    world: World, everyone: list[Patient], monkeypatch: pytest.MonkeyPatch, now: datetime, head_above: int
) -> None:
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", head_above)
    for role, status in [
        ("nurse", "all"),
        ("nurse", "current"),
        ("program_admin", "all"),
        ("program_admin", None),
    ]:
        user = world.staff[role]
        expected = [asdict(r) for r in _before(user, now=now, status=status)]
        assert {r["id"] for r in expected} >= ({p.pk for p in everyone} if status == "all" else set())
        first = Paginator(queries.caseload(user, now=now, status=status), 7).get_page(1)
        assert [asdict(r) for r in first] == expected[:7], (role, status)
        assert [asdict(r) for r in queries.caseload(user, now=now, status=status)] == expected, (role, status)


def test_the_zones_reach_their_edges(world: World, everyone: list[Patient]) -> None:
    """The expected counts themselves at the moments where the zones' days differ."""
    by_name = {h.__name__.strip("_"): p for h, p in zip([*HISTORIES, *MORE], everyone, strict=True)}
    nurse = world.staff["nurse"]
    late = MOMENTS[2]  # 23:45 in Los Angeles on the 25th; the 26th in New York
    with time_machine.travel(late, tick=False):
        rows = {r.id: r.missed_dose_days for r in queries.caseload(nurse, status="all")}
    assert day_in(LOS_ANGELES, late) == (NOW.date())
    assert day_in("America/New_York", late) > NOW.date()
    assert rows[by_name["late_evening_dose_yesterday_in_los_angeles"].pk] == 0  # dosed 23:30 local the 24th
    assert rows[by_name["last_dosed_three_days_ago_in_los_angeles"].pk] == 2
    assert rows[by_name["dosed_at_23_30_tonight_after_two_missed_in_los_angeles"].pk] == 2
    assert rows[by_name["take_home_day_in_los_angeles"].pk] == 0
    assert rows[by_name["dosed_yesterday"].pk] == 1  # New York's yesterday is the 25th
    assert rows[by_name["no_methadone_order"].pk] is None
    assert rows[by_name["methadone_order_stopped"].pk] is None


def test_one_statement_for_two_zones_is_each_persons_count(everyone: list[Patient]) -> None:
    """`with_missed_day_reads` with each zone's today (the caseload's read) and `missed_days` (one statement
    per distinct today) give `dose_contexts`' count for everyone, at each moment."""
    for now in MOMENTS:
        days = {zone: day_in(zone, now) for zone in ("America/New_York", LOS_ANGELES)}
        pairs = [(p, days[p.program.time_zone]) for p in everyone]
        expected = {pk: c.missed_days_in_a_row for pk, c in dose_contexts(pairs, "methadone").items()}
        people = with_missed_day_reads(
            Patient.objects.filter(pk__in=[p.pk for p in everyone]), "methadone", days
        )
        reads = {pk: tuple(values) for pk, *values in people.values_list("pk", *MISSED_READS)}
        assert count_missed(reads, {p.pk: today for p, today in pairs}) == expected, now
        assert missed_days(pairs, "methadone") == expected, now
        assert len(set(days.values())) == (1 if now == NOW else 2)
