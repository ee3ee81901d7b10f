"""Lane fix36a (review 35h holes 1, 2, 4): the buprenorphine start gate reads "before this dose" by time
given. A dose recorded late for a time before the day's first recorded dose is the day's first dose: it meets
readiness as of its time given (at the window, on the API, on a correction up, under a start override, on a
readmission day, after a void of the true first dose); a report of last use typed in after the dose's time
and by its recording counts; the first-dose COWS flag reads a struck COWS as the gate did, by the dose's
recording."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment
from keel.core.rules.buprenorphine.verdicts import NOT_READY_TO_DOSE
from keel.core.rules.inputs import FieldError
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord
from keel.treatment.queries.doses import given_before
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.last_use import record_last_use
from tests.conftest import World, sign_in
from tests.review34c._setup import REASON, a_day, at, cows, dose, intake, order, override

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"
WHY = "The scores were another person's, typed on the wrong chart"


def _day(world: World, days_ago: int = 2) -> datetime:
    """Buprenorphine 8 mg written at 05:00; heroin last used 20:00 the evening before; a COWS 14 at 09:45:
    "ready" at 10:00, no COWS yet at 08:00 (not ready then). 10:00 of that day."""
    t = at(a_day(world, days_ago), 10)
    order(world, BUP, "8", t - timedelta(hours=5))
    intake(world, t - timedelta(hours=3), heroin=t - timedelta(hours=14))
    cows(world, t - timedelta(minutes=15))
    return t


def _late(world: World, t: datetime, mg: str = "4", hours_before: int = 2) -> DoseRecord:
    """The dose given `hours_before` before `t`, recorded at `t` + 30 min (it lands in the next slot)."""
    given: DoseRecord = dose(
        world, mg, t + timedelta(minutes=30), medication=BUP, given_at=t - timedelta(hours=hours_before)
    ).dose
    return given


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


def _void(world: World, given: DoseRecord, when: datetime) -> DoseAmendment:
    with time_machine.travel(when, tick=False):
        return amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg=None,
            reason=REASON,
            now=when,
            void=True,
        )


# --- Hole 1: a dose recorded late for an earlier time is the day's first dose ---


def test_the_window_refuses_a_late_recorded_dose_given_before_the_first_not_ready(world: World) -> None:
    t = _day(world)
    dose(world, "2", t, medication=BUP)
    with pytest.raises(DoseBlocked) as blocked:
        _late(world, t)
    assert blocked.value.decision.decision == NOT_READY_TO_DOSE


def test_the_window_still_records_a_later_dose_of_the_day(world: World) -> None:
    t = _day(world)
    dose(world, "2", t, medication=BUP)
    later = dose(world, "2", t + timedelta(hours=3), medication=BUP, given_at=t + timedelta(hours=2)).dose
    assert later.sequence == 2


def test_a_start_override_covering_the_day_passes_the_late_first_dose(world: World) -> None:
    t = _day(world)
    override(world, t - timedelta(minutes=10), medication=BUP, kind="start", mg="6")
    dose(world, "2", t, medication=BUP)
    assert _late(world, t).sequence == 2


def test_a_start_override_below_the_days_total_does_not_pass_the_late_first_dose(world: World) -> None:
    t = _day(world)
    override(world, t - timedelta(minutes=10), medication=BUP, kind="start", mg="4")
    dose(world, "2", t, medication=BUP)
    with pytest.raises(DoseBlocked) as blocked:
        _late(world, t)
    assert blocked.value.decision.decision == NOT_READY_TO_DOSE


def test_a_correction_up_of_a_late_first_dose_past_the_override_is_refused(world: World) -> None:
    t = _day(world)
    override(world, t - timedelta(minutes=10), medication=BUP, kind="start", mg="6")
    dose(world, "2", t, medication=BUP)
    late = _late(world, t)
    with pytest.raises(TreatmentInvalid) as refused:
        _correct(world, late, "6", t + timedelta(hours=1))
    assert [e.field for e in refused.value.errors if isinstance(e, FieldError)] == ["corrected_mg"]


def test_a_correction_up_of_the_first_recorded_dose_after_a_late_first_on_override_meets_the_gate(
    world: World,
) -> None:
    """The 10:00 dose, given on "ready", stays correctable up within the day's limit."""
    t = _day(world)
    override(world, t - timedelta(minutes=10), medication=BUP, kind="start", mg="6")
    first_recorded = dose(world, "2", t, medication=BUP).dose
    _late(world, t)
    assert _correct(world, first_recorded, "4", t + timedelta(hours=1)).corrected_mg == 4


def test_after_a_void_of_the_true_first_dose_a_late_dose_before_the_first_recorded_is_gated(
    world: World,
) -> None:
    t = _day(world)
    override(world, t - timedelta(minutes=10), medication=BUP, kind="start", mg="6")
    dose(world, "2", t, medication=BUP)
    late = _late(world, t)
    _void(world, late, t + timedelta(minutes=40))  # 6 mg at 06:00 and 2 mg: 8 mg, past the 6 mg override
    with pytest.raises(DoseBlocked) as blocked:
        dose(world, "6", t + timedelta(minutes=50), medication=BUP, given_at=t - timedelta(hours=4))
    assert blocked.value.decision.decision == NOT_READY_TO_DOSE


def test_a_late_first_dose_on_a_readmission_day_is_refused(world: World) -> None:
    from keel.patients import services as patients

    old = at(a_day(world, 3), 9)
    order(world, BUP, "8", old - timedelta(hours=3))
    intake(world, old - timedelta(hours=1), heroin=old - timedelta(hours=14))
    cows(world, old - timedelta(minutes=10))
    dose(world, "4", old, medication=BUP)
    with time_machine.travel(at(a_day(world), 6), tick=False):
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
    t = _day(world)
    dose(world, "2", t, medication=BUP)
    with pytest.raises(DoseBlocked) as blocked:
        _late(world, t)
    assert blocked.value.decision.decision == NOT_READY_TO_DOSE


