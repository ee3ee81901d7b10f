"""Lane fix35e (review 35e H1, H2): a person whose death is recorded (`patients.models.deceased_ids`, the one
definition) is ranked for outreach by no signal: not her silence, not an open flag, not missed doses; on
every path the caseload reads (at once, the head, the database's page), for every role and list, and on
the API; the nightly silence scan flags none of them. An undone death (her episode open again) ranks her
again. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.careteam import queries
from keel.patients.flags import raise_flag
from keel.patients.models import Enrollment, EnrollmentStatus, FlagKind, Patient, PatientFlag
from keel.recovery.services.flags import scan_for_silence
from tests.conftest import sign_in
from tests.review35e._setup import checkins, died, methadone_since, on_team

pytestmark = pytest.mark.django_db

PATHS = {
    "at once": {},
    "head": {"keel.careteam.queries.reads.HEAD_ABOVE": 0, "keel.careteam.queries.head.HEAD_BATCH": 1},
    "database page": {
        "keel.careteam.queries.reads.HEAD_ABOVE": 0,
        "keel.careteam.queries.listing.TAIL_IN_SQL_ABOVE": 0,
    },
}
LISTS = [("peer_specialist", None), ("nurse", "all"), ("nurse", "discharged")]


def _tiers(user: Any, status: str | None) -> dict[int, str]:
    """Each person's tier, every place read one by one (each path's pages) and the whole list."""
    listed = queries.caseload(user, status=status)
    one_by_one = {row.id: row.tier for n in range(len(listed)) for row in listed[n : n + 1]}
    whole = {row.id: row.tier for row in queries.caseload(user, status=status)}
    assert one_by_one == whole
    return whole


def _flag(patient: Patient) -> None:
    raise_flag(
        by=None,
        patient=patient,
        kind="reported_use",
        priority=1,
        reasons=["Use reported"],
        sources=["test"],
        source_type="checkin",
        source_id=1,
        now=timezone.now(),
        audit_reason="test",
    )


@pytest.fixture
def departed(world: Any) -> Patient:
    """Alicia checked in daily, then died 20 days ago."""
    checkins(world.alice, range(-30, -20))
    died(world.alice, on=-20)
    return world.alice


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize(("role", "status"), LISTS)
def test_her_silence_ranks_her_on_no_path(
    world: Any, departed: Patient, monkeypatch: pytest.MonkeyPatch, path: str, role: str, status: str | None
) -> None:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(name, value)
    assert _tiers(world.staff[role], status)[departed.pk] == "none"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_living_silent_person_still_ranks(world: Any, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(name, value)
    quiet = on_team(world, "Quinn", "Quiet", "R35E-1", role="peer_specialist")
    checkins(quiet, range(-30, -20))
    assert _tiers(world.staff["peer_specialist"], None)[quiet.pk] == "this_week"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_her_open_flag_ranks_her_on_no_path(
    world: Any, departed: Patient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(name, value)
    _flag(departed)
    assert _tiers(world.staff["nurse"], "all")[departed.pk] == "none"


def test_her_flag_stays_open_on_her_record(world: Any, departed: Patient) -> None:
    _flag(departed)
    queries.caseload(world.staff["nurse"], status="all")
    assert PatientFlag.objects.filter(patient=departed, resolved_at__isnull=True).count() == 1


@pytest.mark.parametrize("path", sorted(PATHS))
def test_an_order_left_in_force_counts_no_missed_dose(
    world: Any, departed: Patient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(name, value)
    methadone_since(world, -40)
    assert _tiers(world.staff["nurse"], "all")[departed.pk] == "none"


def test_the_api_ranks_her_for_no_one(world: Any, departed: Patient) -> None:
    rows = sign_in(Client(), world.staff["peer_specialist"]).get("/api/v1/caseload").json()
    assert next(r for r in rows if r["id"] == departed.pk)["tier"] == "none"


def test_an_undone_death_ranks_her_silence_again(world: Any, departed: Patient) -> None:
    Enrollment.objects.filter(patient=departed).update(
        status=EnrollmentStatus.ACTIVE, ended_on=None, end_reason=""
    )
    assert _tiers(world.staff["peer_specialist"], None)[departed.pk] == "this_week"


def test_the_scan_flags_no_one_whose_death_is_recorded(world: Any) -> None:
    checkins(world.alice, range(-10, -4))
    died(world.alice, on=-3)
    scan_for_silence()
    assert not PatientFlag.objects.filter(patient=world.alice, kind=FlagKind.SILENCE).exists()


def test_the_scan_still_flags_the_living(world: Any) -> None:
    quiet = on_team(world, "Quinn", "Quiet", "R35E-2")
    checkins(quiet, range(-10, -4))
    scan_for_silence()
    assert PatientFlag.objects.filter(patient=quiet, kind=FlagKind.SILENCE).exists()


def test_the_scan_flags_her_again_after_an_undone_death(world: Any) -> None:
    checkins(world.alice, range(-10, -4))
    died(world.alice, on=-3)
    Enrollment.objects.filter(patient=world.alice).update(
        status=EnrollmentStatus.ACTIVE, ended_on=None, end_reason=""
    )
    scan_for_silence()
    assert PatientFlag.objects.filter(patient=world.alice, kind=FlagKind.SILENCE).exists()
