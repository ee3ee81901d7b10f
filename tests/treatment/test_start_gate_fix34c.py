"""Lane fix34c (review 34c holes 1-3): a start override limits the first day's total, every dose of it, at
the window, on the API, for a dose recorded for an earlier time and for a correction; a correction down is
always saved; the first methadone increase counts its days from the first dose."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.core import rules
from keel.core.rules.inputs import FieldError
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World, sign_in
from tests.review34c._setup import REASON, a_day, at, cows, dose, intake, order, override

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"


def _not_ready_on(world: World, cap: str) -> datetime:
    """Buprenorphine 8 mg written; methadone 30 h and heroin 14 h ago (readiness "wait"); COWS 14; a start
    override up to `cap` today. 09:00 of that day."""
    t = at(a_day(world), 9)
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14), methadone=t - timedelta(hours=30))
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication=BUP, kind="start", mg=cap)
    return t


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


def _refused_field(world: World, given: DoseRecord, mg: str, when: datetime) -> list[str]:
    with pytest.raises(TreatmentInvalid) as refused:
        _correct(world, given, mg, when)
    return [e.field for e in refused.value.errors if isinstance(e, FieldError)]


# --- Hole 1: every dose of the first day meets the start override's total ---


def test_two_doses_within_the_start_override_total_are_given(world: World) -> None:
    t = _not_ready_on(world, "2")
    assert dose(world, "1", t, medication=BUP).dose.amount_mg == 1
    assert dose(world, "1", t + timedelta(hours=3), medication=BUP).dose.amount_mg == 1


def test_a_second_dose_past_the_total_says_the_start_gate(world: World) -> None:
    t = _not_ready_on(world, "2")
    dose(world, "2", t, medication=BUP)
    with pytest.raises(DoseBlocked) as blocked:
        dose(world, "2", t + timedelta(hours=3), medication=BUP)
    assert "not ready" in str(blocked.value)


def test_a_dose_recorded_for_an_earlier_time_meets_the_total(world: World) -> None:
    t = _not_ready_on(world, "2")
    dose(world, "2", t, medication=BUP)
    with pytest.raises(DoseBlocked):
        dose(world, "6", t + timedelta(hours=4), medication=BUP, given_at=t + timedelta(hours=3))


def test_the_next_day_is_no_first_day(world: World) -> None:
    t = _not_ready_on(world, "2")
    dose(world, "2", t, medication=BUP)
    next_day = at(a_day(world, 1), 0, 5)
    assert dose(world, "4", next_day, medication=BUP).dose.amount_mg == 4


def test_the_api_refuses_a_second_dose_past_the_total(world: World) -> None:
    t = _not_ready_on(world, "2")
    dose(world, "2", t, medication=BUP)
    with time_machine.travel(t + timedelta(hours=3), tick=False):
        response = sign_in(Client(), world.staff["nurse"]).post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "6", "medication": BUP, "sequence": 2}),
            "application/json",
        )
    assert response.status_code == 409
    assert DoseRecord.objects.filter(patient=world.alice).count() == 1


# --- Hole 2: a correction meets the start gate of its dose's time ---


def test_a_correction_of_the_second_dose_past_the_total_is_refused(world: World) -> None:
    t = _not_ready_on(world, "2")
    dose(world, "1", t, medication=BUP)
    second = dose(world, "1", t + timedelta(hours=3), medication=BUP).dose
    assert _refused_field(world, second, "3", t + timedelta(hours=4)) == ["corrected_mg"]


def test_a_correction_up_within_the_total_is_saved(world: World) -> None:
    t = _not_ready_on(world, "4")
    given = dose(world, "2", t, medication=BUP).dose
    assert _correct(world, given, "4", t + timedelta(minutes=30)).corrected_mg == 4


def test_a_limit_override_does_not_pass_the_start_gate_for_a_correction(world: World) -> None:
    t = _not_ready_on(world, "4")
    given = dose(world, "4", t, medication=BUP).dose
    override(world, t + timedelta(minutes=20), medication=BUP, mg="8")
    assert _refused_field(world, given, "8", t + timedelta(minutes=30)) == ["corrected_mg"]


def test_a_correction_after_a_correction_down_meets_the_gate(world: World) -> None:
    t = _not_ready_on(world, "4")
    given = dose(world, "4", t, medication=BUP).dose
    assert _correct(world, given, "2", t + timedelta(minutes=20)).corrected_mg == 2
    assert _refused_field(world, given, "8", t + timedelta(minutes=40)) == ["corrected_mg"]


def test_a_correction_down_is_saved_even_past_the_total(world: World) -> None:
    t = _not_ready_on(world, "4")
    given = dose(world, "4", t, medication=BUP).dose
    override(world, t + timedelta(minutes=10), medication=BUP, kind="start", mg="8")
    dose(world, "4", t + timedelta(hours=3), medication=BUP)
    assert _correct(world, given, "3", t + timedelta(hours=4)).corrected_mg == 3


def test_the_api_refuses_the_correction_naming_corrected_mg(world: World) -> None:
    t = _not_ready_on(world, "4")
    given = dose(world, "4", t, medication=BUP).dose
    with time_machine.travel(t + timedelta(minutes=30), tick=False):
        response = sign_in(Client(), world.staff["nurse"]).post(
            f"/api/v1/patients/{world.alice.pk}/doses/{given.pk}/amendments",
            json.dumps({"corrected_mg": "8", "reason": REASON, "correction_version": 0}),
            "application/json",
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "corrected_mg"
    assert not DoseAmendment.objects.filter(dose=given).exists()


# --- Hole 3: the first methadone increase counts from the first dose ---


def _methadone_30_from(world: World, days_ago: int, days: int) -> date:
    """Methadone 30 mg written and given `days` days in a row from `days_ago` days before today. The next."""
    first = a_day(world, days_ago)
    order(world, "methadone", "30", at(first, 7))
    for i in range(days):
        dose(world, "30", at(first + timedelta(days=i), 9))
    return first + timedelta(days=days)


def test_the_first_raise_on_day_four_is_allowed(world: World) -> None:
    day_four = _methadone_30_from(world, 4, 3)
    order(world, "methadone", "40", at(day_four, 7))
    assert dose(world, "40", at(day_four, 9)).decision.decision == "allowed"


def test_a_day_two_raise_with_a_limit_override_is_given_on_its_reason(world: World) -> None:
    day_two = _methadone_30_from(world, 3, 1)
    order(world, "methadone", "40", at(day_two, 7))
    override(world, at(day_two, 8), medication="methadone", mg="40")
    assert dose(world, "40", at(day_two, 9)).decision.decision == "allowed_with_rationale"


def test_a_day_two_correction_up_is_refused(world: World) -> None:
    day_two = _methadone_30_from(world, 3, 1)
    order(world, "methadone", "40", at(day_two, 7))
    given = dose(world, "30", at(day_two, 9)).dose
    assert _refused_field(world, given, "40", at(day_two, 10)) == ["corrected_mg"]


def test_the_rule_names_the_first_dose_day_and_the_earliest_day(world: World) -> None:
    raw: dict[str, Any] = {
        "treatment_day": 2,
        "given_today_mg": 0,
        "requested_mg": 40,
        "previous_day_mg": 30,
        "last_observed_mg": 30,
    }
    decision = rules.get("methadone-dose-check").run(raw)
    assert decision.decision == "needs_override"
    said = " ".join(r.text for r in decision.reasons)
    assert "today is day 2" in said and "day 4" in said
    assert any("keel-policy" in r.sources for r in decision.reasons)
    raw["treatment_day"] = 4
    assert rules.get("methadone-dose-check").run(raw).decision == "allowed"
