"""Lane fix35e (review 35e H6): the flags born of the recovery companion (`policy.flags_visible`: her own
request for contact and the check-ins' signals) rank a person on the peer specialist's caseload, on every
path the caseload reads and on the API; a clinical flag (a positive suicide screen, a dose held) still
ranks no one for the peer, and the nurse is ranked by every kind as before. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.access.policy.areas import RECOVERY_FLAGS
from keel.careteam import queries
from keel.patients.flags import raise_flag
from keel.patients.models import FlagKind, Patient
from keel.recovery.services.flags import request_contact
from tests.careteam.test_caseload_death_fix35e import PATHS
from tests.conftest import sign_in
from tests.review35e._setup import checkins

pytestmark = pytest.mark.django_db


def _tier(world: Any, role: str, monkeypatch: pytest.MonkeyPatch, path: str) -> str:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(name, value)
    listed = queries.caseload(world.staff[role], status="all")
    rows = [row for n in range(len(listed)) for row in listed[n : n + 1]]
    return next(r.tier for r in rows if r.id == world.alice.pk)


def _flag(patient: Patient, kind: str, priority: int = 1) -> None:
    raise_flag(
        by=None,
        patient=patient,
        kind=kind,
        priority=priority,
        reasons=["test"],
        sources=["test"],
        source_type="test",
        source_id=1,
        now=timezone.now(),
        audit_reason="test",
    )


@pytest.mark.parametrize("path", sorted(PATHS))
def test_her_request_for_contact_ranks_her_for_the_peer(
    world: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    checkins(world.alice, [0])
    assert request_contact(by=world.alice.user)
    assert _tier(world, "peer_specialist", monkeypatch, path) != "none"


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("kind", ["reported_use", "rising_craving", "worsening_mood"])
def test_a_checkin_signal_ranks_her_for_the_peer(
    world: Any, monkeypatch: pytest.MonkeyPatch, path: str, kind: str
) -> None:
    checkins(world.alice, [0])
    _flag(world.alice, kind)
    assert _tier(world, "peer_specialist", monkeypatch, path) == "today"


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("kind", sorted(set(FlagKind.values) - RECOVERY_FLAGS))
def test_a_clinical_flag_ranks_no_one_for_the_peer(
    world: Any, monkeypatch: pytest.MonkeyPatch, path: str, kind: str
) -> None:
    checkins(world.alice, [0])
    _flag(world.alice, kind, priority=0)
    assert _tier(world, "peer_specialist", monkeypatch, path) == "none"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_nurse_is_ranked_by_a_clinical_flag(
    world: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    checkins(world.alice, [0])
    _flag(world.alice, "suicide_risk", priority=0)
    assert _tier(world, "nurse", monkeypatch, path) == "now"


def test_the_api_ranks_her_request_for_the_peer(world: Any) -> None:
    checkins(world.alice, [0])
    request_contact(by=world.alice.user)
    rows = sign_in(Client(), world.staff["peer_specialist"]).get("/api/v1/caseload").json()
    row = next(r for r in rows if r["id"] == world.alice.pk)
    assert row["reasons"][0]["text"] == "Asked the care team to reach out (open flag)"


def test_the_peer_still_gets_no_record_number(world: Any) -> None:
    checkins(world.alice, [0])
    request_contact(by=world.alice.user)
    rows = sign_in(Client(), world.staff["peer_specialist"]).get("/api/v1/caseload").json()
    assert next(r for r in rows if r["id"] == world.alice.pk)["record_number"] is None
