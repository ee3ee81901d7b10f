"""Lane fix35a (review 34e item 3): the first-dose COWS flag (clin34) reads the gate the window put to the
dose, by the window's own definitions: a readmission's first dose inside the restart gap, a later dose of a
start override's day that met the gate on a fresh COWS; only a COWS typed in by the time the dose was
recorded; and no flag when, without the struck COWS, another one at the threshold still made it ready."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment, submit_assessment
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.treatment.models import DoseRecord
from tests.conftest import World
from tests.review34c._setup import COWS_14, a_day, at, cows, dose, intake, order, override

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"
WHY = "The scores were another person's, typed on the wrong chart"
LOW = {**COWS_14, "restlessness": 0, "aches": 0, "nose_eyes": 0, "pupils": 0}  # 14 - 9 = 5


def _strike(world: World, score: Assessment, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        correct_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            assessment_id=score.pk,
            reason=WHY,
            entered_in_error=True,
        )


def _flagged(given: DoseRecord) -> list[PatientFlag]:
    return list(PatientFlag.objects.filter(kind=FlagKind.FIRST_DOSE_COWS, source_id=given.pk))


def _ready_before(world: World, t: datetime) -> None:
    """Buprenorphine 8 mg written; heroin 14 h before `t` (ready on a COWS at or above 8)."""
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14))


# --- (a) a readmission inside the restart gap ---


def test_a_readmissions_first_dose_on_a_struck_cows_is_flagged(world: World) -> None:
    from keel.patients import services as patients

    old = at(a_day(world, 3), 9)
    _ready_before(world, old)
    cows(world, old - timedelta(minutes=10))
    dose(world, "4", old, medication=BUP)
    with time_machine.travel(at(a_day(world), 7), tick=False):
        left = DischargeIn.posted({"reason": "left"})
        patients.discharge(by=world.staff["counselor"], patient_id=world.alice.pk, data=left)
        patients.readmit(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    t = at(a_day(world), 12)
    _ready_before(world, t)
    score = cows(world, t - timedelta(minutes=10))
    given = dose(world, "4", t, medication=BUP).dose
    _strike(world, score, t + timedelta(hours=1))
    assert len(_flagged(given)) == 1


# --- (b) a later dose of a start override's day that met the gate ---


def test_a_later_dose_that_met_the_gate_on_a_fresh_cows_is_flagged(world: World) -> None:
    t = at(a_day(world), 9)
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=10))  # the wait is 12 h: "wait"
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication=BUP, kind="start", mg="2")
    dose(world, "2", t, medication=BUP)
    later = t + timedelta(hours=3, minutes=30)  # 13.5 h after heroin: ready on a COWS after the 2 mg
    fresh = cows(world, later - timedelta(minutes=10))
    second = dose(world, "4", later, medication=BUP).dose
    _strike(world, fresh, later + timedelta(hours=1))
    assert len(_flagged(second)) == 1


def test_a_later_dose_of_a_day_begun_on_ready_is_not_flagged(world: World) -> None:
    t = at(a_day(world), 9)
    _ready_before(world, t)
    cows(world, t - timedelta(minutes=10))
    dose(world, "4", t, medication=BUP)
    later = t + timedelta(hours=2)
    fresh = cows(world, later - timedelta(minutes=10))
    second = dose(world, "2", later, medication=BUP).dose
    _strike(world, fresh, later + timedelta(hours=1))
    assert _flagged(second) == []


# --- (c) a COWS typed in after the dose is not what its gate read ---


def test_a_paper_cows_typed_in_later_does_not_hide_the_one_the_gate_read(world: World) -> None:
    t = at(a_day(world), 12)
    _ready_before(world, t)
    score = cows(world, t - timedelta(minutes=10))
    given = dose(world, "4", t, medication=BUP).dose
    with time_machine.travel(t + timedelta(minutes=30), tick=False):
        submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="cows",
            answers=COWS_14,
            filled_at=t - timedelta(minutes=5),
        )
    _strike(world, score, t + timedelta(hours=1))
    assert len(_flagged(given)) == 1


# --- (d) a struck duplicate, another COWS at the threshold still there ---


def test_a_struck_duplicate_with_the_other_cows_ready_raises_no_flag(world: World) -> None:
    t = at(a_day(world), 12)
    _ready_before(world, t)
    cows(world, t - timedelta(minutes=15))
    duplicate = cows(world, t - timedelta(minutes=10))
    given = dose(world, "4", t, medication=BUP).dose
    _strike(world, duplicate, t + timedelta(hours=1))
    assert _flagged(given) == []


def test_a_struck_cows_over_an_earlier_one_below_the_threshold_is_flagged(world: World) -> None:
    t = at(a_day(world), 12)
    _ready_before(world, t)
    cows(world, t - timedelta(minutes=15), LOW)
    score = cows(world, t - timedelta(minutes=10))
    given = dose(world, "4", t, medication=BUP).dose
    _strike(world, score, t + timedelta(hours=1))
    assert len(_flagged(given)) == 1


def test_a_cows_corrected_below_the_threshold_is_still_flagged(world: World) -> None:
    t = at(a_day(world), 12)
    _ready_before(world, t)
    cows(world, t - timedelta(minutes=15))
    score = cows(world, t - timedelta(minutes=10))
    given = dose(world, "4", t, medication=BUP).dose
    with time_machine.travel(t + timedelta(hours=1), tick=False):
        correct_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            assessment_id=score.pk,
            reason=WHY,
            answers=LOW,
        )
    assert len(_flagged(given)) == 1
