"""Hole 2: a correction raises a first buprenorphine dose given on a prescriber's start override past the
total the override allowed, with the readiness verdict still "wait". Heroin 6 h ago (the wait is 12 h), a
start override up to 4 mg today, 4 mg given; half an hour later the nurse corrects the dose to 8 mg ("it was
two tablets"): saved. Had 8 mg been typed at the window it would have been refused (no readiness, the override
covers 4 mg). Cause: `treatment.services.doses.limits.amendment_ceilings` meets the ceilings, the day limits
(`induction_limits_over`) and the order (`window_limits_over`) but never the start gate
(`services.start.start_gate`): a correction is a way round the gate the window applies."""

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
from tests.review34c._setup import REASON, a_day, at, cows, dose, intake, order, override

pytestmark = pytest.mark.django_db


def _first_dose_on_override(world: World) -> tuple[DoseRecord, datetime]:
    """Buprenorphine 8 mg written; heroin 6 h ago; COWS 14; a start override up to 4 mg; 4 mg given at 09:00.
    The dose and 09:30."""
    t = at(a_day(world), 9)
    order(world, "buprenorphine", "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=6))
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication="buprenorphine", kind="start", mg="4")
    return dose(world, "4", t, medication="buprenorphine").dose, t + timedelta(minutes=30)


def _correct(world: World, given: DoseRecord, mg: str, when: datetime) -> DoseAmendment:
    with time_machine.travel(when, tick=False):
        return amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg=mg,
            reason=REASON,
            now=when,
        )


def test_control_8_mg_typed_at_the_window_is_refused(world: World) -> None:
    t = at(a_day(world), 9)
    order(world, "buprenorphine", "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=6))
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication="buprenorphine", kind="start", mg="4")
    with pytest.raises(DoseBlocked):
        dose(world, "8", t, medication="buprenorphine")


def test_control_a_correction_down_is_saved(world: World) -> None:
    given, when = _first_dose_on_override(world)
    assert _correct(world, given, "2", when).corrected_mg == 2


def test_a_correction_up_past_the_start_override_is_refused_naming_corrected_mg(world: World) -> None:
    given, when = _first_dose_on_override(world)
    with pytest.raises(TreatmentInvalid) as refused:
        _correct(world, given, "8", when)
    assert [e.field for e in refused.value.errors if isinstance(e, FieldError)] == ["corrected_mg"]
