"""The caseload's fast path (issue #21: people and signals as plain values, everyone ranked by `rank_key`, a
row's reasons said only when the page reads it) against the caseload as it was: a Patient per person, each
signal read for that person (missed days from `dose_contexts`, the dose path's own count), every row's
reasons said, the whole list sorted on `rank(...).key`. Same rows, same order, same reasons (in English and
Spanish), same pages, for several roles and statuses over a varied population: flags of every priority
(silence flags among them, ties on the moment raised), missed doses, check-ins from today to weeks ago, names
that differ only in case, preferred names, two people with one name. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db.models import Max
from django.utils import translation

from keel.access import policy
from keel.access.policy import Area
from keel.careteam import queries
from keel.careteam.queries import CaseloadRow
from keel.careteam.queries.listing import _said
from keel.careteam.queries.reads import _ranking_flags
from keel.careteam.queries.statuses import _status_filter
from keel.core.names import sort_key
from keel.core.rules.caseload import OpenFlag, Signals, rank
from keel.patients.models import (
    CareTeamMember,
    Enrollment,
    EnrollmentStatus,
    FlagKind,
    Patient,
    PatientFlag,
    local_today,
)
from keel.recovery.models import CheckIn
from keel.treatment.models import MedicationOrder, in_force_q
from keel.treatment.queries import dose_contexts
from tests.careteam.test_caseload_signals import NOW, TODAY, _population
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.clock_free]  # clock_free: see pyproject's markers

NAMES = ("anna", "Anna", "ÄNNA", "Zoë", "zoe", "Straße", "STRASSE", "Émile", "emile", "Bo")


def _vary(world: World, patients: list[Patient], seed: int = 2121) -> None:
    rng = random.Random(seed)
    kinds = [k for k, _ in FlagKind.choices]
    early = NOW - timedelta(days=3)
    for n, p in enumerate(patients):
        p.given_name = rng.choice(NAMES)
        p.family_name = rng.choice(NAMES) if n % 9 else "Same"  # some share a whole name: the id decides
        p.preferred_name = rng.choice(NAMES) if rng.random() < 0.2 else ""
        p.save(update_fields=["given_name", "family_name", "preferred_name"])
        for i in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
            PatientFlag.objects.create(
                patient=p,
                kind=rng.choice(kinds),
                priority=rng.choice((0, 1, 1, 2, 2, 3, 4, 9)),
                reasons=["a reason"],
                source_type="test",
                source_id=p.pk * 10 + i,
                raised_at=early if rng.random() < 0.3 else NOW - timedelta(hours=rng.randint(1, 500)),
                **({"resolved_at": NOW, "resolution_note": "seen"} if rng.random() < 0.15 else {}),
            )
        if rng.random() < 0.7:
            for _ in range(rng.randint(1, 3)):
                day = TODAY - timedelta(days=rng.choice((0, 1, 3, 6, 7, 8, 12, 30)))
                fields = {"craving": 3, "mood": 3, "used": False, "medication": "taken"}
                CheckIn.objects.get_or_create(
                    patient=p, local_date=day, defaults={**fields, "created_at": NOW, "updated_at": NOW}
                )
    peer = world.staff["peer_specialist"]
    CareTeamMember.objects.bulk_create(CareTeamMember(patient=p, user=peer) for p in patients[::2])


@pytest.fixture
def varied(world: World) -> list[Patient]:
    patients = _population(world, people=90)
    _vary(world, patients)
    return patients


def _before(user: Any, *, now: datetime, status: str | None) -> list[CaseloadRow]:
    """The caseload the slow way: one person at a time, every row said, then sorted."""
    where = _status_filter(user, status)
    areas = policy.areas_for_role(user.role)
    clinical, recovery = Area.CLINICAL in areas, Area.RECOVERY in areas
    visible = policy.patients_visible_to(user)
    patients = list((visible.filter(where) if where is not None else visible).select_related("program"))
    rows: list[tuple[Any, CaseloadRow]] = []
    for p in patients:
        today: date = local_today(p, now)
        flags: tuple[OpenFlag, ...] = ()
        missed: int | None = None
        seen = policy.flags_visible(areas)  # lane fix35e: the flags the role sees, those that rank
        if seen is not None:
            flags = tuple(
                OpenFlag(f.kind, f.get_kind_display(), f.priority, f.raised_at)
                for f in _ranking_flags().filter(seen, patient=p)
            )
        # the order in force on the person's today (a deferred one from its start day)
        in_force = MedicationOrder.objects.filter(in_force_q(today), patient=p, medication="methadone")
        if clinical and in_force.exists():
            missed = dose_contexts([(p, today)], "methadone")[p.pk].missed_days_in_a_row
        silent = None
        if recovery:
            last = CheckIn.objects.filter(patient=p).aggregate(last=Max("local_date"))["last"]
            silent = (today - last).days if last is not None else None
        r = rank(Signals(flags, missed, silent))
        in_care = Enrollment.objects.filter(patient=p, status=EnrollmentStatus.ACTIVE).exists()
        rows.append(
            (
                r,
                CaseloadRow(
                    id=p.pk,
                    display_name=p.display_name,
                    record_number=p.record_number if policy.field_visible(areas, "record_number") else None,
                    in_care=in_care if clinical else None,
                    tier=r.tier_code,
                    reasons=tuple({"text": x.text, "sources": list(x.sources)} for x in r.reasons),
                    missed_dose_days=missed,
                    days_since_checkin=silent,
                    words=tuple(_said(x) for x in r.reasons),
                ),
            )
        )
    # review 35e hole 3 (fix36c): names in the order of `core.names.sort_key` (accents folded)
    rows.sort(key=lambda pair: (pair[0].key, sort_key(pair[1].display_name), pair[1].id))
    return [row for _, row in rows]


CASES = [
    ("nurse", "all"),
    ("nurse", "current"),
    ("nurse", "discharged"),
    ("program_admin", None),
    ("peer_specialist", None),
]


def test_the_fast_caseload_is_the_slow_one(world: World, varied: list[Patient]) -> None:
    # One population for every case (building it is the slow part).
    for role, status in CASES:
        for language in ("en", "es"):
            user = world.staff[role]
            with translation.override(language):
                expected = _before(user, now=NOW, status=status)
                fast = queries.caseload(user, now=NOW, status=status)
                assert len(fast) == len(expected), (role, status)
                assert [asdict(r) for r in fast] == [asdict(r) for r in expected], (role, status, language)
                for size in (50, 7):  # the page's size, and a small one: many pages, each cut the same
                    ours, theirs = Paginator(fast, size), Paginator(expected, size)
                    assert (ours.count, ours.num_pages) == (theirs.count, theirs.num_pages)
                    for n in [*ours.page_range, ours.num_pages + 3]:
                        assert list(ours.get_page(n)) == list(theirs.get_page(n)), (role, status, n)


def test_the_population_is_varied(world: World, varied: list[Patient]) -> None:
    rows = list(queries.caseload(world.staff["nurse"], now=NOW, status="all"))
    assert {r.tier for r in rows} == {"now", "today", "soon", "this_week", "none"}
    assert any(r.missed_dose_days and r.missed_dose_days >= 2 for r in rows)
    assert any(r.days_since_checkin is not None and r.days_since_checkin >= 7 for r in rows)
    assert len({r.display_name for r in rows}) < len(rows)  # a name shared: the id decides
    assert any(len(r.reasons) >= 3 for r in rows)


def test_the_fast_caseload_audits_the_same_one_read(world: World, varied: list[Patient]) -> None:
    from keel.audit.models import AuditEvent

    nurse = world.staff["nurse"]
    before = AuditEvent.objects.order_by("-id").first()
    rows = queries.caseload(nurse, now=NOW, status="all")
    events = list(AuditEvent.objects.filter(id__gt=before.pk if before else 0))
    assert [(e.action, e.target_type) for e in events] == [("read", "patient_list")]
    assert sorted(events[0].detail["patient_ids"]) == sorted(r.id for r in rows)
    assert sorted(events[0].detail["patient_ids"]) == sorted(
        policy.patients_visible_to(nurse).values_list("pk", flat=True)
    )
