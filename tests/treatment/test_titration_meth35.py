"""Lane meth35 (review 34c hole 3, the part fix34c left): a new induction after missed days is a new start
for titration. After five missed days in a row the person is inducted again (the first day's limits,
correction 8); the first raise after it waits the program's days between increases (default 3) from the new
induction's first dose, as the episode's first raise waits from the first dose (fix34c) and a readmission's
from its own. Every route: the window (service and API), a correction up of a dose, an increase over a dose
given before the gap, the person's day in the program's time zone; the rule itself (`titration_from_day`)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.patients.models import local_today, zone_of
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
REASON = "Reassessed after five missed days: no sedation, withdrawal objective, restart plan discussed"


def a_day(world: World, days_ago: int) -> date:
    """The program's day `days_ago` days before its today (relative: the suite runs under moved clocks)."""
    return local_today(world.alice) - timedelta(days=days_ago)


def at(world: World, day: date, hour: int = 9, minute: int = 0) -> datetime:
    """`hour`:`minute` of `day` in the person's (the program's) time zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone_of(world.alice))


def prescribe(world: World, mg: str, when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        return services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg=mg,
            now=when,
        )


def give(world: World, mg: str, when: datetime, **kw: Any) -> services.DoseOutcome:
    with time_machine.travel(when, tick=False):
        return services.record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg=mg,
            medication="methadone",
            now=when,
            **kw,
        )


def override(world: World, when: datetime, **kw: Any) -> Any:
    kw.setdefault("medication", "methadone")
    kw.setdefault("reason", REASON)
    with time_machine.travel(when, tick=False):
        return services.add_override(by=world.staff["prescriber"], patient_id=world.alice.pk, now=when, **kw)


def refused(world: World, mg: str, when: datetime) -> str:
    """The words of the window's refusal of `mg` at `when`."""
    with pytest.raises(services.DoseBlocked) as exc:
        give(world, mg, when)
    return " ".join(r.text for r in exc.value.decision.reasons)


def reinduced(world: World, before: str = "30", first: str = "30") -> date:
    """Six days at `before` mg from 25 days ago, five days missed in a row, then a new induction at `first` mg
    on the prescriber's override (the reassessment after missed days). Returns the new induction's day."""
    start = a_day(world, 25)
    prescribe(world, before, at(world, start, 7))
    for i in range(6):
        give(world, before, at(world, start + timedelta(days=i)))
    day = start + timedelta(days=11)
    if first != before:
        prescribe(world, first, at(world, day, 7))
    override(world, at(world, day, 8), max_total_mg=first)
    give(world, first, at(world, day))
    return day


def raised_to_40(world: World, day: date) -> None:
    prescribe(world, "40", at(world, day, 7))


# --- The window ---------------------------------------------------------------------------------------------


def test_control_the_new_inductions_first_dose_is_given(world: World) -> None:
    day = reinduced(world)
    assert give(world, "30", at(world, day + timedelta(days=1))).dose.amount_mg == 30


def test_a_raise_the_day_after_a_new_induction_needs_a_prescribers_override(world: World) -> None:
    day = reinduced(world)
    raised_to_40(world, day + timedelta(days=1))
    with pytest.raises(services.DoseBlocked):
        give(world, "40", at(world, day + timedelta(days=1)))


def test_the_refusal_says_the_count_is_from_the_new_induction(world: World) -> None:
    day = reinduced(world)
    raised_to_40(world, day + timedelta(days=1))
    assert "counting from the new induction's first dose" in refused(
        world, "40", at(world, day + timedelta(days=1))
    )


def test_a_raise_two_days_after_a_new_induction_needs_a_prescribers_override(world: World) -> None:
    day = reinduced(world)
    give(world, "30", at(world, day + timedelta(days=1)))
    raised_to_40(world, day + timedelta(days=2))
    with pytest.raises(services.DoseBlocked):
        give(world, "40", at(world, day + timedelta(days=2)))


def test_the_first_raise_after_the_wait_is_given(world: World) -> None:
    day = reinduced(world)
    for i in (1, 2):
        give(world, "30", at(world, day + timedelta(days=i)))
    raised_to_40(world, day + timedelta(days=3))
    assert give(world, "40", at(world, day + timedelta(days=3))).decision.decision == "allowed"


