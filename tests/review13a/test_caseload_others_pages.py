"""Review 13a: the caseload past its signalled group (`others._others`, a light read placing most people
and leaving the rest to the full ranking) against the slow caseload (`tests.careteam.test_caseload_order.
_before`: a Patient per person, `dose_contexts`' count, the whole list sorted). Every history of the missed
days' tests, and more people meant to break the light read's shortcut (dosed yesterday, so none missed):
discharged but the order still active, readmitted today after a dose in the old episode, yesterday's dose
voided / zeroed / corrected / of 0 mg / held / buprenorphine only, a missed day the day before yesterday, a
take-home day yesterday, an open and a resolved flag, on two care teams, check-ins from today to weeks ago,
and a program at UTC+14 (Pacific/Kiritimati) beside New York's, read at moments either side of each zone's
midnight. Each list is read whole and page by page from its last page (a page past the head first), as
every role and status reads it. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from django.core.paginator import Paginator

from keel.accounts.models import ProgramMembership
from keel.careteam import queries
from keel.careteam.queries.others import _others
from keel.patients.models import CareTeamMember, Enrollment, FlagKind, Patient, PatientFlag
from keel.recovery.models import CheckIn
from tests.careteam.test_caseload_missed_sql import HISTORIES, NOW, TODAY, _Maker
from tests.careteam.test_caseload_missed_zones import MORE
from tests.careteam.test_caseload_order import CASES, _before
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.clock_free]  # clock_free: see pyproject's markers
KIRITIMATI = "Pacific/Kiritimati"
MOMENTS = [NOW + timedelta(hours=h) for h in (-30, -20, -8, 0, 5, 11, 18, 30)]


@pytest.fixture(autouse=True)
def _always_a_head(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", 0)
    monkeypatch.setattr("keel.careteam.queries.head.HEAD_BATCH", 1)


def _far_east(m: _Maker, p: Patient) -> Patient:
    Patient.objects.filter(pk=p.pk).update(program=m.world.lakeside)
    Enrollment.objects.filter(patient=p).update(program=m.world.lakeside)
    p.refresh_from_db()
    return p


def _extras(m: _Maker) -> list[Patient]:
    people: list[Patient] = []

    def add(p: Patient) -> Patient:
        people.append(p)
        return p

    p = add(m.person(None, ended=(60, 0)))  # discharged today, order active, dosed yesterday
    m.daily(p, range(1, 30))
    p = add(m.person(0, ended=(60, 1)))  # readmitted today; yesterday's dose in the old episode
    m.daily(p, range(1, 30))
    for steps in [((True, None),), ((False, "0"),), ((False, "0"), (False, "20"))]:
        p = add(m.person())
        m.daily(p, range(2, 30))
        m.amend(m.dose(p, 1), *steps)
    p = add(m.person())
    m.daily(p, range(2, 30))
    m.dose(p, 1, mg="0")
    p = add(m.person())
    m.daily(p, range(2, 30))
    m.dose(p, 1, held=True)
    p = add(m.person())
    m.daily(p, range(2, 30))
    m.dose(p, 1, medication="buprenorphine", mg="16")
    p = add(m.person())  # a missed day the day before yesterday, dosed yesterday
    m.daily(p, range(3, 30))
    m.dose(p, 1)
    p = add(m.person())  # a take-home day yesterday
    m.daily(p, range(2, 30))
    m.bottles(p, [1], enrollment=Enrollment.objects.get(patient=p))
    for resolved in (False, True):
        p = add(m.person())
        m.daily(p, range(1, 30))
        PatientFlag.objects.create(
            patient=p,
            kind=FlagKind.choices[0][0],
            priority=2,
            reasons=["a reason"],
            source_type="test",
            source_id=p.pk,
            raised_at=NOW - timedelta(days=2),
            **({"resolved_at": NOW - timedelta(days=1), "resolution_note": "seen"} if resolved else {}),
        )
    p = add(m.person())  # on two care teams
    m.daily(p, range(1, 30))
    CareTeamMember.objects.create(patient=p, user=m.world.staff["prescriber"])
    CareTeamMember.objects.create(patient=p, user=m.world.staff["peer_specialist"])
    for ago in (0, 1, 2, 13, 40):  # check-ins of many ages, dosed every day
        p = add(m.person())
        m.daily(p, range(0, 30))
        CheckIn.objects.create(
            patient=p,
            local_date=TODAY - timedelta(days=ago),
            craving=3,
            mood=3,
            used=False,
            medication="taken",
            created_at=NOW,
            updated_at=NOW,
        )
    for first in (0, 1, 2):  # far east: dosed up to 0, 1 or 2 days before New York's today
        p = add(_far_east(m, m.person()))
        m.daily(p, range(first, 30))
    return people


@pytest.fixture
def everyone(world: World) -> list[Patient]:
    world.lakeside.time_zone = KIRITIMATI
    world.lakeside.save(update_fields=["time_zone"])
    for role in ("nurse", "program_admin"):
        ProgramMembership.objects.get_or_create(user=world.staff[role], program=world.lakeside)
    m = _Maker(world)
    people = [history(m) for history in [*HISTORIES, *MORE]] + _extras(m)
    peer = world.staff["peer_specialist"]
    CareTeamMember.objects.bulk_create(
        [CareTeamMember(patient=p, user=peer) for p in people[::3]], ignore_conflicts=True
    )
    return people


def test_every_page_past_the_head_is_the_slow_lists_page(
    world: World, everyone: list[Patient], monkeypatch: pytest.MonkeyPatch
) -> None:
    placed: list[int] = []
    light = _others

    def counted(*args: Any, **kwargs: Any) -> Any:
        rest, unsure = light(*args, **kwargs)
        placed.append(len(rest))
        return rest, unsure

    monkeypatch.setattr("keel.careteam.queries.listing._others", counted)
    for now in MOMENTS:
        for role, status in CASES:
            user = world.staff[role]
            expected = [asdict(r) for r in _before(user, now=now, status=status)]
            assert [asdict(r) for r in queries.caseload(user, now=now, status=status)] == expected, (
                now,
                role,
                status,
            )
            theirs = Paginator(expected, 3)
            ours = Paginator(queries.caseload(user, now=now, status=status), 3)
            for n in reversed(theirs.page_range):
                got = [asdict(r) for r in ours.get_page(n)]
                assert got == list(theirs.get_page(n)), (now, role, status, n)
    assert sum(placed) > 0  # the light read placed people (the shortcut was exercised)
