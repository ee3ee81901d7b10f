"""Review 19a: a second opioid agonist the same day (`keel.core.rules.agonists`): methadone after
buprenorphine given today needs a prescriber's switch override; the reverse is the start gate's; a low-dose
start passes."""

from __future__ import annotations

from keel.core.rules.agonists import second_agonist
from keel.core.sources import cite


def test_methadone_after_buprenorphine_today_needs_an_override() -> None:
    decision = second_agonist("methadone", ["buprenorphine"], low_dose_start=False, documented=False)
    assert decision is not None and decision.decision == "needs_override"


def test_a_switch_override_passes_it() -> None:
    assert second_agonist("methadone", ["buprenorphine"], low_dose_start=False, documented=True) is None


def test_methadone_alongside_a_low_dose_start_passes() -> None:
    assert second_agonist("methadone", ["buprenorphine"], low_dose_start=True, documented=False) is None


def test_methadone_without_buprenorphine_today_passes() -> None:
    assert second_agonist("methadone", ["naltrexone_xr"], low_dose_start=False, documented=False) is None


def test_buprenorphine_after_methadone_is_the_start_gates() -> None:
    assert second_agonist("buprenorphine", ["methadone"], low_dose_start=False, documented=False) is None


def test_the_reason_says_what_to_do() -> None:
    decision = second_agonist("methadone", ["buprenorphine"], low_dose_start=False, documented=False)
    assert decision is not None and "switch override for today" in decision.reasons[0].text


def test_the_reason_cites_sources_that_exist() -> None:
    decision = second_agonist("methadone", ["buprenorphine"], low_dose_start=False, documented=False)
    assert decision is not None and len(cite(*decision.sources)) == 3
