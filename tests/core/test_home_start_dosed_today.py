"""Review 19a: the home start after the clinic gave buprenorphine or methadone today (`dosed_today`):
never "start" (a second first dose, past the day-1 limit; or buprenorphine after methadone), in words."""

from __future__ import annotations

from typing import Any

from keel.core import rules


def home(dosed_today: bool, hold_open: bool = False, sows: int = 32) -> Any:
    raw = {
        "opioids": [{"opioid": "heroin", "hours_since_last_use": 29}],
        "sows_total": sows,
        "sows_age_hours": 0.1,
        "hold_open": hold_open,
        "dosed_today": dosed_today,
    }
    return rules.get("buprenorphine-home-start").run(raw)


def test_ready_and_not_dosed_today_starts() -> None:
    assert home(False).decision == "start"


def test_ready_but_dosed_at_the_clinic_today_is_not_a_start() -> None:
    assert home(True).decision == "dosed_today"


def test_dosed_today_says_the_clinic_gave_the_dose() -> None:
    assert "Your clinic already gave you a dose today" in home(True).reasons[-1].text


def test_dosed_today_says_talk_to_the_care_team() -> None:
    assert "Talk to your care team before you take any more" in home(True).reasons[-1].text


def test_dosed_today_cites_its_sources() -> None:
    assert home(True).reasons[-1].sources == ("fda-bup-label-summary", "reference-9.6")


def test_dosed_today_while_waiting_is_still_not_a_wait() -> None:
    assert home(True, sows=5).decision == "dosed_today"


def test_a_hold_today_comes_first() -> None:
    assert home(True, hold_open=True).decision == "held_earlier"


def test_dosed_today_defaults_to_no() -> None:
    raw = {
        "opioids": [{"opioid": "heroin", "hours_since_last_use": 29}],
        "sows_total": 32,
        "sows_age_hours": 0.1,
    }
    assert rules.get("buprenorphine-home-start").run(raw).decision == "start"
