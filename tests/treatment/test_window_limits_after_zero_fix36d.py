"""Lane fix36d (fix35a's note on `limits.window_limits_over`): a dose of the episode's first dosing day
corrected to 0 mg (or voided) and then up again meets the order's checks the window applied to it as for
any dose: an amount above the order is refused (the day-1 limit alone let an amount between the order and
that limit through), on the correction's own day and after a later day's dose made another day the first
one taken. A dose of an earlier episode (before a readmission) is still not read on this episode's
context."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from keel.core.rules.inputs import FieldError
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World
from tests.review34c._setup import REASON, a_day, at, cows, dose, intake, order

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"
METHADONE = "methadone"


def _correct(
    world: World, given: DoseRecord, mg: str, when: datetime, *, void: bool = False
) -> DoseAmendment:
    with time_machine.travel(when, tick=False):
        return amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg=None if void else mg,
            void=void,
            reason=REASON,
            now=when,
        )


def _refusal(world: World, given: DoseRecord, mg: str, when: datetime) -> str:
    """The words of the refusal of a correction to `mg` naming corrected_mg ("" when saved)."""
    try:
        _correct(world, given, mg, when)
    except TreatmentInvalid as refused:
        return " ".join(
            e.reason for e in refused.errors if isinstance(e, FieldError) and e.field == "corrected_mg"
        )
    return ""


def _bup_ready_on(world: World, days_ago: int = 2) -> datetime:
    """Buprenorphine 4 mg written; heroin 14 h ago (no methadone); COWS 14 ten minutes before 09:00: readiness
    "ready" at 09:00 of that day."""
    t = at(a_day(world, days_ago), 9)
    order(world, BUP, "4", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14))
    cows(world, t - timedelta(minutes=10))
    return t


def _methadone_on(world: World, days_ago: int = 2) -> datetime:
    t = at(a_day(world, days_ago), 9)
    order(world, METHADONE, "20", t - timedelta(hours=3))
    return t


# --- buprenorphine: a 4 mg order, its first dose raised to 6 mg (within the day-1 limit, above the order) ---


def test_a_first_dose_raised_above_its_order_is_refused(world: World) -> None:
    t = _bup_ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    assert "more than the order" in _refusal(world, given, "6", t + timedelta(minutes=40))


def test_a_first_dose_corrected_to_0_then_above_its_order_is_refused(world: World) -> None:
    t = _bup_ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    assert "more than the order" in _refusal(world, given, "6", t + timedelta(minutes=40))


def test_a_voided_first_dose_corrected_above_its_order_is_refused(world: World) -> None:
    t = _bup_ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    _correct(world, given, "", t + timedelta(minutes=20), void=True)
    assert "more than the order" in _refusal(world, given, "6", t + timedelta(minutes=40))


def test_after_a_next_day_dose_the_zeroed_first_day_is_refused_above_its_order(world: World) -> None:
    t = _bup_ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    # the next day's dose is now the episode's first: it meets the start gate ("ready")
    intake(world, at(a_day(world, 1), 8, 30), heroin=at(a_day(world, 1), 8, 30) - timedelta(hours=14))
    cows(world, at(a_day(world, 1), 8, 50))
    dose(world, "4", at(a_day(world, 1), 9), medication=BUP)
    assert "more than the order" in _refusal(world, given, "6", at(a_day(world, 1), 11))


def test_a_first_dose_corrected_to_0_then_back_to_its_order_is_saved(world: World) -> None:
    t = _bup_ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    assert _refusal(world, given, "4", t + timedelta(minutes=40)) == ""


def test_a_new_dose_after_a_first_dose_corrected_to_0_meets_the_order(world: World) -> None:
    t = _bup_ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    cows(world, t + timedelta(minutes=30))  # a fresh COWS: still "ready"
    with pytest.raises(DoseBlocked) as blocked:
        dose(world, "6", t + timedelta(minutes=40), medication=BUP)
    assert "more than the order" in str(blocked.value)


# --- methadone: a 20 mg order, its first dose raised to 30 mg (within the first day's limits) ---


def test_a_methadone_first_dose_raised_above_its_order_is_refused(world: World) -> None:
    t = _methadone_on(world)
    given = dose(world, "20", t).dose
    assert "more than the order" in _refusal(world, given, "30", t + timedelta(minutes=40))


def test_a_methadone_first_dose_corrected_to_0_then_above_its_order_is_refused(world: World) -> None:
    t = _methadone_on(world)
    given = dose(world, "20", t).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    assert "more than the order" in _refusal(world, given, "30", t + timedelta(minutes=40))


def test_a_methadone_first_dose_zeroed_after_a_next_day_dose_is_refused_above_its_order(world: World) -> None:
    t = _methadone_on(world)
    given = dose(world, "20", t).dose
    dose(world, "20", at(a_day(world, 1), 9))
    _correct(world, given, "0", at(a_day(world, 1), 10))
    assert "more than the order" in _refusal(world, given, "30", at(a_day(world, 1), 11))
