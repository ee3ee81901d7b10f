"""Review 19c: a raise written to start later, then a QTc of 500 ms or more before it starts."""

from __future__ import annotations

from datetime import date

from keel.core.rules import qtc

WRITTEN = date(2026, 3, 10)
AFTER = date(2026, 3, 11)


def _reason(**kw: object) -> object:
    args: dict[str, object] = {
        "qtc_ms": 520,
        "qtc_measured_on": AFTER,
        "written_on": WRITTEN,
        "before_mg": 60.0,
        "ordered_mg": 65.0,
        "total_mg": 65.0,
        "reason_recorded": False,
    }
    args.update(kw)
    return qtc.deferred_raise_on_high_qtc(**args)  # type: ignore[arg-type]


def test_raise_written_before_a_qtc_of_520_is_refused() -> None:
    assert _reason() is not None


def test_refusal_cites_krantz_2009() -> None:
    reason = qtc.deferred_raise_on_high_qtc(520, AFTER, WRITTEN, 60.0, 65.0, 65.0, reason_recorded=False)
    assert reason is not None and reason.sources == ("krantz-2009",)


def test_qtc_measured_the_day_the_order_was_written_counts() -> None:
    assert _reason(qtc_measured_on=WRITTEN) is not None


def test_qtc_measured_before_the_order_was_written_does_not() -> None:
    assert _reason(qtc_measured_on=date(2026, 3, 9)) is None


def test_order_written_with_the_qtc_reason_passes() -> None:
    assert _reason(reason_recorded=True) is None


def test_qtc_under_500_passes() -> None:
    assert _reason(qtc_ms=499) is None


def test_exactly_500_is_refused() -> None:
    assert _reason(qtc_ms=500) is not None


def test_no_recent_qtc_passes() -> None:
    assert _reason(qtc_ms=None, qtc_measured_on=None) is None


def test_an_order_that_lowers_the_dose_passes() -> None:
    assert _reason(ordered_mg=50.0, total_mg=50.0) is None


def test_a_total_not_above_the_dose_before_passes() -> None:
    assert _reason(total_mg=60.0) is None


def test_no_order_before_passes() -> None:
    assert _reason(before_mg=None) is None
