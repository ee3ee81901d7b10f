"""Review 19a: a second opioid agonist the same day (`keel.core.rules.agonists`): methadone after
buprenorphine given today needs a prescriber's switch override; the reverse is the start gate's; a low-dose
start passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from keel.core.rules import agonists
from keel.core.rules.agonists import SWITCH_LOOKBACK_DAYS, second_agonist, within_switch_hours
from keel.core.rules.methadone import DOSE_CHECK
from keel.core.rules.policy import LIMITS
from keel.core.sources import cite


def test_methadone_after_buprenorphine_today_needs_an_override() -> None:
    decision = second_agonist(
        "methadone", ["buprenorphine"], low_dose_start=False, documented=False, hours=24
    )
    assert decision is not None and decision.decision == "needs_override"


def test_a_switch_override_passes_it() -> None:
    assert (
        second_agonist("methadone", ["buprenorphine"], low_dose_start=False, documented=True, hours=24)
        is None
    )


def test_methadone_alongside_a_low_dose_start_passes() -> None:
    assert (
        second_agonist("methadone", ["buprenorphine"], low_dose_start=True, documented=False, hours=24)
        is None
    )


def test_methadone_without_buprenorphine_today_passes() -> None:
    assert (
        second_agonist("methadone", ["naltrexone_xr"], low_dose_start=False, documented=False, hours=24)
        is None
    )


def test_buprenorphine_after_methadone_is_the_start_gates() -> None:
    assert (
        second_agonist("buprenorphine", ["methadone"], low_dose_start=False, documented=False, hours=24)
        is None
    )


def test_the_reason_says_what_to_do() -> None:
    decision = second_agonist(
        "methadone", ["buprenorphine"], low_dose_start=False, documented=False, hours=24
    )
    assert decision is not None and "switch override for today" in decision.reasons[0].text


def test_the_reason_cites_sources_that_exist() -> None:
    decision = second_agonist(
        "methadone", ["buprenorphine"], low_dose_start=False, documented=False, hours=24
    )
    assert decision is not None and len(cite(*decision.sources)) == 3


def test_the_switch_wait_is_the_hours_given() -> None:
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)  # a fixed instant: only the difference counts
    assert within_switch_hours(at - timedelta(hours=30), at, hours=36)
    assert not within_switch_hours(at - timedelta(hours=13), at, hours=12)


def test_the_reason_says_the_programs_hours() -> None:
    decision = second_agonist(
        "methadone", ["buprenorphine"], low_dose_start=False, documented=False, hours=36
    )
    assert decision is not None and "less than 36 hours ago" in decision.reasons[0].text


def test_the_switch_wait_is_program_policy_with_keels_bounds() -> None:
    field = next(f for f in DOSE_CHECK.policy if f.name == "switch_hours")
    assert field.default == 24 and "keel-one-agonist-a-day" in field.help
    limit = LIMITS[("methadone-dose-check", "switch_hours")]
    assert (limit.stricter, limit.floor, limit.ceiling) == ("higher", 12, 72)
    assert "Keel bound" in limit.why
    assert not hasattr(agonists, "SWITCH_HOURS")  # no constant beside the policy


def test_the_look_back_covers_the_ceiling_across_a_23_hour_day() -> None:
    """The days read back start at least the ceiling's hours before today's midnight, even when one of them
    is the spring clock change's day of 23 hours (methadone at 00:01 and buprenorphine 71 h before it)."""
    ceiling = LIMITS[("methadone-dose-check", "switch_hours")].ceiling
    assert ceiling is not None
    assert ceiling <= SWITCH_LOOKBACK_DAYS * 24 - 1
