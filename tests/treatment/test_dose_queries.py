"""The dose at the window reads its day once (issues #13 and #21): a fixed number of statements per dose,
whatever the person's history (a baseline: a change that adds a statement to the dose path fails here and
says so), and the answers read from the dose context are the ORM queries' answers they replaced."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel.patients.models import FlagKind, PatientFlag
from keel.treatment import services
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, MedicationOrder
from keel.treatment.queries import dose_context, hours_since, hours_since_last_dose
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York
TODAY = date(2026, 11, 25)

# Statements one methadone dose at the window runs (the service; the API adds the signed-in user, its second
# factor and the session limits; the session rows are not counted).
# Lower it when the dose path gets cheaper; never raise it to let an N+1 in.
# On PostgreSQL the audit row's insert and its chain head's update are one statement (issue #21), one fewer.
# Issue #21: one fewer for effective_policy's two reads in one, and one fewer again for the order in force and
# the day's overrides in one (`order_and_overrides`: `active_order` and `day_overrides` merged).
# Review 36f: seven more, the last buprenorphine as the readiness reads it (hole 2: `read_last_uses`, six) and
# the last XR-naltrexone injection (hole 3: its blockade, one).
SERVICE_STATEMENTS = {"sqlite": 18, "postgresql": 17}
# Lane day34 (correction 9): one more for the answer's `day_in_treatment` (the program's
# `admission_day_number`, `take_homes.admission_day_number`: the dose does not read the take-home policy).
API_STATEMENTS = {"sqlite": 23, "postgresql": 22}  # review 36f: seven more (above)


@pytest.fixture
def order(world: World) -> MedicationOrder:
    return services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )


def history(world: World, order: MedicationOrder, days: int) -> None:
    """Observed 30 mg doses on each of the `days` days before today."""
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=TODAY - timedelta(days=n),
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=Decimal(30),
            treatment_day=days + 1 - n,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=NOON - timedelta(days=n),
        )
        for n in range(days, 0, -1)
    )


def statements_of_a_dose(world: World) -> int:
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as captured:
        services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", sequence=1)
    return len(captured)


def test_a_dose_runs_the_baseline_number_of_statements(world: World, order: MedicationOrder) -> None:
    history(world, order, 3)
    assert statements_of_a_dose(world) == SERVICE_STATEMENTS[connection.vendor]


def test_a_longer_history_adds_no_statement_to_a_dose(world: World, order: MedicationOrder) -> None:
    history(world, order, 25)
    assert statements_of_a_dose(world) == SERVICE_STATEMENTS[connection.vendor]


def test_a_dose_through_the_api_runs_the_baseline_number_of_statements(
    world: World, order: MedicationOrder
) -> None:
    history(world, order, 3)
    body = json.dumps({"amount_mg": "30", "sequence": 1})
    url = f"/api/v1/patients/{world.alice.pk}/doses"
    with time_machine.travel(NOON, tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        with CaptureQueriesContext(connection) as captured:
            response = nurse.post(url, body, content_type="application/json")
    assert response.status_code == 201
    session = [q for q in captured.captured_queries if "django_session" in q["sql"]]
    assert len(captured) - len(session) == API_STATEMENTS[connection.vendor]


def test_the_answer_of_a_new_dose_has_no_amendments(world: World, order: MedicationOrder) -> None:
    with time_machine.travel(NOON, tick=False):
        outcome = services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
    assert list(outcome.dose.amendments.all()) == list(DoseAmendment.objects.filter(dose=outcome.dose))


def _dose(world: World, order: MedicationOrder, day: date, seq: int, **kw: Any) -> DoseRecord:
    fields: dict[str, Any] = {
        "patient": world.alice,
        "order": order,
        "medication": "methadone",
        "local_date": day,
        "sequence": seq,
        "status": DoseStatus.GIVEN,
        "amount_mg": Decimal(30),
        "treatment_day": 5,
        "decision": {},
        "recorded_by": world.staff["nurse"],
        "recorded_at": datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14 + seq),
    }
    return DoseRecord.objects.create(**(fields | kw))


def _amend(world: World, dose: DoseRecord, minutes: int, **kw: Any) -> None:
    DoseAmendment.objects.create(
        dose=dose,
        reason="entry error",
        amended_by=world.staff["nurse"],
        amended_at=NOON + timedelta(minutes=minutes),
        **kw,
    )


@pytest.mark.parametrize(
    "amendments",
    [
        [],
        [{"voided": True}],
        [{"corrected_mg": Decimal(0)}],
        [{"corrected_mg": Decimal(20)}],
        [{"voided": True}, {"corrected_mg": Decimal(25)}],
        [{"corrected_mg": Decimal(25)}, {"voided": True}],
    ],
)
def test_the_re_dose_interval_from_the_context_is_the_queries_answer(
    world: World, order: MedicationOrder, amendments: list[dict[str, Any]]
) -> None:
    _dose(world, order, TODAY - timedelta(days=2), 1)
    _dose(world, order, TODAY - timedelta(days=1), 1, given_at=NOON - timedelta(hours=20))
    today = _dose(world, order, TODAY, 1)
    _dose(world, order, TODAY, 2, status=DoseStatus.HELD, amount_mg=Decimal(0))
    for minutes, change in enumerate(amendments):
        _amend(world, today, minutes, **change)
    at = NOON + timedelta(hours=3)
    ctx = dose_context(world.alice, "methadone", TODAY, with_other_holds=True)
    assert hours_since(ctx.taken_times, at) == hours_since_last_dose(world.alice, "methadone", at, TODAY)


@pytest.mark.parametrize("released", [False, True])
def test_a_hold_on_another_medication_from_the_context_is_the_queries_answer(
    world: World, order: MedicationOrder, released: bool
) -> None:
    held = _dose(world, order, TODAY, 1, medication="buprenorphine", status=DoseStatus.HELD)
    _dose(world, order, TODAY - timedelta(days=1), 1, medication="buprenorphine", status=DoseStatus.HELD)
    PatientFlag.objects.create(
        patient=world.alice,
        kind=FlagKind.DOSE_HELD,
        source_type="dose",
        source_id=held.pk,
        raised_at=NOON,
        resolved_at=NOON if released else None,
        resolved_by=world.staff["prescriber"] if released else None,
        resolution_note="assessed: fine to dose" if released else "",
    )
    other = DoseRecord.objects.filter(patient=world.alice, local_date=TODAY, status=DoseStatus.HELD).exclude(
        medication="methadone"
    )
    releases = PatientFlag.objects.filter(
        kind=FlagKind.DOSE_HELD,
        source_type="dose",
        source_id__in=other.values("pk"),
        resolved_at__isnull=False,
    )
    expected = other.exclude(pk__in=releases.values("source_id")).exists()
    ctx = dose_context(world.alice, "methadone", TODAY, with_other_holds=True)
    assert ctx.other_hold_open is expected


def test_another_medications_doses_never_count_in_this_ones_context(
    world: World, order: MedicationOrder
) -> None:
    _dose(world, order, TODAY, 1, medication="buprenorphine", amount_mg=Decimal(8))
    ctx = dose_context(world.alice, "methadone", TODAY, with_other_holds=True)
    assert ctx.given_today_mg == 0


@pytest.mark.parametrize("status", ["active", "stopped"])
def test_the_order_and_the_days_overrides_read_in_sql_are_the_orm_reads(
    world: World, order: MedicationOrder, status: str
) -> None:
    from keel.treatment.models import DoseOverride, OverrideKind
    from keel.treatment.queries.orders import active_order, day_overrides

    newer = services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=40
    )
    MedicationOrder.objects.filter(pk=newer.pk).update(status=status)
    for n, (day, ended) in enumerate([(TODAY, None), (TODAY, NOON), (TODAY - timedelta(days=1), None)]):
        for kind in (OverrideKind.LIMIT, OverrideKind.START):
            DoseOverride.objects.create(
                patient=world.alice,
                medication="methadone",
                kind=kind,
                local_date=day,
                max_total_mg=Decimal(60 + n),
                reason="assessed",
                prescriber=world.staff["prescriber"],
                created_at=NOON - timedelta(hours=n, minutes=5 if kind == OverrideKind.START else 0),
                ended_at=ended,
            )
    for medication in ("methadone", "buprenorphine"):
        expected = MedicationOrder.objects.filter(
            patient=world.alice, medication=medication, status="active"
        ).first()
        assert active_order(world.alice, medication, TODAY) == expected
        orm = DoseOverride.objects.filter(
            patient=world.alice, medication=medication, local_date=TODAY, ended_at__isnull=True
        )
        got = day_overrides(world.alice, medication, TODAY)
        assert [(o.pk, o.kind, o.max_total_mg, o.created_at) for o in got] == [
            (o.pk, o.kind, o.max_total_mg, o.created_at) for o in orm
        ]
    assert len(day_overrides(world.alice, "methadone", TODAY)) == 2


@pytest.mark.parametrize("lock", [False, True])
@pytest.mark.parametrize("status", ["active", "stopped"])
def test_the_order_and_its_overrides_in_one_statement_are_the_two_reads(
    world: World, order: MedicationOrder, status: str, lock: bool
) -> None:
    """`order_and_overrides` (the dose's one statement for its order and today's overrides, issue #21) answers
    what `active_order` and `day_overrides` answer: the order in force (a newer one active or stopped), every
    override of today of its medication not ended (limit and start, newest first), none of another day or
    medication; no order in force: none, whatever overrides exist. Locked (inside a transaction) or not."""
    from django.db import transaction

    from keel.treatment.models import DoseOverride, OverrideKind
    from keel.treatment.queries.orders import active_order, day_overrides, order_and_overrides

    newer = services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=40
    )
    MedicationOrder.objects.filter(pk=newer.pk).update(status=status)
    for medication in ("methadone", "buprenorphine"):  # buprenorphine: overrides but no order
        for n, (day, ended) in enumerate([(TODAY, None), (TODAY, NOON), (TODAY - timedelta(days=1), None)]):
            for kind in (OverrideKind.LIMIT, OverrideKind.START, OverrideKind.HOURS):
                DoseOverride.objects.create(
                    patient=world.alice,
                    medication=medication,
                    kind=kind,
                    local_date=day,
                    max_total_mg=Decimal(60 + n),
                    reason="assessed",
                    prescriber=world.staff["prescriber"],
                    created_at=NOON - timedelta(hours=n, minutes={"limit": 0, "start": 5, "hours": 9}[kind]),
                    ended_at=ended,
                )

    def seen(found: list[DoseOverride]) -> list[tuple[Any, ...]]:
        return [(o.pk, o.kind, o.medication, o.max_total_mg, o.created_at, o.ended_at) for o in found]

    for medication in ("methadone", "buprenorphine"):
        with transaction.atomic():
            got_order, got = order_and_overrides(world.alice, medication, TODAY, lock=lock)
        expected = active_order(world.alice, medication, TODAY)
        assert got_order == expected
        if expected is None:
            assert got == []
        else:
            assert [
                f.attname
                for f in got_order._meta.concrete_fields
                if getattr(got_order, f.attname) != getattr(expected, f.attname)
            ] == []
            assert seen(got) == seen(day_overrides(world.alice, medication, TODAY))
            assert len(got) == 3
    assert active_order(world.alice, "buprenorphine", TODAY) is None
    assert len(day_overrides(world.alice, "buprenorphine", TODAY)) == 3
