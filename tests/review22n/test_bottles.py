"""Review 22n: take-home bottles carry their mg (session 22 item 2) under ordinary clinical input. Each test
is one hole."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest
from django.utils import timezone

from keel.interop.fhir.record import _dispenses
from keel.patients.models import Enrollment, local_today
from keel.treatment.models import DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import given_daily

pytestmark = pytest.mark.django_db


def _mg(plan: TakeHomePlan) -> dict[str, Decimal]:
    return {day: Decimal(mg) for day, mg in (plan.bottle_mg or {}).items()}


def _on_80_with_a_bottle_tomorrow(world: World) -> TakeHomePlan:
    """Alice on methadone 80 mg, given daily for the last 40 days; a standing plan with one bottle for
    tomorrow (rows: the history, not the behaviour under test)."""
    pr, alice = world.staff["prescriber"], world.alice
    order = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="80")
    today = local_today(alice)
    given_daily(world, order, [today - timedelta(days=n) for n in range(40, 0, -1)], 80)
    tomorrow = today + timedelta(days=1)
    return TakeHomePlan.objects.create(
        patient=alice,
        decided_by=pr,
        decided_at=timezone.now(),
        days_in_treatment=40,
        criteria={},
        decision={},
        max_supply_days=7,
        bottles=[tomorrow.isoformat()],
        enrollment=Enrollment.objects.filter(patient=alice, ended_on__isnull=True).first(),
    )


def test_a_voided_dose_takes_back_the_bottles_it_handed_out(world: World) -> None:
    """Hole 3. Today's 80 mg dose hands out tomorrow's bottle (80 mg recorded on the plan). The dose is
    voided (recorded in error: she had not come yet). The prescriber then lowers the order to 60 mg, and she
    is given 60 mg at the window. Tomorrow's bottle goes home with that dose and holds 60 mg; but the void
    left the first dose's record on the plan, so `runs_going_home` skips the run: the plan (the API, the
    page, FHIR's MedicationDispense) says 80 mg, the nurse's row says nothing of the bottle, and the window's
    check of the bottle's dose never ran at the real hand-out."""
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    tomorrow = (local_today(alice) + timedelta(days=1)).isoformat()
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    plan.refresh_from_db()
    assert _mg(plan) == {tomorrow: Decimal(80)}  # held: recorded at the dose
    dose = DoseRecord.objects.filter(patient=alice, local_date=local_today(alice)).get()
    amend_dose(
        by=nurse, patient_id=alice.pk, dose_id=dose.pk, void=True, reason="recorded in error, not here yet"
    )
    prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="60")
    outcome = record_dose(by=nurse, patient_id=alice.pk, amount_mg="60")
    plan.refresh_from_db()
    assert DoseRecord.objects.filter(patient=alice, status=DoseStatus.GIVEN, amount_mg=60).exists()
    assert _mg(plan) == {tomorrow: Decimal(60)}, (plan.bottle_mg, outcome)


def test_a_raise_written_to_start_tomorrow_does_not_go_home_unobserved(world: World) -> None:
    """Hole 4. On 80 mg for 40 days, the prescriber writes a raise to 120 mg to start tomorrow (no QTc on
    file). Today's 80 mg dose hands out tomorrow's bottle. The bottle's check is only the window's high-QTc
    verdict (`high_qtc_since_order`); the window's titration check (a 40 mg step over the program's
    `titration_step_max_mg` needs a prescriber's override for the day at the window) is never put to it,
    so the whole raise goes home in a bottle, the first 120 mg drunk where nobody watches. A bottle is meant
    to be judged as the window judges a dose of that total today: it must not hold 120 mg."""
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    tomorrow = local_today(alice) + timedelta(days=1)
    prescribe(
        by=pr,
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="120",
        starts_on=tomorrow,
        override_reason="raise for cravings",
    )
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    plan.refresh_from_db()
    assert _mg(plan).get(tomorrow.isoformat()) != Decimal(120), plan.bottle_mg


def test_a_bottle_kept_back_at_the_dose_is_not_exported_as_dispensed(world: World) -> None:
    """Hole 5. On 80 mg for 40 days, a raise to 90 mg is written today; then a QTc of 520 ms is saved (no
    QTc reason). She takes 80 mg at the window; tomorrow's bottle (90 mg, a raise the window would not give
    today) is rightly kept back: the plan ends today, the dose's check says so. But the plan's end and the
    dose carry the same instant, so the FHIR export reads today's dose as a visit while the plan stood and
    sends tomorrow's bottle as a MedicationDispense 'completed' (handed over today, 90 mg): an emergency
    department reading it believes 90 mg of methadone is in her hands. A bottle not handed out is never
    'completed'."""
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    tomorrow = (local_today(alice) + timedelta(days=1)).isoformat()
    prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="90")
    record_qtc(by=nurse, patient_id=alice.pk, qtc_ms=520)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on == local_today(alice) and tomorrow not in (plan.bottle_mg or {})  # held: kept back
    dispenses = _dispenses(cast(Any, SimpleNamespace(patient=alice, now=timezone.now())))
    statuses = {d["id"]: d["status"] for d in dispenses}
    assert statuses.get(f"bottle-{plan.pk}-{tomorrow.replace('-', '')}") != "completed", dispenses


def test_a_lowering_after_the_bottles_went_home_tells_the_prescriber(world: World) -> None:
    """Hole 6. Today's 80 mg dose hands out tomorrow's bottle (80 mg recorded on the plan). A QTc of 520 ms
    comes back and the prescriber lowers the order to 60 mg from today. Tomorrow she drinks the 80 mg bottle
    at home: the order's answer (its warnings, what the page and the API show the prescriber) says nothing of
    the bottle at the old dose, though `bottle_mg` knows it, so nobody calls her back or swaps the bottle. A
    lowering below a bottle already handed out must say which bottles hold more than the new dose."""
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    tomorrow = (local_today(alice) + timedelta(days=1)).isoformat()
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    plan.refresh_from_db()
    assert _mg(plan) == {tomorrow: Decimal(80)}  # held: handed out at 80 mg
    record_qtc(by=nurse, patient_id=alice.pk, qtc_ms=520)
    order = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="60")
    said = " ".join(str(getattr(w, "text", w)) for w in getattr(order, "warnings", ()))
    assert tomorrow in said or "bottle" in said.lower(), said