def test_the_api_refuses_a_late_recorded_dose_given_before_the_first(world: World) -> None:
    t = _day(world)
    dose(world, "2", t, medication=BUP)
    body = {
        "amount_mg": "4",
        "medication": BUP,
        "sequence": 2,
        "given_at": (t - timedelta(hours=2)).isoformat(),
    }
    with time_machine.travel(t + timedelta(minutes=30), tick=False):
        response = sign_in(Client(), world.staff["nurse"]).post(
            f"/api/v1/patients/{world.alice.pk}/doses", json.dumps(body), "application/json"
        )
    assert response.status_code == 409  # the window's refusal of a blocked dose (`api.on_dose_blocked`)
    assert response.json()["decision"]["decision"] == NOT_READY_TO_DOSE


# --- Hole 2: a report of last use typed in after the dose's time, by its recording, counts ---


def _report_at(world: World, when: datetime, used: datetime) -> None:
    with time_machine.travel(when, tick=False):
        record_last_use(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            raw={"opioids": [{"opioid": "heroin", "last_use_at": used.isoformat()}]},
            now=when,
        )


def test_a_last_use_typed_after_the_doses_time_and_before_its_recording_counts(world: World) -> None:
    t = _day(world)
    _report_at(world, t + timedelta(minutes=20), t - timedelta(hours=2))  # heroin 08:00, typed 10:20
    with pytest.raises(DoseBlocked) as blocked:
        dose(world, "4", t + timedelta(minutes=30), medication=BUP, given_at=t)
    assert blocked.value.decision.decision == NOT_READY_TO_DOSE


def test_a_last_use_typed_after_the_dose_was_recorded_does_not_reopen_its_gate(world: World) -> None:
    """The correction's gate reads what was typed in by the dose's recording: a later report is not it."""
    t = _day(world)
    given = dose(world, "4", t + timedelta(minutes=30), medication=BUP, given_at=t).dose
    _report_at(world, t + timedelta(minutes=40), t - timedelta(hours=2))
    assert _correct(world, given, "6", t + timedelta(hours=1)).corrected_mg == 6


def test_a_correction_up_reads_a_last_use_typed_between_the_doses_time_and_its_recording(
    world: World,
) -> None:
    t = _day(world)
    override(world, t - timedelta(minutes=10), medication=BUP, kind="start", mg="4")
    _report_at(world, t + timedelta(minutes=20), t - timedelta(hours=2))
    given = dose(world, "4", t + timedelta(minutes=30), medication=BUP, given_at=t).dose  # on the override
    with pytest.raises(TreatmentInvalid):
        _correct(world, given, "6", t + timedelta(hours=1))


# --- Hole 1 and 4: the first-dose COWS flag ---


def _strike(world: World, score: Assessment, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        correct_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            assessment_id=score.pk,
            reason=WHY,
            entered_in_error=True,
        )


def _flags(given: DoseRecord) -> int:
    return PatientFlag.objects.filter(kind=FlagKind.FIRST_DOSE_COWS, source_id=given.pk).count()


def test_a_late_recorded_first_dose_on_a_struck_cows_is_flagged(world: World) -> None:
    t = _day(world)  # a COWS at 09:45 for the 10:00 dose
    early = cows(world, t - timedelta(hours=2, minutes=15))  # 07:45, for the 08:00 dose
    dose(world, "2", t, medication=BUP)
    late = _late(world, t)
    _strike(world, early, t + timedelta(hours=1))
    assert _flags(late) == 1


def test_a_cows_struck_before_the_dose_was_recorded_is_not_the_one_its_gate_read(world: World) -> None:
    """Struck at 10:15, after the 10:00 dose's time but before its recording at 10:30: the gate read the
    COWS before it (09:45); a correction of that one down is flagged."""
    t = at(a_day(world), 10)
    order(world, BUP, "8", t - timedelta(hours=5))
    intake(world, t - timedelta(hours=3), heroin=t - timedelta(hours=14))
    read = cows(world, t - timedelta(minutes=15))
    struck = cows(world, t - timedelta(minutes=5))
    _strike(world, struck, t + timedelta(minutes=15))
    given = dose(world, "4", t + timedelta(minutes=30), medication=BUP, given_at=t).dose
    _strike(world, read, t + timedelta(hours=1))
    assert _flags(given) == 1


# --- The one definition: by time given, ties by the order recorded ---


def _row(pk: int, given: datetime | None, recorded: datetime) -> DoseRecord:
    return DoseRecord(pk=pk, given_at=given, recorded_at=recorded)


def test_a_dose_given_earlier_and_recorded_later_is_before(world: World) -> None:
    t = at(a_day(world), 10)
    slot_1, late = _row(1, None, t), _row(2, t - timedelta(hours=2), t + timedelta(minutes=30))
    assert given_before([slot_1, late], slot_1) == [late]


def test_of_two_doses_given_at_the_same_time_the_one_recorded_first_is_before(world: World) -> None:
    t = at(a_day(world), 10)
    first, second = _row(1, t, t + timedelta(minutes=5)), _row(2, t, t + timedelta(minutes=10))
    assert given_before([first, second], second) == [first]


def test_a_dose_being_recorded_now_comes_after_every_dose_given_by_its_time(world: World) -> None:
    t = at(a_day(world), 10)
    same, later = (
        _row(1, t, t + timedelta(minutes=5)),
        _row(2, t + timedelta(hours=1), t + timedelta(hours=1)),
    )
    assert given_before([same, later], t) == [same]
