"""Every reason a rule gives that a page shows is a catalogue entry: the buprenorphine day limits, the
take-home ladder, the closure day, QTc and the early-warning series read in Spanish on a Spanish page (review
13f found the day-1 limit in English on the Spanish dosing row). A JSON number too long for any rule is the
named field's error, never a crash."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.utils import translation

from keel.core.decision import Reason
from keel.core.rules import buprenorphine, methadone, qtc
from keel.core.rules.inputs import MAX_WHOLE, InvalidInput, loads_json
from keel.treatment.words import reason_text, reasons_text

DOSE = {"phase": "day1", "given_today_mg": 8, "sedated_or_intoxicated": False, "documented_rationale": False}


def _spanish(reason: Reason) -> str:
    with translation.override("es"):
        return reason_text(reason)


def _day_limit(**values: object) -> Reason:
    decision = buprenorphine.DOSE_LIMIT.run({**DOSE, **values}, {})
    return decision.reasons[0]


def test_the_day_one_limit_is_said_in_spanish() -> None:
    assert _spanish(_day_limit(requested_mg=8)).startswith("El total del primer día de dosis sería de 16 mg")


def test_the_day_two_limit_is_said_in_spanish() -> None:
    said = _spanish(_day_limit(phase="day2", requested_mg=4))
    assert said.startswith("El total del segundo día de dosis sería de 12 mg")


def test_the_day_one_limit_keeps_its_english_for_the_api() -> None:
    assert _day_limit(requested_mg=8).text.startswith("The total on the first dose day would be 16 mg, above")


def test_the_maintenance_reason_is_said_in_spanish() -> None:
    assert _spanish(_day_limit(phase="maintenance", requested_mg=8)).startswith("Mantenimiento: 16 mg hoy")


def test_the_hold_is_said_in_spanish() -> None:
    assert "Sedated" not in _spanish(_day_limit(requested_mg=8, sedated_or_intoxicated=True))


TAKE_HOME = {
    "days_in_treatment": 100,
    "no_active_risky_use": True,
    "regular_attendance": False,
    "no_serious_behavior_problems": True,
    "no_known_recent_diversion": False,
    "safe_transport_and_storage": True,
    "other_factors_considered": True,
}


def test_each_missing_take_home_criterion_is_said_in_spanish() -> None:
    decision = methadone.TAKE_HOME.run(TAKE_HOME, {})
    said = _spanish(decision.reasons[1])
    assert said == (
        "No cumple los requisitos por ahora; falta documentar: asistencia regular a las dosis supervisadas; "
        "sin desvío reciente conocido."
    )


def test_the_missing_criteria_keep_their_english_for_the_api() -> None:
    decision = methadone.TAKE_HOME.run(TAKE_HOME, {})
    assert decision.reasons[1].text == (
        "Not eligible now; not yet documented: regular attendance for supervised dosing; "
        "no known recent diversion."
    )


def test_the_federal_ladder_is_said_in_spanish() -> None:
    decision = methadone.TAKE_HOME.run(TAKE_HOME, {})
    assert _spanish(decision.reasons[0]).startswith("Día 100 en tratamiento")


def test_a_stricter_state_limit_is_said_in_spanish() -> None:
    values = {**TAKE_HOME, "regular_attendance": True, "no_known_recent_diversion": True, "state_max_days": 3}
    decision = methadone.TAKE_HOME.run(values, {})
    assert "El límite del estado de 3 días" in reasons_text_es(decision.reasons)


def test_the_closure_day_is_said_in_spanish() -> None:
    decision = methadone.closure_day_supply(date(2026, 12, 25), [date(2026, 12, 25)], date(2026, 12, 20))
    assert _spanish(decision.reasons[0]) == (
        "El programa está cerrado el 2026-12-25: una dosis para llevar a casa para ese día."
    )


def test_a_qtc_reading_is_said_in_spanish() -> None:
    decision = qtc.QTC.run({"qtc_ms": 470, "daily_dose_mg": 120}, {})
    assert reasons_text_es(decision.reasons).startswith("QTc 470 ms (más de 450, menos de 500)")


def reasons_text_es(reasons: tuple[Reason, ...]) -> str:
    with translation.override("es"):
        return reasons_text(reasons)


@pytest.mark.parametrize("digits", [19, 400, 5000])
def test_a_json_integer_of_any_length_is_read_as_past_every_limit(digits: int) -> None:
    assert loads_json("9" * digits) == MAX_WHOLE + 1


def test_a_long_negative_json_integer_keeps_its_sign() -> None:
    assert loads_json("-" + "9" * 5000) == -(MAX_WHOLE + 1)


def test_an_ordinary_json_integer_is_itself() -> None:
    assert loads_json(json.dumps(123456789012345678)) == 123456789012345678


def test_a_huge_requested_dose_names_its_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        buprenorphine.DOSE_LIMIT.run({**DOSE, "requested_mg": 10**400}, {})
    assert [e.field for e in caught.value.errors] == ["requested_mg"]
