"""Lane clin13 (issue #13): a low-dose (micro-dosing) buprenorphine schedule advances by the doses given,
not by calendar days; after the program's restart gap it needs a prescriber to restart it. The verdict says
which step and why. One fact per test."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.treatment import queries, services
from keel.treatment.models import DoseRecord
from tests.conftest import sign_in
from tests.review13c.common import at, dose, order, override

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)
STEPS = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]


def _bup(world: Any, mg: str, day: date, hour: int = 9, sequence: int = 1) -> Any:
    return dose(world, mg, at(day, hour), medication="buprenorphine", sequence=sequence)


def _blocked(world: Any, mg: str, day: date) -> Any:
    with pytest.raises(services.DoseBlocked) as exc:
        _bup(world, mg, day)
    return exc.value.decision


def _two_steps(world: Any) -> None:
    order(world, "buprenorphine", "8", at(D, 8), schedule=STEPS)
    _bup(world, "0.5", D)
    _bup(world, "1", D + timedelta(days=1))


def test_after_two_missed_days_the_next_step_is_the_one_after_the_last_given(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=4)  # calendar day 5 (4 mg); the steps given: 1 and 2, so step 3 (2 mg)
    outcome = _bup(world, "2", back)
    assert outcome.dose.status == "given"
    assert "step 3" in outcome.decision.reasons[0].text


def test_after_missed_days_the_calendar_days_step_is_refused(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=4)
    decision = _blocked(world, "4", back)
    assert decision.decision == "needs_override"
    text = " ".join(r.text for r in decision.reasons)
    assert "step 3" in text
    assert "2 days" in text


def test_a_second_dose_the_same_day_does_not_advance_the_schedule(world: Any) -> None:
    _two_steps(world)
    day3 = D + timedelta(days=2)
    _bup(world, "1", day3)
    decision = None
    with pytest.raises(services.DoseBlocked) as exc:
        _bup(world, "2", day3, hour=13, sequence=2)  # a total of 3 mg: step 3 plans 2 mg
    decision = exc.value.decision
    assert "step 3" in decision.reasons[0].text


def test_the_day_after_a_step_is_the_next_step(world: Any) -> None:
    _two_steps(world)
    assert _bup(world, "2", D + timedelta(days=2)).dose.status == "given"


def test_a_gap_of_the_restart_threshold_needs_a_prescriber(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=7)  # days 2-6 missed: 5 in a row, the program's restart gap
    decision = _blocked(world, "0.5", back)
    assert decision.decision == "needs_override"
    assert "restart" in decision.reasons[0].text


def test_one_day_short_of_the_gap_the_schedule_goes_on(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=6)  # 4 missed days
    assert _bup(world, "2", back).dose.status == "given"


def test_a_prescribers_override_passes_the_gap(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=7)
    override(world, at(back, 8), medication="buprenorphine", mg="0.5")
    outcome = _bup(world, "0.5", back)
    assert outcome.dose.status == "given"
    assert outcome.decision.decision == "allowed_with_rationale"


def test_a_new_order_restarts_the_schedule_at_its_first_step(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=7)
    order(world, "buprenorphine", "8", at(back, 8), schedule=STEPS)
    outcome = _bup(world, "0.5", back)
    assert outcome.dose.status == "given"
    assert "step 1" in outcome.decision.reasons[0].text


def test_the_schedule_table_follows_the_doses_given(world: Any) -> None:
    _two_steps(world)
    _bup(world, "2", D + timedelta(days=4))
    rows = queries.schedule_rows(DoseRecord.objects.filter(patient=world.alice).first().order)  # type: ignore[union-attr]
    assert [r["given_mg"] for r in rows[:4]] == [0.5, 1, 2, None]


# --- Over HTTP: the window's page and the API ---


def test_the_api_says_which_step_after_missed_days(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=4)
    with time_machine.travel(at(back, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "4", "medication": "buprenorphine", "sequence": 1}),
            "application/json",
        )
    assert response.status_code == 409, response.content
    assert "step 3" in response.content.decode()


def test_the_window_page_says_which_step_after_missed_days(world: Any) -> None:
    _two_steps(world)
    back = D + timedelta(days=4)
    with time_machine.travel(at(back, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "4", "medication": "buprenorphine", "sequence": "1"},
            follow=True,
        )
    assert "step 3" in response.content.decode()
    assert not DoseRecord.objects.filter(patient=world.alice, local_date=back).exists()
