"""The people the medication tests build again and again, built one way (issue #17: the review and fix tests
each wrote their own copy). Each takes the personas' `world` and acts on Alice through the services (a dose
history as rows), as the tests did; none asserts anything."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from keel.assessments.services import submit_assessment
from keel.treatment.models import DoseRecord, DoseStatus, MedicationOrder
from keel.treatment.services.last_use import record_last_use
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World


def methadone_with_qtc(
    world: World, qtc_ms: int | None, measured_on: date | None = None, *, taken: bool = False
) -> None:
    """Methadone 80 mg prescribed; then, unless `qtc_ms` is None, a QTc of `qtc_ms` ms recorded by the nurse
    (measured today unless `measured_on` is given). `taken`: 80 mg given under the order the day before (she
    is on 80 mg; review 21m: an order never given is still a start, or a raise from what it raised from)."""
    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    if taken:
        given_daily(world, order, [order.starts_on - timedelta(days=1)], 80)
    if qtc_ms is not None:
        record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=qtc_ms, measured_on=measured_on)


def ready_at_home(world: World, now: datetime, starts_on: date | None = None) -> None:
    """A buprenorphine home-start order of 8 mg written at `now` (to start on `starts_on`, when given),
    heroin last used at 10:00 New York time on 2026-12-02 (reported two hours before `now`), and Alice's
    own SOWS of 32 five minutes before `now`: ready to start at home."""
    prescriber, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    prescribe(
        by=prescriber,
        patient_id=alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        home_start=True,
        starts_on=starts_on,
        now=now,
    )
    record_last_use(
        by=nurse,
        patient_id=alice.pk,
        raw={"opioids": [{"opioid": "heroin", "last_use_at": "2026-12-02T10:00:00-05:00"}]},
        now=now - timedelta(hours=2),
    )
    submit_assessment(
        by=alice.user,
        patient_id=None,
        instrument="sows",
        answers={f"sows_{i}": 2 for i in range(1, 17)},
        filled_at=now - timedelta(minutes=5),
    )


def given_daily(world: World, order: MedicationOrder, days: Sequence[date], mg: int) -> None:
    """`mg` of `order` given to Alice at the window on each of `days`, in that order, at 14:00 UTC, by the
    nurse, the earliest day treatment day 1 (rows written directly: the history, not the behaviour under
    test)."""
    first = min(days)
    for day in days:
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication=order.medication,
            local_date=day,
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=Decimal(mg),
            treatment_day=(day - first).days + 1,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=datetime(day.year, day.month, day.day, 14, tzinfo=UTC),
        )
