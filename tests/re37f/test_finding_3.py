"""re37f finding 3 (low, a decision): a date search value without a zone in the hour a fall-back day repeats
is read as its first occurrence only (fold 0): the program's wall-clock second 01:30:20 of the second
(EST) pass is never found by `date=2026-11-01T01:30:20`, though that is the time her clinic's clock showed."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from keel.interop.rest import dates

NY = ZoneInfo("America/New_York")


def test_a_zoneless_second_in_the_repeated_hour_finds_the_est_reading() -> None:
    reading = dates.value_range("2026-11-01T01:30:20-05:00", NY, "effectiveDateTime")  # 01:30:20 EST
    prefix, span = dates.search_value("2026-11-01T01:30:20", NY, "date")
    # either occurrence of the wall-clock second matches (or the value is refused as ambiguous: a 400)
    assert dates.matches(prefix, span, reading)
