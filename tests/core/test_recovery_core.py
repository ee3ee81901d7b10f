"""The recovery companion's pure core: check-in fields, progress arithmetic, CBT tools (issue #7)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.core.recovery import checkin, tools
from keel.core.recovery.progress import MILESTONES, Day, progress
from keel.core.rules.inputs import InvalidInput

TODAY = date(2026, 11, 25)
TYPICAL = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e.field: e.reason for e in exc.value.errors}


def test_a_typical_day_needs_four_answers_and_fills_the_rest() -> None:
    values = checkin.parse_checkin(TYPICAL)
    assert values["meeting"] is False
    assert values["triggers"] == []
    assert values["note"] == ""
    assert values["used_what"] == []
    assert values["sleep"] == ""


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as exc:
        checkin.parse_checkin(
            {
                "craving": 11,
                "mood": 0,
                "medication": "sometimes",
                "triggers": ["rain"],
                "note": "x" * 2001,
                "extra": 1,
            }
        )
    errors = fields_of(exc)
    assert set(errors) == {"craving", "mood", "used", "medication", "triggers", "note", "extra"}
    assert "at most 10" in errors["craving"]
    assert "at least 1" in errors["mood"]
    assert "rain" in errors["triggers"]
    assert "2000" in errors["note"]


@pytest.mark.parametrize(("craving", "ok"), [(-1, False), (0, True), (10, True), (11, False), (3.5, False)])
def test_craving_runs_0_to_10_whole_numbers(craving: Any, ok: bool) -> None:
    raw = {**TYPICAL, "craving": craving}
    if ok:
        assert checkin.parse_checkin(raw)["craving"] == craving
    else:
        with pytest.raises(InvalidInput):
            checkin.parse_checkin(raw)


def test_what_and_how_only_with_reported_use() -> None:
    with pytest.raises(InvalidInput) as exc:
        checkin.parse_checkin({**TYPICAL, "used_what": ["heroin"]})
    assert "used" in fields_of(exc)
    values = checkin.parse_checkin(
        {**TYPICAL, "used": True, "used_what": ["fentanyl", "fentanyl"], "used_how": ["smoke"]}
    )
    assert values["used_what"] == ["fentanyl"]
    assert values["used_how"] == ["smoke"]


def test_text_is_trimmed_and_checked() -> None:
    assert checkin.parse_checkin({**TYPICAL, "note": "  hard day  "})["note"] == "hard day"
    with pytest.raises(InvalidInput):
        checkin.parse_checkin({**TYPICAL, "note": 5})


def test_the_fingerprint_ignores_key_order_but_not_values() -> None:
    a = checkin.parse_checkin(TYPICAL)
    b = checkin.parse_checkin(dict(reversed(list(TYPICAL.items()))))
    assert checkin.fingerprint(a) == checkin.fingerprint(b)
    assert checkin.fingerprint(a) != checkin.fingerprint(checkin.parse_checkin({**TYPICAL, "craving": 4}))


@pytest.mark.parametrize(
    ("craving", "used", "expected"),
    [
        (6, False, ()),
        (7, False, ("thought_record",)),
        (0, True, ("safety",)),
        (9, True, ("safety", "thought_record")),
    ],
)
def test_offers_after_a_check_in(craving: int, used: bool, expected: tuple[str, ...]) -> None:
    assert checkin.offers({"craving": craving, "used": used}) == expected


# --- progress ---------------------------------------------------------------------------------------------


def test_no_check_ins_means_no_progress_yet() -> None:
    p = progress(TODAY, [])
    assert p.start is None
    assert p.days_since_last_use == 0
    assert p.days_in_recovery == 0
    assert p.next_milestone == 1
    assert p.week.adherence is None


def test_a_first_check_in_today_without_use_is_day_one() -> None:
    p = progress(TODAY, [Day(TODAY)])
    assert (p.days_since_last_use, p.days_in_recovery, p.milestones_reached, p.next_milestone) == (
        1,
        1,
        (1,),
        7,
    )


def test_use_today_is_zero_days_since_last_use() -> None:
    p = progress(TODAY, [Day(ago(9)), Day(TODAY, used=True)])
    assert p.days_since_last_use == 0
    assert p.days_in_recovery == 9
    assert p.milestones_reached == ()


def test_a_return_to_use_does_not_erase_the_days_before_it() -> None:
    days = [Day(ago(40)), Day(ago(10), used=True)]
    p = progress(TODAY, days)
    assert p.days_since_last_use == 10  # the streak restarts after the use day
    assert p.days_in_recovery == 41 - 1  # 41 days from start to today, minus one use day
    assert p.last_use == ago(10)
    assert p.use_days == 1
    assert p.milestones_reached == (1, 7)
    assert p.next_milestone == 30


@pytest.mark.parametrize("m", MILESTONES)
def test_each_milestone_is_reached_on_its_day(m: int) -> None:
    just = progress(TODAY, [Day(ago(m - 1))])  # start m-1 days ago: m days counting today
    before = progress(TODAY, [Day(ago(m - 2))]) if m > 1 else progress(TODAY, [Day(TODAY, used=True)])
    assert m in just.milestones_reached
    assert m not in before.milestones_reached


def test_the_week_counts_medication_meetings_and_counseling() -> None:
    days = [
        Day(ago(0), medication="taken", meeting=True),
        Day(ago(1), medication="missed", counseling=True),
        Day(ago(2), medication="taken"),
        Day(ago(7), medication="missed", meeting=True),  # last week: not counted
    ]
    p = progress(TODAY, days, meeting_days=[ago(3), ago(0), ago(8)])
    assert p.week.checkins == 3
    assert p.week.medication_taken == 2
    assert p.week.medication_missed == 1
    assert p.week.adherence == pytest.approx(2 / 3)
    assert p.week.meetings == 2  # today (check-in and log, once) and 3 days ago
    assert p.week.counseling == 1


def test_days_after_today_are_ignored() -> None:
    assert progress(TODAY, [Day(TODAY), Day(TODAY + timedelta(days=1), used=True)]).last_use is None


@given(st.lists(st.tuples(st.integers(0, 200), st.booleans()), max_size=60))
def test_days_in_recovery_never_shrink_as_days_pass_without_use(raw: list[tuple[int, bool]]) -> None:
    days = [Day(ago(n), used=u) for n, u in dict(raw).items()]
    now = progress(TODAY, days)
    later = progress(TODAY + timedelta(days=1), days)
    assert later.days_in_recovery == now.days_in_recovery + (1 if now.start else 0)
    assert 0 <= now.days_since_last_use <= max(now.days_in_recovery, 0) + now.use_days


# --- tools ------------------------------------------------------------------------------------------------


def test_a_thought_record_needs_the_situation_the_thought_and_the_feeling() -> None:
    with pytest.raises(InvalidInput) as exc:
        tools.parse_thought_record(
            {"situation": "", "automatic_thought": " ", "feeling": "", "intensity_before": 120}
        )
    assert set(fields_of(exc)) == {"intensity_before"}
    with pytest.raises(InvalidInput) as exc:
        tools.parse_thought_record(
            {"situation": "", "automatic_thought": " ", "feeling": "", "intensity_before": 50}
        )
    assert set(fields_of(exc)) == {"situation", "automatic_thought", "feeling"}
    ok = tools.parse_thought_record(
        {
            "situation": "party",
            "automatic_thought": "one won't hurt",
            "feeling": "tense",
            "intensity_before": 80,
        }
    )
    assert ok["intensity_after"] is None
    assert ok["balanced_thought"] == ""


def test_a_skill_try_names_a_known_skill_and_an_answer() -> None:
    assert tools.parse_skill_try({"skill": "halt", "helped": "a_little"}) == {
        "skill": "halt",
        "helped": "a_little",
    }
    with pytest.raises(InvalidInput) as exc:
        tools.parse_skill_try({"skill": "magic", "helped": "maybe"})
    assert set(fields_of(exc)) == {"skill", "helped"}


def test_the_plan_keeps_non_empty_lines_and_checks_people() -> None:
    plan = tools.parse_plan(
        {
            "warning_signs": ["  skipping meals ", "", "isolating"],
            "people": [{"name": "Sam", "phone": "(555) 010-2000"}, {"name": "", "phone": ""}],
        }
    )
    assert plan["warning_signs"] == ["skipping meals", "isolating"]
    assert plan["reasons"] == []
    assert plan["people"] == [{"name": "Sam", "phone": "(555) 010-2000"}]
    with pytest.raises(InvalidInput) as exc:
        tools.parse_plan(
            {"people": [{"name": "", "phone": "555"}, {"name": "Jo", "phone": "call me"}], "x": []}
        )
    assert set(fields_of(exc)) == {"people[0].name", "people[1].phone", "x"}
    with pytest.raises(InvalidInput) as exc:
        tools.parse_plan({"reasons": ["r"] * 21, "triggers": "not a list", "instead": ["x" * 301]})
    assert set(fields_of(exc)) == {"reasons", "triggers", "instead[0]"}


def test_every_skill_names_its_sources() -> None:
    assert all(s.sources for s in tools.SKILLS)
    assert len(tools.SKILL_CODES) == 7
