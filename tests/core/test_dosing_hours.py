"""Issue #18: the dosing window's hours, read on the program's wall clock (pure: the moment is passed in)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from keel.core.dosing_hours import hours_decision, inside_hours, is_open, next_opening

OPENS, CLOSES = time(6, 30), time(14, 0)
NY = "America/New_York"


def test_exactly_at_opening_is_inside() -> None:
    assert inside_hours(time(6, 30), OPENS, CLOSES)


def test_a_minute_before_opening_is_outside() -> None:
    assert not inside_hours(time(6, 29), OPENS, CLOSES)


def test_exactly_at_closing_is_outside() -> None:
    assert not inside_hours(time(14, 0), OPENS, CLOSES)


def test_a_minute_before_closing_is_inside() -> None:
    assert inside_hours(time(13, 59), OPENS, CLOSES)


def test_no_hours_set_is_always_open() -> None:
    assert inside_hours(time(3, 0), None, None)


def test_only_an_opening_set_is_always_open() -> None:
    assert inside_hours(time(3, 0), OPENS, None)


def test_the_moment_is_read_in_the_programs_zone() -> None:
    # 11:00 UTC is 06:00 in New York in November (EST): before opening.
    assert not is_open(datetime(2026, 11, 25, 11, 0, tzinfo=UTC), NY, OPENS, CLOSES)


def test_the_same_moment_is_open_in_another_zone() -> None:
    assert is_open(datetime(2026, 11, 25, 11, 0, tzinfo=UTC), "Europe/Madrid", OPENS, CLOSES)


def test_on_the_spring_dst_day_opening_is_on_the_wall_clock() -> None:
    # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT. 10:30 UTC is 06:30 EDT (it would be 05:30 EST).
    assert is_open(datetime(2026, 3, 8, 10, 30, tzinfo=UTC), NY, OPENS, CLOSES)


def test_on_the_spring_dst_day_the_winter_offset_is_not_used() -> None:
    # 11:29 UTC the day before (EST) is 06:29: still closed.
    assert not is_open(datetime(2026, 3, 7, 11, 29, tzinfo=UTC), NY, OPENS, CLOSES)


def test_on_the_autumn_dst_day_closing_is_on_the_wall_clock() -> None:
    # 2026-11-01: clocks go back at 02:00 EDT. 19:00 UTC is 14:00 EST: closed.
    assert not is_open(datetime(2026, 11, 1, 19, 0, tzinfo=UTC), NY, OPENS, CLOSES)


def test_a_closure_day_is_closed_all_day() -> None:
    noon = datetime(2026, 12, 25, 17, 0, tzinfo=UTC)
    assert not is_open(noon, NY, OPENS, CLOSES, [date(2026, 12, 25)])


def test_a_closure_day_is_closed_even_without_hours() -> None:
    noon = datetime(2026, 12, 25, 17, 0, tzinfo=UTC)
    assert not is_open(noon, NY, None, None, [date(2026, 12, 25)])


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        is_open(datetime(2026, 11, 25, 9, 0), NY, OPENS, CLOSES)


def test_before_opening_it_opens_the_same_morning() -> None:
    opening = next_opening(datetime(2026, 11, 25, 10, 0, tzinfo=UTC), NY, OPENS, CLOSES)  # 05:00 EST
    assert opening.astimezone(UTC) == datetime(2026, 11, 25, 11, 30, tzinfo=UTC)  # type: ignore[union-attr]


def test_after_closing_it_opens_the_next_morning() -> None:
    opening = next_opening(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), NY, OPENS, CLOSES)
    assert (opening.date(), opening.time()) == (date(2026, 11, 26), OPENS)  # type: ignore[union-attr]


def test_the_next_opening_skips_closure_days() -> None:
    opening = next_opening(datetime(2026, 12, 24, 20, 0, tzinfo=UTC), NY, OPENS, CLOSES, [date(2026, 12, 25)])
    assert opening.date() == date(2026, 12, 26)  # type: ignore[union-attr]


def test_open_now_has_no_next_opening() -> None:
    assert next_opening(datetime(2026, 11, 25, 17, 0, tzinfo=UTC), NY, OPENS, CLOSES) is None


def test_the_next_opening_after_spring_forward_is_0630_local() -> None:
    opening = next_opening(datetime(2026, 3, 8, 3, 0, tzinfo=UTC), NY, OPENS, CLOSES)  # 22:00 EST on the 7th
    assert opening.astimezone(UTC) == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)  # type: ignore[union-attr]


def test_inside_the_hours_there_is_no_decision() -> None:
    assert hours_decision(datetime(2026, 11, 25, 17, 0, tzinfo=UTC), NY, OPENS, CLOSES) is None


def test_outside_the_hours_needs_an_override() -> None:
    decision = hours_decision(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), NY, OPENS, CLOSES)
    assert decision.decision == "needs_override"  # type: ignore[union-attr]


def test_the_reason_names_the_hours() -> None:
    decision = hours_decision(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), NY, OPENS, CLOSES)
    assert "from 06:30 to 14:00; 15:00 is outside" in decision.reasons[0].text  # type: ignore[union-attr]


def test_the_reason_names_a_closure_day() -> None:
    decision = hours_decision(
        datetime(2026, 12, 25, 17, 0, tzinfo=UTC), NY, OPENS, CLOSES, [date(2026, 12, 25)]
    )
    assert "closed today (2026-12-25)" in decision.reasons[0].text  # type: ignore[union-attr]
