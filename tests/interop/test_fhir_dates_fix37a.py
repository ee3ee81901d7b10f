"""Lane fix37a (re-attack 36m-4): a FHIR date search value given to the minute or second with no zone, on
the program's clock on a fall-back day (America/New_York, the first Sunday of November: 01:00-02:00 happens
twice), is a range of its own width on the time line (end = start + its precision in elapsed time, never on
the wall clock: 01:59 EDT + 1 minute is 01:00 EST, not 02:00 EST an hour later). The days below are calendar
facts (past fall-back days), never "today"."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest

from keel.interop.rest import dates
from keel.patients.models import Patient
from tests.conftest import World

NEW_YORK = ZoneInfo("America/New_York")


def _width(value: str) -> timedelta:
    start, end = dates.value_range(value, NEW_YORK, "date")
    return end.astimezone(UTC) - start.astimezone(UTC)


# The repeated hour's minutes name their occurrence by zone: without one they name both (lane fix37i, re37f 3)
@pytest.mark.parametrize("minute", ["2026-11-01T01:30-04:00", "2026-11-01T01:59-04:00", "2026-11-01T00:59"])
def test_a_minute_on_a_fall_back_day_is_sixty_seconds_long(minute: str) -> None:
    assert _width(minute) == timedelta(minutes=1)


def test_the_last_second_before_the_clock_falls_back_is_one_second_long() -> None:
    assert _width("2026-11-01T01:59:59-04:00") == timedelta(
        seconds=1
    )  # EDT's: a zone-less one names both (fix37i)


def test_the_minute_0159_does_not_hold_the_second_0130_an_hour_later() -> None:
    """06:30Z is 01:30 EST, after the clock fell back: not within the minute 01:59 EDT (05:59Z-06:00Z)."""
    search = dates.value_range(
        "2026-11-01T01:59-04:00", NEW_YORK, "date"
    )  # EDT's: zone-less names both (fix37i)
    later = dates.value_range("2026-11-01T06:30:00Z", NEW_YORK, "date")
    assert not dates.matches("eq", search, later)


def test_the_minute_0159_holds_its_own_second() -> None:
    search = dates.value_range("2026-11-01T01:59", NEW_YORK, "date")
    inside = dates.value_range("2026-11-01T05:59:30Z", NEW_YORK, "date")
    assert dates.matches("eq", search, inside)


def test_a_time_of_the_first_0130_is_not_after_the_minute_0159() -> None:
    """Both without a zone, on one clock: 01:30 EDT (05:30Z) ends before 01:59 EDT's minute ends (06:00Z,
    01:00 EST), though its wall clock reads later: compared on the time line."""
    search = dates.value_range("2026-11-01T01:59", NEW_YORK, "date")
    earlier = dates.value_range("2026-11-01T01:30", NEW_YORK, "date")
    assert not dates.matches("gt", search, earlier)


def test_the_end_of_a_range_is_on_the_search_values_own_clock() -> None:
    """The birth-date rule (`day_field_q`) reads the day of each end on its own clock: an end moved to UTC
    made `le1990-05-16T23:59:59.5-05:00` (its end 04:59:59.6Z, on 05-17) find a birth on 05-17."""
    end = dates.value_range("1990-05-16T23:59:59.5-05:00", NEW_YORK, "birthdate")[1]
    assert end.utcoffset() == timedelta(hours=-5)


FALL_BACK_1990 = ["1990-10-28T01:59", "1990-10-28T01:59:59", "1990-10-28T00:59", "1990-10-28"]


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [f"{p}{v}" for p in dates.PREFIXES for v in FALL_BACK_1990])
def test_the_database_rule_for_a_birth_date_on_a_fall_back_day_is_the_range_rule(
    world: World, raw: str
) -> None:
    """`day_field_q` finds the birth dates `matches` does, on New York's clock the day it fell back (1990)."""
    days = [date(1990, 10, 27), date(1990, 10, 28), date(1990, 10, 29)]
    people = [world.alice, world.bob, world.charlie]
    for patient, born in zip(people, days, strict=True):
        Patient.objects.filter(pk=patient.pk).update(date_of_birth=born)
    prefix, span = dates.search_value(raw, NEW_YORK, "birthdate")
    rows = Patient.objects.filter(pk__in=[p.pk for p in people])
    found = set(rows.filter(dates.day_field_q("date_of_birth", prefix, span)).values_list("pk", flat=True))
    wanted = {
        p.pk
        for p in rows
        if p.date_of_birth is not None
        and dates.matches(prefix, span, dates.value_range(p.date_of_birth.isoformat(), NEW_YORK, "birthdate"))
    }
    assert found == wanted
