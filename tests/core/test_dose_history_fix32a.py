"""Lane fix32a (review 32a hole 1): `keel.core.dose_history.low_before`, the low point a day's dose stands
back up from, read from the day's totals (never from the words an end wrote)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from keel.core.dose_history import DoseStep, day_totals, low_before

START = datetime.now(UTC) - timedelta(days=2)


def _steps(*amounts: str | None, dose: int = 1, first: str = "80") -> list[DoseStep]:
    """A dose of `first` mg, then each amendment of it (None: a void), an hour apart."""
    steps = [DoseStep(START, dose, Decimal(first))]
    for n, mg in enumerate(amounts, start=1):
        steps.append(DoseStep(START + timedelta(hours=n), dose, None if mg is None else Decimal(mg)))
    return steps


def test_down_then_back_up_is_down() -> None:
    assert low_before(_steps("40", "80")) == "down"


def test_down_up_then_part_way_down_is_a_correction_down() -> None:
    # lane fix33a (review 32d hole 1): looked back only since the last rise, 80 -> 60 is a correction down
    assert low_before(_steps("40", "80", "60")) is None


def test_down_up_then_down_to_the_low_is_not_back_up() -> None:
    assert low_before(_steps("40", "80", "40")) is None


def test_a_void_then_back_is_voided() -> None:
    assert low_before(_steps(None, "80")) == "voided"


def test_zero_then_back_is_zero() -> None:
    assert low_before(_steps("0", "80")) == "zero"


def test_the_latest_low_is_read_down_after_a_void() -> None:
    assert low_before(_steps(None, "80", "60", "80")) == "down"


def test_the_latest_low_is_read_zero_after_a_down() -> None:
    assert low_before(_steps("40", "80", "0", "80")) == "zero"


def test_a_dose_never_amended_has_no_low() -> None:
    assert low_before(_steps()) is None


def test_a_split_dose_void_of_one_part_is_down() -> None:
    steps = [
        DoseStep(START, 1, Decimal("40")),
        DoseStep(START + timedelta(hours=1), 2, Decimal("40")),
        DoseStep(START + timedelta(hours=2), 2, None),
        DoseStep(START + timedelta(hours=3), 2, Decimal("40")),
    ]
    assert low_before(steps) == "down"


def test_the_totals_follow_the_instants_not_the_list_order() -> None:
    late, early = DoseStep(START + timedelta(hours=1), 1, Decimal("40")), DoseStep(START, 1, Decimal("80"))
    assert day_totals([late, early]) == [(Decimal("80"), False), (Decimal("40"), False)]
