"""tools/clock_offset.py: the moved-clock passes' moments (issue #12; session 37: an absolute faketime "@time"
was read in New York's zone by the xdist workers, so the passes ran at moments they did not name)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 5, 1, tzinfo=UTC)  # named: the rules are calendar facts, not the run date


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("clock_offset", ROOT / "tools" / "clock_offset.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["clock_offset"] = module
    spec.loader.exec_module(module)
    return module


def test_the_spring_forward_moment_is_half_an_hour_before_the_next_jump() -> None:
    assert _tool().moment("spring-forward", NOW) == datetime(2027, 3, 14, 6, 30, tzinfo=UTC)


def test_the_spring_forward_moment_is_still_standard_time() -> None:
    assert _tool().moment("spring-forward", NOW).astimezone(NEW_YORK).utcoffset().total_seconds() == -5 * 3600


def test_the_midnight_moment_is_just_past_a_midnight_in_new_york() -> None:
    assert _tool().moment("new-york-midnight", NOW).astimezone(NEW_YORK).time() == time(0, 0, 30)


def test_the_midnight_moment_is_more_than_a_day_ahead() -> None:
    assert (_tool().moment("new-york-midnight", NOW) - NOW).total_seconds() > 86_400


def test_five_minutes_before_the_midnight_moment_is_another_day_in_new_york() -> None:
    at = _tool().moment("new-york-midnight", NOW)
    assert (at - timedelta(minutes=5)).astimezone(NEW_YORK).date() != at.astimezone(NEW_YORK).date()


def test_five_minutes_before_the_midnight_moment_is_the_same_day_in_utc() -> None:
    at = _tool().moment("new-york-midnight", NOW).astimezone(UTC)
    assert (at - timedelta(minutes=5)).date() == at.date()


def test_the_offset_is_printed_as_seconds_ahead(capsys: pytest.CaptureFixture[str]) -> None:
    assert _tool().main(["year-ahead"]) == 0
    assert capsys.readouterr().out.strip() == "+31536000s"


def test_an_unknown_moment_exits_2() -> None:
    assert _tool().main(["noon"]) == 2
