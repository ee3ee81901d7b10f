"""Early-warning rules (issue #7) at their edges: each flag fires at its threshold, not just below."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from keel.core import rules
from keel.core.rules.inputs import InvalidInput

TODAY = date(2026, 11, 25)


def day(n: int) -> str:
    """n days before today."""
    return (TODAY - timedelta(days=n)).isoformat()


def checkin(n: int, craving: int = 2, mood: int = 4, **extra: Any) -> dict[str, Any]:
    return {"date": day(n), "craving": craving, "mood": mood} | extra


def flags(
    checkins: list[dict[str, Any]], screens: list[dict[str, Any]] | None = None, **policy: Any
) -> list[str]:
    d = rules.get("early-warning").run(
        {"today": TODAY.isoformat(), "checkins": checkins, "screens": screens or []}, policy
    )
    return [f["code"] for f in d.details["flags"]]


def test_a_calm_week_raises_nothing() -> None:
    assert flags([checkin(n) for n in range(7)]) == []


def test_reported_use_in_the_latest_check_in() -> None:
    assert flags([checkin(1), checkin(0, used=True)]) == ["reported_use"]
    assert flags([checkin(1, used=True), checkin(0)]) == []


@pytest.mark.parametrize(
    ("cravings", "expected"),
    [
        ([7, 7, 7, 1, 1], True),
        ([7, 7, 6, 1, 1], False),
        ([1, 1, 7, 7, 7], True),
        ([9, 1, 1, 7, 7, 1], False),
    ],
)
def test_craving_7_or_more_on_3_of_the_last_5(cravings: list[int], expected: bool) -> None:
    series = [checkin(len(cravings) - 1 - i, craving=c) for i, c in enumerate(cravings)]
    assert ("rising_craving" in flags(series)) is expected


def test_medication_missed_two_days_running() -> None:
    assert flags([checkin(1, medication="missed"), checkin(0, medication="missed")]) == ["missed_medication"]
    assert (
        flags(
            [checkin(2, medication="missed"), checkin(1, medication="taken"), checkin(0, medication="missed")]
        )
        == []
    )
    assert (
        flags([checkin(2, medication="missed"), checkin(0, medication="missed")]) == []
    )  # not consecutive days


def test_silence_for_three_days_after_a_daily_habit() -> None:
    habit = [checkin(n) for n in range(3, 10)]  # 7 days running, last one 3 days ago
    assert flags(habit) == ["silence"]
    assert flags([checkin(n) for n in range(2, 9)]) == []  # only 2 silent days
    assert flags([checkin(3), checkin(6), checkin(9)]) == []  # no daily habit before


def test_three_days_of_worsening_mood() -> None:
    series = [checkin(3, mood=5), checkin(2, mood=4), checkin(1, mood=3), checkin(0, mood=2)]
    assert flags(series) == ["worsening_mood"]


def test_two_worse_days_are_not_three() -> None:
    # 4, 3, 2: the mood was worse on 2 days (issue #15: "worse each day for N days" means N worse days)
    assert flags([checkin(2, mood=4), checkin(1, mood=3), checkin(0, mood=2)]) == []


def test_the_reason_counts_the_worse_days() -> None:
    series = [checkin(3, mood=5), checkin(2, mood=4), checkin(1, mood=3), checkin(0, mood=2)]
    d = rules.get("early-warning").run({"today": TODAY.isoformat(), "checkins": series, "screens": []}, {})
    assert d.details["flags"][0]["reason"] == "Mood worse each day for 3 days."


@pytest.mark.parametrize("order", [0, 1])
def test_two_check_ins_on_one_date_never_drop_a_reported_use(order: int) -> None:
    same_day = [checkin(0, used=True, craving=8), checkin(0, used=False, craving=1)]
    if order:
        same_day.reverse()
    assert "reported_use" in flags([checkin(1), *same_day])


def test_two_check_ins_on_one_date_keep_the_worst_mood_and_a_missed_dose() -> None:
    series = [
        checkin(1, medication="missed"),
        checkin(0, medication="missed"),
        checkin(0, medication="taken"),
    ]
    assert flags(series) == ["missed_medication"]


def test_a_screen_dated_after_today_is_refused_like_a_check_in() -> None:
    with pytest.raises(InvalidInput) as error:
        flags(
            [checkin(0)],
            [{"date": (TODAY + timedelta(days=1)).isoformat(), "kind": "cssrs", "positive": True}],
        )
    assert [e.field for e in error.value.errors] == ["screens[0].date"]
    assert flags([checkin(1, mood=3), checkin(0, mood=2)]) == []
    assert flags([checkin(2, mood=4), checkin(1, mood=4), checkin(0, mood=2)]) == []


@pytest.mark.parametrize(
    ("kind", "days_ago", "expected"), [("phq9_item9", 0, True), ("cssrs", 7, True), ("cssrs", 8, False)]
)
def test_a_positive_suicide_screen_is_the_highest_priority(kind: str, days_ago: int, expected: bool) -> None:
    series = [checkin(1), checkin(0, used=True)]
    raised = flags(series, [{"date": day(days_ago), "kind": kind, "positive": True}])
    assert (raised[0] == "suicide_risk") is expected
    assert flags(series, [{"date": day(0), "kind": kind, "positive": False}]) == ["reported_use"]


def test_thresholds_are_policy() -> None:
    series = [checkin(2, craving=6), checkin(1, craving=6), checkin(0, craving=6)]
    assert flags(series) == []
    assert flags(series, craving_high_at=6) == ["rising_craving"]


def test_every_bad_entry_is_named_by_its_position() -> None:
    with pytest.raises(InvalidInput) as error:
        rules.get("early-warning").run(
            {
                "today": "2026-11-25",
                "checkins": [
                    {"date": "2026-11-26", "craving": 1, "mood": 3},
                    {"date": "2026-11-24", "craving": 11, "mood": 0},
                ],
            }
        )
    fields = {e.field for e in error.value.errors}
    assert fields == {"checkins[1].craving", "checkins[1].mood"}
    with pytest.raises(InvalidInput) as error:
        rules.get("early-warning").run(
            {"today": "2026-11-25", "checkins": [{"date": "2026-11-26", "craving": 1, "mood": 3}]}
        )
    assert error.value.errors[0].field == "checkins[0].date"
