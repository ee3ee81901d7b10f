"""Review 19a: `keel.core.rules.qtc.order_on_qtc` - a methadone start on a QTc of 500 ms or more needs the
prescriber's reason as a raise does (Krantz 2009: consider reducing or stopping methadone)."""

from __future__ import annotations

from keel.core.rules.qtc import NEEDS_REASON, START_ON_HIGH_QTC, WARN, order_increase, order_on_qtc


def test_a_start_on_500_needs_a_reason() -> None:
    assert order_on_qtc(500, None, 30)[0] == NEEDS_REASON


def test_a_start_on_520_cites_krantz_2009() -> None:
    _, reasons, sources = order_on_qtc(520, None, 30)
    assert sources == ("krantz-2009",)
    assert reasons[0].template == START_ON_HIGH_QTC
    assert reasons[0].text.startswith("The latest QTc is 520 ms")
    assert "30 mg/day" in reasons[0].text


def test_a_start_on_499_is_not_gated() -> None:
    assert order_on_qtc(499, None, 30) == (None, (), ())


def test_a_start_with_no_recent_qtc_is_not_gated() -> None:
    assert order_on_qtc(None, None, 30) == (None, (), ())


def test_a_raise_is_order_increase() -> None:
    assert order_on_qtc(520, 60, 100) == order_increase(520, 60, 100)
    assert order_on_qtc(470, 60, 100)[0] == WARN


def test_a_lowering_on_520_is_not_gated() -> None:
    assert order_on_qtc(520, 100, 60) == (None, (), ())
