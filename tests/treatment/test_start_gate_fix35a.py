"""Lane fix35a (review 34e items 1, 2, 4, 5): the buprenorphine start gate over corrections. A dose of the
episode's first dosing day meets the gate whatever a correction made of it since (to 0 mg and up again, a
void, a later day's dose); the gate reads the readiness verdict just before the dose (the dose is not its
own last use: a correction up of a first dose given on "ready" is saved); a start override the day's first
dose did not need gates no later dose; an override written after a dose does not count for its correction;
a correction down is always saved."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client

from keel.core.rules.inputs import FieldError
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World, sign_in
from tests.review34c._setup import COWS_14, REASON, a_day, at, cows, dose, intake, order, override

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"


def _not_ready_on(world: World, cap: str, days_ago: int = 2) -> datetime:
    """Buprenorphine 8 mg written; methadone 30 h and heroin 14 h ago (readiness "wait"); COWS 14; a start
    override up to `cap` that day. 09:00 of that day."""
    t = at(a_day(world, days_ago), 9)
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14), methadone=t - timedelta(hours=30))
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication=BUP, kind="start", mg=cap)
    return t


def _ready_on(world: World) -> datetime:
    """Buprenorphine 8 mg written; heroin 14 h ago (no methadone); COWS 14 ten minutes before 09:00:
    readiness "ready" at 09:00."""
    t = at(a_day(world), 9)
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14))
    cows(world, t - timedelta(minutes=10))
    return t


def _correct(
    world: World, given: DoseRecord, mg: str, when: datetime, role: str = "nurse", **kw: object
) -> DoseAmendment:
    with time_machine.travel(when, tick=False):
        return amend_dose(
            by=world.staff[role],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg=mg if not kw.get("void") else None,
            reason=REASON,
            now=when,
            **kw,  # type: ignore[arg-type]
        )


def _refused_field(
    world: World, given: DoseRecord, mg: str, when: datetime, role: str = "nurse"
) -> list[str]:
    with pytest.raises(TreatmentInvalid) as refused:
        _correct(world, given, mg, when, role)
    return [e.field for e in refused.value.errors if isinstance(e, FieldError)]


# --- Item 1: down to 0 then up does not walk around the gate ---


def test_a_first_dose_corrected_to_0_then_up_past_the_override_is_refused(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    assert _refused_field(world, given, "8", t + timedelta(minutes=40)) == ["corrected_mg"]


def test_a_first_dose_corrected_to_0_then_back_within_the_override_is_saved(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    assert _correct(world, given, "2", t + timedelta(minutes=40)).corrected_mg == 2


def test_a_voided_first_dose_corrected_up_past_the_override_is_refused(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    _correct(world, given, "", t + timedelta(minutes=20), void=True)
    assert _refused_field(world, given, "8", t + timedelta(minutes=40)) == ["corrected_mg"]


def test_a_next_day_dose_does_not_open_the_first_day_to_a_raise(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    dose(world, "4", at(a_day(world, 1), 9), medication=BUP)
    _correct(world, given, "0", at(a_day(world, 1), 10))
    assert _refused_field(world, given, "8", at(a_day(world, 1), 11)) == ["corrected_mg"]


def test_a_prescriber_is_refused_the_same_raise(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    assert _refused_field(world, given, "8", t + timedelta(minutes=40), "prescriber") == ["corrected_mg"]


def test_after_the_refusal_a_correction_down_is_saved(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    _refused_field(world, given, "8", t + timedelta(minutes=40))
    assert _correct(world, given, "1", t + timedelta(minutes=50)).corrected_mg == 1


def test_the_api_refuses_the_raise_after_a_correction_to_0(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    zero = _correct(world, given, "0", t + timedelta(minutes=20))
    with time_machine.travel(t + timedelta(minutes=40), tick=False):
        response = sign_in(Client(), world.staff["nurse"]).post(
            f"/api/v1/patients/{world.alice.pk}/doses/{given.pk}/amendments",
            json.dumps({"corrected_mg": "8", "reason": REASON, "correction_version": zero.pk}),
            "application/json",
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "corrected_mg"


def test_the_page_refuses_the_raise_after_a_correction_to_0_in_the_rules_words(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    zero = _correct(world, given, "0", t + timedelta(minutes=20))
    fields = {"corrected_mg": "8", "reason": REASON, "correction_version": str(zero.pk)}
    with time_machine.travel(t + timedelta(minutes=40), tick=False):
        response = sign_in(Client(), world.staff["nurse"]).post(
            f"/patients/{world.alice.pk}/medication/doses/{given.pk}/amendments/", fields, follow=True
        )
    assert "not ready" in response.content.decode()
    assert DoseAmendment.objects.filter(dose=given).count() == 1


def test_a_readmissions_first_dose_corrected_to_0_then_up_is_refused(world: World) -> None:
    """An earlier episode's dose the day before does not make the readmission's first day a later one."""
    from keel.patients import services as patients

    old = at(a_day(world, 3), 9)
    order(world, BUP, "8", old - timedelta(hours=3))
    intake(world, old - timedelta(hours=1), heroin=old - timedelta(hours=14))
    cows(world, old - timedelta(minutes=10))
    dose(world, "4", old, medication=BUP)
    with time_machine.travel(at(a_day(world), 7), tick=False):
        patients.discharge(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
        patients.readmit(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    t = at(a_day(world), 9)
    order(world, BUP, "8", t - timedelta(hours=1, minutes=30))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14), methadone=t - timedelta(hours=30))
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication=BUP, kind="start", mg="2")
    given = dose(world, "2", t, medication=BUP).dose
    _correct(world, given, "0", t + timedelta(minutes=20))
    assert _refused_field(world, given, "8", t + timedelta(minutes=40)) == ["corrected_mg"]


# --- Item 2: the dose is not its own last use ---


def test_a_first_dose_given_on_ready_is_corrected_up(world: World) -> None:
    t = _ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    assert _correct(world, given, "8", t + timedelta(minutes=30)).corrected_mg == 8


def test_a_first_dose_given_on_ready_is_corrected_up_the_next_day(world: World) -> None:
    t = _ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    assert _correct(world, given, "8", at(a_day(world, 1), 10)).corrected_mg == 8


def test_a_first_dose_recorded_for_an_earlier_time_is_corrected_up(world: World) -> None:
    t = _ready_on(world)
    given = dose(world, "4", t + timedelta(minutes=40), medication=BUP, given_at=t).dose
    assert _correct(world, given, "8", t + timedelta(hours=1)).corrected_mg == 8


def test_a_first_dose_on_ready_still_meets_the_day_one_limit(world: World) -> None:
    t = _ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    assert _refused_field(world, given, "12", t + timedelta(minutes=30)) == ["corrected_mg"]


def test_a_paper_cows_typed_in_later_does_not_change_what_the_gate_read(world: World) -> None:
    from keel.assessments.services import submit_assessment

    t = _ready_on(world)
    given = dose(world, "4", t, medication=BUP).dose
    low = {**COWS_14, "restlessness": 0, "aches": 0, "nose_eyes": 0, "pupils": 0}  # 14 - 9 = 5
    with time_machine.travel(t + timedelta(minutes=20), tick=False):
        submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="cows",
            answers=low,
            filled_at=t - timedelta(minutes=5),
        )
    assert _correct(world, given, "8", t + timedelta(minutes=30)).corrected_mg == 8


# --- Item 4: a start override the first dose did not need gates no later dose ---


def test_a_second_dose_after_a_first_on_ready_is_given_with_an_unused_start_override(world: World) -> None:
    t = _ready_on(world)
    override(world, t - timedelta(minutes=5), medication=BUP, kind="start", mg="2")
    dose(world, "4", t, medication=BUP)
    assert dose(world, "4", t + timedelta(hours=2), medication=BUP).dose.amount_mg == 4


def test_an_override_written_after_a_first_dose_on_ready_gates_no_later_dose(world: World) -> None:
    t = _ready_on(world)
    dose(world, "4", t, medication=BUP)
    override(world, t + timedelta(minutes=30), medication=BUP, kind="start", mg="2")
    assert dose(world, "4", t + timedelta(hours=2), medication=BUP).dose.amount_mg == 4


def test_a_second_dose_after_a_first_on_the_override_still_meets_its_total(world: World) -> None:
    t = _not_ready_on(world, "2")
    dose(world, "2", t, medication=BUP)
    with pytest.raises(DoseBlocked):
        dose(world, "4", t + timedelta(hours=2), medication=BUP)


def test_a_second_dose_after_a_voided_first_on_ready_meets_the_gate_again(world: World) -> None:
    t = _ready_on(world)
    first = dose(world, "4", t, medication=BUP).dose
    _correct(world, first, "", t + timedelta(minutes=30), void=True)
    with pytest.raises(DoseBlocked):  # the voided dose was no dose: this one is the first, COWS before it old
        dose(world, "4", t + timedelta(hours=3), medication=BUP)


def test_the_second_dose_of_an_unused_override_day_is_corrected_up(world: World) -> None:
    t = _ready_on(world)
    override(world, t - timedelta(minutes=5), medication=BUP, kind="start", mg="2")
    dose(world, "2", t, medication=BUP)
    second = dose(world, "2", t + timedelta(hours=2), medication=BUP).dose
    assert _correct(world, second, "6", t + timedelta(hours=3)).corrected_mg == 6


# --- Item 5: the overrides in force when the dose was given ---


def test_a_start_override_written_after_the_dose_does_not_pass_its_raise(world: World) -> None:
    t = _not_ready_on(world, "2")
    given = dose(world, "2", t, medication=BUP).dose
    override(world, t + timedelta(minutes=10), medication=BUP, kind="start", mg="8")
    assert _refused_field(world, given, "8", t + timedelta(minutes=30)) == ["corrected_mg"]


def test_a_later_dose_given_on_the_new_override_is_corrected_up_within_it(world: World) -> None:
    t = _not_ready_on(world, "2")
    dose(world, "2", t, medication=BUP)
    override(world, t + timedelta(minutes=10), medication=BUP, kind="start", mg="8")
    second = dose(world, "2", t + timedelta(hours=2), medication=BUP).dose
    assert _correct(world, second, "6", t + timedelta(hours=3)).corrected_mg == 6
