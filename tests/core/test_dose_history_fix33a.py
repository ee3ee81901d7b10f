"""Lane fix33a (review 32d hole 1): `keel.core.dose_history.low_before` looks back only since the day's last
rise (a correction down after a void and a back up is a correction down, never "back up"), and
`lowered_from` still names what a dose that stands was lowered from, wherever it lies in the day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from keel.core.dose_history import DoseStep, low_before, lowered_from

START = datetime.now(UTC) - timedelta(days=2)


def _steps(*amounts: str | None, first: str = "80") -> list[DoseStep]:
    """A dose of `first` mg, then each amendment of it (None: a void), an hour apart."""
    steps = [DoseStep(START, 1, Decimal(first))]
    for n, mg in enumerate(amounts, start=1):
        steps.append(DoseStep(START + timedelta(hours=n), 1, None if mg is None else Decimal(mg)))
    return steps


def test_void_back_then_down_is_not_back_up() -> None:
    assert low_before(_steps(None, "80", "40")) is None


def test_zero_back_then_down_is_not_back_up() -> None:
    assert low_before(_steps("0", "80", "30")) is None


def test_void_back_then_a_little_down_is_not_back_up() -> None:
    assert low_before(_steps(None, "80", "70")) is None


def test_void_back_down_then_up_again_is_down() -> None:
    assert low_before(_steps(None, "80", "40", "60")) == "down"


def test_a_correction_to_the_same_total_is_not_back_up() -> None:
    assert low_before(_steps(None, "80", "80")) is None


def test_a_split_dose_second_part_after_a_void_is_back_up() -> None:
    steps = [
        DoseStep(START, 1, Decimal("40")),
        DoseStep(START + timedelta(hours=1), 1, None),
        DoseStep(START + timedelta(hours=2), 2, Decimal("40")),
    ]
    assert low_before(steps) == "voided"


def test_lowered_from_reads_a_void_before_the_last_rise() -> None:
    assert lowered_from(_steps(None, "80", "75")) == "voided"


def test_lowered_from_reads_a_down_before_the_last_rise() -> None:
    assert lowered_from(_steps("40", "80", "60")) == "down"


def test_lowered_from_reads_nothing_when_never_lower() -> None:
    assert lowered_from(_steps("70", "60")) is None
