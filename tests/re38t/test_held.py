"""Re-attack 38t: what held against fix38e/h/l's day limits across the program's midnight (these pass)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine

from keel.treatment.models import DoseRecord
from keel.treatment.services import add_override, amend_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import given_daily, held_then_released, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db
REASON = "Split dose agreed with the medical director after vomiting; checked the pump log"
BUP = "buprenorphine"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _on(world: World, day: date, mg: int, medication: str = "methadone") -> None:
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication=medication, dose_mg=str(mg)
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], mg)


def _dose(world: World, when: datetime, mg: str, **kw: object) -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, **kw).dose


def _override(world: World, when: datetime, mg: int, medication: str = "methadone") -> None:
    with time_machine.travel(when, tick=False):
        add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg=mg,
            reason=REASON,
            medication=medication,
        )


def _refusal(world: World, when: datetime, mg: str, **kw: object) -> str:
    with pytest.raises(DoseBlocked) as blocked:
        _dose(world, when, mg, **kw)
    return " ".join(r.text for r in blocked.value.decision.reasons)


def test_methadone_override_at_the_total_the_refusal_names_lets_the_01_30_dose_through(world: World) -> None:
    day = days_ago(2)
    _on(world, day, 80)
    _dose(world, at(day, 23), "80")
    nxt = day + timedelta(days=1)
    assert "today's total 100 mg" in _refusal(world, at(nxt, 1, 30), "20")
    _override(world, at(nxt, 1), 100)
    assert _dose(world, at(nxt, 1, 30), "20").status == "given"


def test_buprenorphine_override_at_the_total_the_refusal_names_lets_the_01_30_dose_through(
    world: World,
) -> None:
    day = days_ago(2)
    _on(world, day, 16, BUP)
    _dose(world, at(day, 23), "16", medication=BUP)
    nxt = day + timedelta(days=1)
    assert "today's total 24 mg" in _refusal(world, at(nxt, 1, 30), "8", medication=BUP)
    _override(world, at(nxt, 1), 24, BUP)
    assert _dose(world, at(nxt, 1, 30), "8", medication=BUP).status == "given"


def test_a_voided_then_re_entered_23_00_dose_counts_once_after_midnight(world: World) -> None:
    day = days_ago(2)
    _on(world, day, 80)
    wrong = _dose(world, at(day, 23), "80")
    with time_machine.travel(at(day, 23, 10), tick=False):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=wrong.pk,
            void=True,
            reason="Entered on the wrong line, checked the list",
        )
    _dose(world, at(day, 23, 15), "80")
    assert "today's total 90 mg" in _refusal(world, at(day + timedelta(days=1), 1, 30), "10")


def test_the_qtc_raise_check_counts_the_23_00_dose_with_the_01_30_dose(world: World) -> None:
    day = days_ago(2)
    _on(world, day, 80)
    with time_machine.travel(at(day, 8), tick=False):
        prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="90"
        )
    with time_machine.travel(at(day, 9), tick=False):
        record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=520)
    _dose(world, at(day, 23), "80")
    with pytest.raises(DoseBlocked) as blocked:
        _dose(world, at(day + timedelta(days=1), 1, 30), "10")
    assert blocked.value.decision.decision == "needs_new_order"


def test_a_hold_released_before_midnight_adds_nothing_and_the_evening_dose_still_counts(world: World) -> None:
    day = days_ago(2)
    _on(world, day, 80)
    _dose(world, at(day, 22), "80")
    with time_machine.travel(at(day, 23), tick=False):
        held_then_released(world)
    assert "today's total 160 mg" in _refusal(world, at(day + timedelta(days=1), 1, 30), "80")