def test_a_prescribers_override_lets_the_early_raise_through(world: World) -> None:
    day = reinduced(world)
    raised_to_40(world, day + timedelta(days=1))
    override(world, at(world, day + timedelta(days=1), 8), max_total_mg="40")
    outcome = give(world, "40", at(world, day + timedelta(days=1)))
    assert outcome.decision.decision == "allowed_with_rationale"


def test_a_raise_over_a_lower_dose_before_the_gap_counts_from_the_new_induction(world: World) -> None:
    """20 mg before the gap, 30 mg on the new induction's day: the step over 20 mg is no increase of this
    titration (the new induction is its start)."""
    day = reinduced(world, before="20", first="30")
    raised_to_40(world, day + timedelta(days=1))
    assert "counting from the new induction's first dose" in refused(
        world, "40", at(world, day + timedelta(days=1))
    )


def test_late_on_the_second_day_in_the_programs_zone_is_still_the_second_day(world: World) -> None:
    """23:30 in the program's zone (the next day in UTC): the person's day is still the day after."""
    day = reinduced(world)
    raised_to_40(world, day + timedelta(days=1))
    with pytest.raises(services.DoseBlocked):
        give(world, "40", at(world, day + timedelta(days=1), 23, 30))


# --- The API ------------------------------------------------------------------------------------------------


def test_the_api_refuses_a_raise_the_day_after_a_new_induction(world: World) -> None:
    day = reinduced(world)
    raised_to_40(world, day + timedelta(days=1))
    with time_machine.travel(at(world, day + timedelta(days=1)), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "40", "medication": "methadone", "sequence": 1}),
            "application/json",
        )
    assert response.status_code == 409


# --- A correction up ----------------------------------------------------------------------------------------


def _corrected(world: World, dose_id: int, mg: str, when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        return services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose_id,
            corrected_mg=mg,
            reason="Typed 30 for the 40 mg measured and given at the window",
            now=when,
            correction_version=0,
        )


def test_a_correction_up_the_day_after_a_new_induction_is_refused_naming_corrected_mg(world: World) -> None:
    day = reinduced(world)
    raised_to_40(world, day + timedelta(days=1))
    dose = give(world, "30", at(world, day + timedelta(days=1))).dose
    with pytest.raises(TreatmentInvalid) as exc:
        _corrected(world, dose.pk, "40", at(world, day + timedelta(days=1), 10))
    assert exc.value.errors[0].field == "corrected_mg"


def test_a_correction_up_after_the_wait_is_saved(world: World) -> None:
    day = reinduced(world)
    for i in (1, 2):
        give(world, "30", at(world, day + timedelta(days=i)))
    raised_to_40(world, day + timedelta(days=3))
    dose = give(world, "30", at(world, day + timedelta(days=3))).dose
    assert _corrected(world, dose.pk, "40", at(world, day + timedelta(days=3), 10)).corrected_mg == Decimal(
        "40"
    )


def test_a_second_dose_that_raises_the_day_after_a_new_induction_needs_an_override(world: World) -> None:
    """30 mg at 09:00 and 10 mg more at noon the day after a new induction: the day's total is a raise."""
    day = reinduced(world)
    raised_to_40(world, day + timedelta(days=1))
    give(world, "30", at(world, day + timedelta(days=1)))
    said = refused(world, "10", at(world, day + timedelta(days=1), 12))
    assert "counting from the new induction's first dose" in said


def _rule_api(world: World, start: int) -> Any:
    raw = {"treatment_day": 5, "given_today_mg": 0, "requested_mg": 40, "titration_from_day": start}
    body = {"input": raw}
    with time_machine.travel(at(world, a_day(world, 0)), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        return client.post("/api/v1/rules/methadone-dose-check", json.dumps(body), "application/json")


def test_the_rules_api_refuses_a_titration_start_after_today_with_422(world: World) -> None:
    assert _rule_api(world, 6).status_code == 422


def test_the_rules_api_names_the_titration_start(world: World) -> None:
    assert "titration_from_day" in _rule_api(world, 6).content.decode()
