"""Review 14b (the nurse): every caseload page, cut from the light reads (`_head`, `_tail`, `_others`), is
exactly the full slow ranking's slice (`_ranked` over everyone: the `at_once` path), in every awkward case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from keel.careteam import queries
from keel.careteam.queries import reads
from keel.careteam.queries.tail import _tail
from keel.patients.models import day_in
from tests.conftest import sign_in

pytestmark = pytest.mark.clock_free  # the lead (session 27): left out of the moved-clock passes

ZONES = ("Pacific/Kiritimati", "America/New_York")
KINDS = 17
N = 330  # above HEAD_ABOVE (250): the head/tail path


def _build(world: Any, ref: datetime) -> Any:
    from keel.accounts.models import Program, ProgramMembership
    from keel.patients.models import CareTeamMember, Enrollment, Patient, PatientFlag
    from keel.recovery.models import CheckIn
    from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder

    nurse = world.user("nurse")
    counselor = world.user("counselor")
    programs = []
    for n, zone in enumerate(ZONES):
        p = Program.objects.create(slug=f"rev14b-{n}", name=f"Rev14b {n}", time_zone=zone)
        ProgramMembership.objects.create(user=nurse, program=p)
        programs.append(p)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                program=programs[i % 2],
                record_number=f"RV-{i:04d}",
                given_name="Sam" if i % 5 == 0 else f"Given{i % 7}",
                family_name="Lee" if i % 5 == 0 else f"Family{(i * 37) % 11}",
                preferred_name="",
            )
            for i in range(N)
        ]
    )
    CareTeamMember.objects.bulk_create([CareTeamMember(patient=p, user=nurse) for p in patients])
    CareTeamMember.objects.bulk_create([CareTeamMember(patient=p, user=counselor) for p in patients[::3]])
    enrollments, orders = [], []
    for i, p in enumerate(patients):
        today = day_in(p.program.time_zone, ref)
        kind = i % KINDS
        if kind == 13:  # discharged, readmitted today
            enrollments.append(
                Enrollment(
                    patient=p,
                    program=p.program,
                    started_on=today - timedelta(days=60),
                    ended_on=today,
                    end_reason="left",
                    status="ended",
                )
            )
            enrollments.append(Enrollment(patient=p, program=p.program, started_on=today))
        elif kind == 14:  # discharged, not readmitted
            enrollments.append(
                Enrollment(
                    patient=p,
                    program=p.program,
                    started_on=today - timedelta(days=60),
                    ended_on=today - timedelta(days=3),
                    end_reason="left",
                    status="ended",
                )
            )
        else:
            enrollments.append(
                Enrollment(patient=p, program=p.program, started_on=today - timedelta(days=40))
            )
        med = "buprenorphine" if kind == 9 else "methadone"
        if kind not in (0, 11, 12):
            orders.append(
                MedicationOrder(
                    patient=p,
                    medication=med,
                    rxnorm="6813",
                    dose_mg=Decimal("60"),
                    starts_on=today - timedelta(days=40),
                    prescriber=world.user("prescriber"),
                    created_at=ref,
                )
            )
    Enrollment.objects.bulk_create(enrollments)
    orders = MedicationOrder.objects.bulk_create(orders)
    order_of = {o.patient_id: o for o in orders}
    doses: list[Any] = []
    amend: list[tuple[int, Any]] = []

    def dose(p: Any, back: int, amount: str = "60", status: str = "given") -> None:
        today = day_in(p.program.time_zone, ref)
        doses.append(
            DoseRecord(
                patient=p,
                order=order_of[p.pk],
                medication=order_of[p.pk].medication,
                local_date=today - timedelta(days=back),
                sequence=1,
                status=status,
                amount_mg=Decimal(amount),
                treatment_day=40 - back,
                decision={},
                recorded_by=nurse,
                recorded_at=ref,
            )
        )

    for i, p in enumerate(patients):
        kind = i % KINDS
        if kind in (0, 9, 11, 12, 15):
            continue
        base = [10, 9, 8, 7, 6, 5, 4, 3]
        if kind == 1:
            base += [2, 1]
        elif kind == 2:
            base += [2]
        elif kind == 3:
            base = [10, 9, 8, 7, 6, 5]
        elif kind in (4, 5, 6, 7, 8):
            base += [2]
        elif kind in (10, 13, 14, 16):
            base += [2, 1]
        for back in base:
            dose(p, back)
        if kind == 4:
            dose(p, 1)
            amend.append((len(doses) - 1, "void"))
        elif kind == 5:
            dose(p, 1)
            amend.append((len(doses) - 1, "zero"))
        elif kind == 6:
            dose(p, 1, amount="0")
            amend.append((len(doses) - 1, "forty"))
        elif kind == 7:
            dose(p, 1, amount="0", status="held")
        elif kind == 8:
            dose(p, 1, amount="0")
        if kind == 16:  # voided the day before yesterday, then corrected back
            dose(p, 0)
    made = DoseRecord.objects.bulk_create(doses)
    amendments = []
    for index, what in amend:
        d = made[index]
        if what == "void":
            amendments.append(
                DoseAmendment(dose=d, voided=True, reason="wrong", amended_by=nurse, amended_at=ref)
            )
        elif what == "zero":
            amendments.append(
                DoseAmendment(
                    dose=d, corrected_mg=Decimal("0"), reason="spat", amended_by=nurse, amended_at=ref
                )
            )
        else:
            amendments.append(
                DoseAmendment(
                    dose=d, corrected_mg=Decimal("40"), reason="typo", amended_by=nurse, amended_at=ref
                )
            )
    DoseAmendment.objects.bulk_create(amendments)
    flags, checkins = [], []
    for i, p in enumerate(patients):
        kind = i % KINDS
        today = day_in(p.program.time_zone, ref)
        if kind == 10:
            flags.append(
                PatientFlag(
                    patient=p,
                    kind="reported_use",
                    priority=i % 3,
                    reasons=[],
                    sources=[],
                    source_type="x",
                    source_id=i,
                    raised_at=ref - timedelta(minutes=i),
                )
            )
        if kind in (11, 12):
            back = 1 if kind == 11 else 10
            checkins.append(
                CheckIn(
                    patient=p,
                    local_date=today - timedelta(days=back),
                    craving=1,
                    mood=3,
                    used=False,
                    medication="none",
                    created_at=ref,
                    updated_at=ref,
                )
            )
    PatientFlag.objects.bulk_create(flags)
    CheckIn.objects.bulk_create(checkins)
    return nurse, patients


def _full(user: Any, now: datetime, status: str | None, monkeypatch: Any) -> list[Any]:
    with monkeypatch.context() as m:
        m.setattr("keel.careteam.queries.reads.HEAD_ABOVE", 10**9)
        rows = list(queries.caseload(user, now=now, status=status))
    return rows


NOWS = [
    datetime(2026, 12, 3, 9, 59, tzinfo=UTC),  # Kiritimati 23:59
    datetime(2026, 12, 3, 10, 1, tzinfo=UTC),  # Kiritimati 00:01 next day
    datetime(2026, 12, 3, 4, 59, tzinfo=UTC),  # New York 23:59
    datetime(2026, 12, 3, 5, 1, tzinfo=UTC),  # New York 00:01
]


@pytest.mark.parametrize("now", NOWS, ids=lambda d: d.strftime("%H%M"))
@pytest.mark.parametrize("status", [None, "all", "discharged"])
def test_every_page_is_the_full_rankings_slice(
    world: Any, monkeypatch: Any, now: datetime, status: Any
) -> None:
    nurse, _ = _build(world, datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    full = _full(nurse, now, status, monkeypatch)
    assert len(full) > 0
    size = 50
    pages = list(range(0, len(full), size))
    for start in pages:  # each page on its own Caseload, as a request reads it
        got = queries.caseload(nurse, now=now, status=status)[start : start + size]
        assert got == full[start : start + size], (
            start,
            [r.id for r in got][:5],
            [r.id for r in full[start:]][:5],
        )
    # pages read one after another on one Caseload, backwards too
    one = queries.caseload(nurse, now=now, status=status)
    for start in reversed(pages):
        assert one[start : start + size] == full[start : start + size]
    # odd windows: across the signalled/unsignalled boundary, single rows, a page past the end
    one = queries.caseload(nurse, now=now, status=status)
    signalled = sum(1 for r in full if r.tier != "none")
    for a, b in [
        (0, 1),
        (max(0, signalled - 1), signalled + 1),
        (signalled, signalled + 7),
        (len(full) - 1, len(full)),
    ]:
        assert one[a:b] == full[a:b], (a, b)
        if a < len(full):
            assert queries.caseload(nurse, now=now, status=status)[a] == full[a]
    assert queries.caseload(nurse, now=now, status=status)[len(full) : len(full) + 50] == []
    assert list(queries.caseload(nurse, now=now, status=status)) == full


def test_web_pages_join_to_the_api_order_and_last_page_exact(world: Any) -> None:
    now = datetime.now(UTC)
    nurse, _ = _build(world, now)
    client = sign_in(Client(), nurse)
    api = client.get("/api/v1/caseload?status=all").json()
    ids: list[int] = []
    page = 1
    while True:
        r = client.get(f"/patients/?status=all&page={page}")
        assert r.status_code == 200
        got = [row.id for row in r.context["patients"]]
        ids += got
        if not r.context["page"].has_next():
            assert len(got) == (len(api) - 1) % 50 + 1
            break
        page += 1
    assert ids == [row["id"] for row in api]
    past = client.get(f"/patients/?status=all&page={page + 5}")
    assert [row.id for row in past.context["patients"]] == ids[-len(past.context["patients"]) :]


def test_a_flag_or_dose_recorded_shows_at_once(world: Any, monkeypatch: Any) -> None:
    from keel.patients.models import PatientFlag
    from keel.treatment.models import DoseRecord

    now = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    nurse, patients = _build(world, datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    before = queries.caseload(nurse, now=now, status="all")
    last = before[len(before) - 1]
    _ = before[len(before) - 50 : len(before)]
    who = next(p for p in patients if p.pk == last.id)
    PatientFlag.objects.create(
        patient=who,
        kind="reported_use",
        priority=0,
        reasons=[],
        sources=[],
        source_type="x",
        source_id=1,
        raised_at=now,
    )
    after = queries.caseload(nurse, now=now, status="all")
    assert after[0:50] == _full(nurse, now, "all", monkeypatch)[0:50]
    assert last.id in [r.id for r in after[0:50]]
    # a missed-many methadone person dosed yesterday: off the signalled list at once
    missed = next(p for i, p in enumerate(patients) if i % KINDS == 3)
    today = day_in(missed.program.time_zone, now)
    order = missed.medication_orders.get()
    DoseRecord.objects.create(
        patient=missed,
        order=order,
        medication="methadone",
        local_date=today - timedelta(days=1),
        sequence=1,
        status="given",
        amount_mg=Decimal("60"),
        treatment_day=39,
        decision={},
        recorded_by=nurse,
        recorded_at=now,
    )
    full = _full(nurse, now, "all", monkeypatch)
    fresh = queries.caseload(nurse, now=now, status="all")
    for start in range(0, len(full), 50):
        assert fresh[start : start + 50] == full[start : start + 50]
    assert next(r for r in full if r.id == missed.pk).missed_dose_days == 0
    assert date(2026, 12, 3) <= today


def test_the_scenario_reaches_the_light_reads(world: Any, monkeypatch: Any) -> None:
    """The scenario above is not vacuous: several tiers, and pages read through `_tail`."""
    now = NOWS[1]
    nurse, _ = _build(world, datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    full = _full(nurse, now, "all", monkeypatch)
    tiers = {r.tier for r in full}
    missed = {r.missed_dose_days for r in full}
    assert "none" in tiers and len(tiers) >= 3, tiers
    assert {None, 0, 1} <= missed and any(m and m >= 2 for m in missed), missed
    calls: list[str] = []
    real_tail = _tail

    def spy(*a: Any, **k: Any) -> Any:
        calls.append("tail")
        return real_tail(*a, **k)

    monkeypatch.setattr("keel.careteam.queries.listing._tail", spy)
    c = queries.caseload(nurse, now=now, status="all")
    assert c[len(full) - 10 : len(full)] == full[-10:]
    assert calls == ["tail"]


@pytest.mark.parametrize("role", ["program_admin", "peer_specialist", "prescriber"])
def test_other_roles_pages_are_the_full_rankings_slice(world: Any, monkeypatch: Any, role: str) -> None:
    from keel.accounts.models import Program, ProgramMembership
    from keel.patients.models import CareTeamMember, Patient

    now = NOWS[1]
    _build(world, datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    user = world.user(role)
    for program in Program.objects.filter(slug__startswith="rev14b-"):
        ProgramMembership.objects.create(user=user, program=program)
    if role != "program_admin":
        CareTeamMember.objects.bulk_create(
            [
                CareTeamMember(patient=p, user=user)
                for p in Patient.objects.filter(program__slug__startswith="rev14b")
            ]
        )
    full = _full(user, now, None, monkeypatch)
    assert len(full) > reads.HEAD_ABOVE
    for start in range(0, len(full), 50):
        assert queries.caseload(user, now=now)[start : start + 50] == full[start : start + 50], start
