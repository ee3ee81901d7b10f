"""Review 19a: the bottles a person still holds (`keel.core.take_home_bottles`), the one definition the
take-home supply check and the take-home page read."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.take_home_bottles import bottles_held

WED = date(2026, 11, 25)


def days(first: int, last: int) -> list[date]:
    return [WED + timedelta(days=n) for n in range(first, last + 1)]


def held(**kw: object) -> set[date]:
    values: dict[str, object] = {
        "bottles": days(1, 7),
        "decided_on": WED,
        "ended_on": None,
        "ended_day": None,
        "returned": [],
        "visits": [],
        "today": WED,
        **kw,
    }
    return bottles_held(**values)  # type: ignore[arg-type]


def test_a_standing_plan_counts_every_bottle_from_today_on() -> None:
    assert held() == set(days(1, 7))


def test_a_day_already_past_is_not_counted() -> None:
    # The run left with Wednesday's dose (lane bot24: a bottle whose hand-out day passed with no dose
    # never left).
    assert held(today=WED + timedelta(days=3), visits=[WED]) == set(days(3, 7))


def test_bottles_handed_out_at_the_dose_before_their_run_still_count_after_the_plan_ended() -> None:
    ended = held(ended_on=WED - timedelta(days=1), ended_day=WED, visits=[WED])
    assert ended == set(days(1, 7))


def test_bottles_never_handed_out_stop_counting_when_the_plan_ended() -> None:
    assert held(ended_on=WED - timedelta(days=1), ended_day=WED, visits=[]) == set()


def test_a_bottle_brought_back_unopened_stops_counting() -> None:
    ended = held(ended_on=WED - timedelta(days=1), ended_day=WED, visits=[WED], returned=days(1, 2))
    assert ended == set(days(3, 7))


def test_a_run_starting_the_day_the_plan_was_decided_went_home_that_day() -> None:
    ended = held(bottles=days(0, 2), ended_on=WED - timedelta(days=1), ended_day=WED)
    assert ended == set(days(0, 2))


def test_a_later_run_whose_dose_before_it_came_after_the_plan_ended_was_never_handed_out() -> None:
    weekend = days(1, 2) + days(4, 5)  # two runs: Thu-Fri, then Sun-Mon (handed out on Saturday)
    ended = held(bottles=weekend, ended_on=WED + timedelta(days=2), ended_day=WED, visits=[WED, *days(3, 3)])
    assert ended == set(days(1, 2))


def test_a_dose_before_the_plan_was_decided_hands_out_nothing() -> None:
    thu = WED + timedelta(days=1)
    later = held(decided_on=thu, bottles=days(2, 4), ended_on=thu, ended_day=thu, visits=[WED])
    assert later == set()
