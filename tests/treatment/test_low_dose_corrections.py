"""Issue #13: a correction of a dose on a low-dose schedule's day meets the amount the schedule planned for
that day's step, as the window did (a prescriber's override for that day lifts it; a lowering needs none)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from keel.core.rules.buprenorphine import low_dose_total_over
from keel.treatment.errors import TreatmentInvalid
from tests.review13d.common import amend, at, dose, order, override

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)
STEPS = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]


def _steps(world: Any) -> list[Any]:
    order(world, "buprenorphine", "8", at(D, 8), schedule=STEPS)
    return [
        dose(world, mg, at(D + timedelta(days=i), 9), medication="buprenorphine").dose
        for i, mg in enumerate(("0.5", "1"))
    ]


def test_the_rule_passes_the_planned_amount() -> None:
    assert low_dose_total_over(1.0, 1.0) is None


def test_the_rule_names_the_planned_amount_above_it() -> None:
    reason = low_dose_total_over(4.0, 1.0)
    assert reason is not None
    assert "1 mg the schedule planned" in reason.text


def test_raising_step_two_above_its_plan_is_refused_naming_the_field(world: Any) -> None:
    second = _steps(world)[1]
    with pytest.raises(TreatmentInvalid) as caught:
        amend(world, second.pk, at(D + timedelta(days=1), 10), corrected_mg="4")
    assert {e.field for e in caught.value.errors} == {"corrected_mg"}


def test_the_refusal_says_the_step_planned(world: Any) -> None:
    second = _steps(world)[1]
    with pytest.raises(TreatmentInvalid) as caught:
        amend(world, second.pk, at(D + timedelta(days=1), 10), corrected_mg="4")
    assert "planned for that day" in caught.value.errors[0].reason


def test_raising_step_one_above_its_plan_is_refused(world: Any) -> None:
    first = _steps(world)[0]
    with pytest.raises(TreatmentInvalid):
        amend(world, first.pk, at(D + timedelta(days=1), 10), corrected_mg="2")


def test_a_correction_within_the_plan_is_recorded(world: Any) -> None:
    from keel.treatment.models import DoseAmendment

    second = _steps(world)[1]
    second_lowered = DoseAmendment.objects.filter(dose=second).count()
    amend(world, second.pk, at(D + timedelta(days=1), 10), corrected_mg="0.5")
    assert DoseAmendment.objects.filter(dose=second).count() == second_lowered + 1


def test_the_prescribers_override_for_that_day_lets_it_through(world: Any) -> None:
    from keel.treatment.models import DoseAmendment

    second = _steps(world)[1]
    override(world, at(D + timedelta(days=1), 9, 30), medication="buprenorphine", mg="4")
    amend(world, second.pk, at(D + timedelta(days=1), 10), corrected_mg="4", by="prescriber")
    assert DoseAmendment.objects.get(dose=second).corrected_mg == Decimal("4")


def test_the_refusal_is_said_in_spanish() -> None:
    from django.utils import translation

    from keel.treatment.words import reason_text

    reason = low_dose_total_over(4.0, 1.0)
    assert reason is not None
    with translation.override("es"):
        assert "que el plan indicaba para ese día" in reason_text(reason)
