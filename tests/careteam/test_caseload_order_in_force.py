"""The caseload's "on methadone" is the order in force on the person's today (their program's zone), Keel's
one definition (`keel.treatment.models.in_force_q`), not an order whose status is active: an order written
to start later (`deferred`) is not in force before its start day, and the order it supersedes stays in
force until then. Read at once (a short list), through the head and through a page past it, and against
the slow list (`test_caseload_order._before`). SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.paginator import Paginator

from keel.careteam import queries
from keel.careteam.queries import reads
from keel.patients.models import Patient
from keel.treatment.models import MedicationOrder, OrderStatus
from tests.careteam.test_caseload_missed_sql import NOW, TODAY, _Maker
from tests.careteam.test_caseload_order import _before
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _restarted(m: _Maker, starts_in: int) -> Patient:
    """Dosed from 40 to 20 days ago under an order now stopped, and a new order written today to start in
    `starts_in` days (deferred): no order in force before that day."""
    p = m.person()
    m.daily(p, range(20, 41))
    MedicationOrder.objects.filter(patient=p, medication="methadone").update(status=OrderStatus.STOPPED)
    _deferred(m, p, starts_in, supersedes=None)
    return p


def _deferred(m: _Maker, p: Patient, starts_in: int, supersedes: MedicationOrder | None) -> MedicationOrder:
    return MedicationOrder.objects.create(
        patient=p,
        medication="methadone",
        rxnorm="6813",
        dose_mg=60,
        starts_on=TODAY + timedelta(days=starts_in),
        deferred=True,
        prescriber=m.world.staff["prescriber"],
        created_at=NOW - timedelta(hours=1),
        supersedes=supersedes,
    )


def _superseded(m: _Maker, starts_in: int) -> Patient:
    """Dosed daily up to 4 days ago under an order superseded today by one that starts in `starts_in`
    days: the superseded order is in force until then (3 days missed, a signal)."""
    p = m.person()
    m.daily(p, range(4, 41))
    old = MedicationOrder.objects.get(patient=p, medication="methadone")
    old.status = OrderStatus.SUPERSEDED
    old.save(update_fields=["status"])
    _deferred(m, p, starts_in, supersedes=old)
    return p


def _rows(user: Any, now: datetime) -> dict[int, dict[str, Any]]:
    """Every row, read whole and page by page (each page of one: the head's and the ones past it)."""
    whole = {r.id: asdict(r) for r in queries.caseload(user, now=now, status="all")}
    pages = Paginator(queries.caseload(user, now=now, status="all"), 1)
    assert {r.id: asdict(r) for n in reversed(pages.page_range) for r in pages.get_page(n)} == whole
    return whole


@pytest.mark.parametrize("head_above", [reads.HEAD_ABOVE, 0])
def test_a_deferred_order_is_not_the_current_one(
    world: World, monkeypatch: pytest.MonkeyPatch, head_above: int
) -> None:
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", head_above)
    m = _Maker(world)
    restarted = _restarted(m, starts_in=5)
    superseded = _superseded(m, starts_in=2)
    plain = m.person()  # dosed every day: on methadone, nothing missed
    m.daily(plain, range(1, 41))
    nurse = world.staff["nurse"]
    rows = _rows(nurse, NOW)
    # Not on methadone (no order in force): no missed days, no signal, though an order is active.
    assert rows[restarted.pk]["missed_dose_days"] is None
    assert rows[restarted.pk]["tier"] == "none"
    # The superseded order is in force until the new one starts: the days missed since count.
    assert rows[superseded.pk]["missed_dose_days"] == 3
    assert rows[superseded.pk]["tier"] == "soon"
    assert rows[plain.pk]["missed_dose_days"] == 0
    assert list(rows.values()) == [asdict(r) for r in _before(nurse, now=NOW, status="all")]
    # From the start day on, the new order is in force: the restarted person's days missed count again.
    later = _rows(nurse, NOW + timedelta(days=5))
    assert later[restarted.pk]["missed_dose_days"] == 24  # since the dose 20 days before
    assert later[superseded.pk]["missed_dose_days"] == 8
    assert list(later.values()) == [
        asdict(r) for r in _before(nurse, now=NOW + timedelta(days=5), status="all")
    ]


@pytest.mark.parametrize("head_above", [reads.HEAD_ABOVE, 0])
def test_the_start_day_is_the_persons_own(
    world: World, monkeypatch: pytest.MonkeyPatch, head_above: int
) -> None:
    """An order starting tomorrow in New York: not in force at 22:00 there (already tomorrow in UTC), in
    force at 05:00 the next morning."""
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", head_above)
    m = _Maker(world)
    p = _restarted(m, starts_in=1)
    nurse = world.staff["nurse"]
    evening = NOW + timedelta(hours=13)  # 22:00 in New York, 03:00 the next day in UTC
    assert evening.date() == TODAY + timedelta(days=1)
    assert _rows(nurse, evening)[p.pk]["missed_dose_days"] is None
    assert _rows(nurse, NOW + timedelta(hours=20))[p.pk]["missed_dose_days"] == 20
    for now in (evening, NOW + timedelta(hours=20)):
        assert list(_rows(nurse, now).values()) == [asdict(r) for r in _before(nurse, now=now, status="all")]
