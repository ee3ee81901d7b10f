"""Review 19c, 20a: a raise (or a start) written before a QTc of 500 ms or more was recorded
(`keel.core.rules.qtc.raise_on_later_qtc`). Review 20a: what counts is when the QTc was recorded, not the
day the ECG was measured (an ECG of Monday read back on Wednesday was "before" a raise written Tuesday)."""

from __future__ import annotations

from keel.core.rules import qtc


def _reason(**kw: object) -> object:
    args: dict[str, object] = {
        "qtc_ms": 520,
        "recorded_after_order": True,
        "from_mg": 60.0,
        "ordered_mg": 65.0,
        "total_mg": 65.0,
        "given_mg": None,
        "reason_recorded": False,
    }
    args.update(kw)
    return qtc.raise_on_later_qtc(**args)  # type: ignore[arg-type]


def test_raise_written_before_a_qtc_of_520_is_refused() -> None:
    assert _reason() is not None


def test_refusal_cites_krantz_2009() -> None:
    reason = qtc.raise_on_later_qtc(520, True, 60.0, 65.0, 65.0, reason_recorded=False)
    assert reason is not None and reason.sources == ("krantz-2009",)


def test_qtc_recorded_before_the_order_was_written_does_not_count() -> None:
    assert _reason(recorded_after_order=False) is None


def test_order_written_with_the_qtc_reason_passes() -> None:
    assert _reason(reason_recorded=True) is None


def test_qtc_under_500_passes() -> None:
    assert _reason(qtc_ms=499) is None


def test_exactly_500_is_refused() -> None:
    assert _reason(qtc_ms=500) is not None


def test_no_recent_qtc_passes() -> None:
    assert _reason(qtc_ms=None) is None


def test_an_order_that_lowers_the_dose_passes() -> None:
    assert _reason(ordered_mg=50.0, total_mg=50.0) is None


def test_a_total_not_above_the_dose_before_passes() -> None:
    assert _reason(total_mg=60.0) is None


def test_unknown_dose_before_passes() -> None:
    assert _reason(from_mg=None) is None


def test_a_start_from_nothing_is_refused() -> None:
    assert _reason(from_mg=0.0, ordered_mg=30.0, total_mg=30.0) is not None


def test_a_start_is_refused_with_the_start_words() -> None:
    reason = _reason(from_mg=0.0, ordered_mg=30.0, total_mg=30.0)
    assert reason is not None and reason.template == qtc.START_ON_LATER_QTC  # type: ignore[attr-defined]


def test_a_raise_is_refused_with_the_raise_words() -> None:
    reason = _reason()
    assert reason is not None and reason.template == qtc.RAISE_ON_LATER_QTC  # type: ignore[attr-defined]


def test_a_total_at_the_level_already_given_passes() -> None:
    assert _reason(given_mg=65.0) is None


def test_a_total_above_the_level_already_given_is_refused() -> None:
    assert _reason(ordered_mg=70.0, total_mg=70.0, given_mg=65.0) is not None
