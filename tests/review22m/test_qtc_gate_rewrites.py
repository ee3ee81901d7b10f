"""Review 22m: a methadone order re-written on a QTc of 500 ms or more never weighed by a prescriber, and a
take-home supply decided while the window holds the dose on such a QTc. Each test fails on the code reviewed
and passes once the hole is closed (by the order's gate asking the reason, or by the window still holding)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder
from keel.treatment.services import record_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from keel.treatment.services.take_homes import decide_take_home
from tests.conftest import World
from tests.factories import given_daily

QTC_REASON = "QTc 505 ms reviewed with cardiology, potassium corrected, benefit outweighs the risk"
NEEDS_NEW_ORDER = "needs_new_order"


def _order(world: World, mg: str, reason: str = "") -> MedicationOrder:
    return prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=mg,
        override_reason=reason,
    )


def _qtc(world: World, ms: int) -> None:
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=ms)


def _dose(world: World, mg: str) -> str:
    """The verdict of a dose at the window: the decision saved, or the blocking one."""
    try:
        return str(
            record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg).decision.decision
        )
    except DoseBlocked as exc:
        return str(exc.decision.decision)


def test_start_rewritten_after_a_later_high_qtc_needs_the_reason(world: World) -> None:
    """A start of 80 mg, 30 mg taken on its first day; then a QTc of 560 ms (never weighed by the prescriber):
    the window holds her at the 30 mg given ("the prescriber re-writes the start with a reason"). Re-writing
    the same start without any QTc reason is accepted (compared_from counts a start as given in full once
    any dose was taken), and the re-written order (raised_from 80) lets the window titrate her towards 80 mg
    on the 560 ms QTc. Either the re-write asks the reason, or the window still holds above 30 mg."""
    today = local_today(world.alice, timezone.now())
    start = _order(world, "80")
    given_daily(world, start, [today - timedelta(days=1)], 30)
    _qtc(world, 560)
    assert _dose(world, "40") == NEEDS_NEW_ORDER  # the window holds her at 30 mg: the control
    try:
        _order(world, "80")  # the same start, re-written, no reason for the QTc
    except TreatmentInvalid as exc:
        assert "override_reason" in {e.field for e in exc.errors}
        return
    assert _dose(world, "40") == NEEDS_NEW_ORDER, "a re-written start lifted the block without a QTc reason"


@pytest.mark.parametrize("again", ["", QTC_REASON], ids=["rewritten_without_reason", "double_submit"])
def test_raise_rewritten_keeps_its_qtc_reason_to_the_qtc_it_covered(world: World, again: str) -> None:
    """On 60 mg for five days; QTc 505 ms; the prescriber raises to 100 mg with a QTc reason (it covers 505,
    not a worse reading). The same order re-written (a note, a second tab) needs no reason: compared_from
    reads the covered raise as 100 and the new order raised 100 to 100. Then a repeat ECG of 610 ms: under
    the raise the window would stop anything above 60 (the reason never weighed 610, review 21x); under the
    re-written order 70 mg goes through, and the raise continues on 610 ms without any prescriber
    weighing it. The same with a double submit of the raise's form (the reason posted twice)."""
    today = local_today(world.alice, timezone.now())
    first = _order(world, "60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(5, 0, -1)], 60)
    _qtc(world, 505)
    _order(world, "100", QTC_REASON)
    # re-written, the same dose (or the same form posted twice): accepted, its QTc reason not kept (505 is
    # covered, so the re-write is "no raise" and raised_from becomes 100)
    _order(world, "100", again)
    _qtc(world, 610)
    assert _dose(world, "70") == NEEDS_NEW_ORDER


def test_raise_under_its_qtc_reason_stops_on_a_worse_qtc_control(world: World) -> None:
    """The control of the test above: without the re-write the window stops the dose (this one holds)."""
    today = local_today(world.alice, timezone.now())
    first = _order(world, "60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(5, 0, -1)], 60)
    _qtc(world, 505)
    _order(world, "100", QTC_REASON)
    _qtc(world, 610)
    assert _dose(world, "70") == NEEDS_NEW_ORDER


CRITERIA = {
    k: True
    for k in (
        "no_active_risky_use",
        "regular_attendance",
        "no_serious_behavior_problems",
        "no_known_recent_diversion",
        "safe_transport_and_storage",
        "other_factors_considered",
    )
}


def test_take_home_supply_refused_while_the_window_holds_the_raise_on_a_high_qtc(world: World) -> None:
    """On 60 mg observed for 40 days (eligible for 28 days of take-homes); the prescriber raises to 100 mg on
    a normal record; then a QTc of 560 ms: the window holds every dose above 60 mg (needs_new_order). A
    take-home plan is still decided the same minute: its bottles are the order's dose (a plan names none),
    100 mg a day at home, the raise the window refuses at the counter, on 560 ms. Refused (or at least an
    open concern the prescriber must acknowledge)."""
    today = local_today(world.alice, timezone.now())
    first = _order(world, "60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(40, 0, -1)], 60)
    _order(world, "100")
    _qtc(world, 560)
    assert _dose(world, "70") == NEEDS_NEW_ORDER  # the control: the window holds her at 60 mg
    with pytest.raises(TreatmentInvalid):
        decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=CRITERIA,
            start_on=(today + timedelta(days=1)).isoformat(),
        )
