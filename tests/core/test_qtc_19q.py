"""Session 19q: a QTc of 500 ms or more and a day's override above the methadone order; the QTc's warnings
for prescribing (Krantz 2009)."""

from __future__ import annotations

from keel.core.rules import qtc


def test_a_high_qtc_refuses_a_total_above_the_order() -> None:
    reason = qtc.above_order_on_high_qtc(520, 80.0, 100.0)
    assert reason is not None


def test_the_refusal_cites_krantz_2009() -> None:
    reason = qtc.above_order_on_high_qtc(520, 80.0, 100.0)
    assert reason is not None and reason.sources == ("krantz-2009",)


def test_the_refusal_names_the_qtc_and_the_order() -> None:
    reason = qtc.above_order_on_high_qtc(520, 80.0, 100.0)
    assert reason is not None and "520 ms" in reason.text and "80 mg" in reason.text


def test_the_refusal_says_to_raise_the_order_itself() -> None:
    reason = qtc.above_order_on_high_qtc(520, 80.0, 100.0)
    assert reason is not None and "raises the order itself" in reason.text


def test_exactly_500_is_the_higher_band() -> None:
    assert qtc.above_order_on_high_qtc(500, 80.0, 100.0) is not None


def test_499_does_not_gate() -> None:
    assert qtc.above_order_on_high_qtc(499, 80.0, 100.0) is None


def test_no_recent_qtc_does_not_gate() -> None:
    assert qtc.above_order_on_high_qtc(None, 80.0, 100.0) is None


def test_the_order_itself_is_not_gated() -> None:
    assert qtc.above_order_on_high_qtc(540, 80.0, 80.0) is None


def test_a_lower_total_is_not_gated() -> None:
    assert qtc.above_order_on_high_qtc(540, 80.0, 60.0) is None


def test_no_order_is_not_gated() -> None:
    assert qtc.above_order_on_high_qtc(540, None, 60.0) is None


def test_no_warning_at_450() -> None:
    assert qtc.prescribing_warnings(450, 80.0, 100.0) == ()


def test_no_warning_without_a_recent_qtc() -> None:
    assert qtc.prescribing_warnings(None, 80.0, 100.0) == ()


def test_a_raise_over_450_warns_to_discuss_and_monitor() -> None:
    (reason,) = qtc.prescribing_warnings(470, 80.0, 100.0)
    assert "discuss the risks of a higher methadone dose" in reason.text


def test_the_same_dose_over_450_warns_with_the_qtc_band() -> None:
    (reason,) = qtc.prescribing_warnings(470, 80.0, 80.0)
    assert "monitor more often" in reason.text


def test_a_first_order_over_450_warns() -> None:
    (reason,) = qtc.prescribing_warnings(460, None, 40.0)
    assert "460 ms" in reason.text


def test_500_warns_to_consider_reducing() -> None:
    (reason,) = qtc.prescribing_warnings(510, 80.0, 60.0)
    assert "consider reducing or stopping methadone" in reason.text


def test_each_warning_cites_krantz_2009() -> None:
    (reason,) = qtc.prescribing_warnings(510, 80.0, 60.0)
    assert reason.sources == ("krantz-2009",)


def test_a_dose_review_from_500() -> None:
    assert qtc.needs_dose_review(500) is True


def test_no_dose_review_below_500() -> None:
    assert qtc.needs_dose_review(499) is False


def test_no_dose_review_without_a_qtc() -> None:
    assert qtc.needs_dose_review(None) is False
