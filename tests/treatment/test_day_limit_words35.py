"""Lane words35: a buprenorphine induction's day limits are said by "the first dose day" and "the second dose
day" (as the start page says them since lane day34), never "Day 1 total". A decision stored before keeps its
English ("Day 1 total would be 12 mg, ..."): its wording stays in the catalogue, so a Spanish page still says
it in Spanish, in today's words."""

from __future__ import annotations

import polib
import pytest
from django.utils import translation

import keel
from keel.core.decision import Reason
from keel.core.rules import buprenorphine
from keel.core.rules.buprenorphine.day_limits import EARLIER_WORDINGS, DayLimitPolicy, induction_total_over
from keel.treatment.words import reason_text
from keel.web.stored_words import stored_reason_text

DOSE = {"phase": "day1", "given_today_mg": 8, "sedated_or_intoxicated": False, "documented_rationale": False}
POLICY: DayLimitPolicy = {"day1_max_mg": 8.0, "day2_max_mg": 16.0}
CATALOG = f"{keel.__path__[0]}/locale/es/LC_MESSAGES/django.po"


def _reason(**values: object) -> Reason:
    return buprenorphine.DOSE_LIMIT.run({**DOSE, **values}, {}).reasons[0]


def _spanish(text: str) -> str:
    with translation.override("es"):
        return stored_reason_text({"text": text})


def test_the_first_dose_days_refusal_names_the_first_dose_day() -> None:
    assert _reason(requested_mg=8).text.startswith(
        "The total on the first dose day would be 16 mg, above the"
    )


def test_the_second_dose_days_total_names_the_second_dose_day() -> None:
    assert _reason(phase="day2", requested_mg=4).text.startswith("The total on the second dose day would be")


def test_an_allowed_first_dose_day_names_the_first_dose_day() -> None:
    assert _reason(given_today_mg=4, requested_mg=4).text.startswith(
        "The total on the first dose day would be 8"
    )


def test_a_correction_over_the_first_dose_days_limit_names_that_day() -> None:
    reason = induction_total_over("day1", 12.0, POLICY)
    assert reason is not None and reason.text.startswith("The total on the first dose day would be 12 mg")


def test_the_first_dose_days_refusal_is_said_in_spanish() -> None:
    with translation.override("es"):
        said = reason_text(_reason(requested_mg=8))
    assert said.startswith("El total del primer día de dosis sería de 16 mg, por encima del límite de 8 mg")


def test_no_reason_says_day_1_any_more() -> None:
    texts = [_reason(requested_mg=mg, documented_rationale=r).text for mg in (0.1, 8) for r in (False, True)]
    assert not [t for t in texts if "Day 1" in t or "day-1" in t]


@pytest.mark.parametrize("template", EARLIER_WORDINGS)
def test_an_earlier_wording_is_still_in_the_catalogue(template: str) -> None:
    entry = polib.pofile(CATALOG).find(template)
    assert entry is not None and entry.msgstr


@pytest.mark.parametrize("template", EARLIER_WORDINGS)
def test_a_stored_decision_in_an_earlier_wording_is_said_in_spanish(template: str) -> None:
    said = _spanish(template % {"mg": "12", "limit": "8"})
    assert "día de dosis sería de 12 mg" in said


def test_a_stored_first_day_refusal_is_said_in_todays_spanish_words() -> None:
    stored = (
        "Day 1 total would be 12 mg, above the 8 mg limit (program policy). A prescriber may override with a "
        "written reason."
    )
    assert _spanish(stored) == (
        "El total del primer día de dosis sería de 12 mg, por encima del límite de 8 mg (política del "
        "programa). Un prescriptor puede autorizarlo con un motivo por escrito."
    )


def test_a_stored_decision_in_an_earlier_wording_keeps_its_english_in_english() -> None:
    stored = "Day 2 total would be 12 mg, within the 16 mg limit (program policy)."
    with translation.override("en"):
        assert stored_reason_text({"text": stored}) == stored
