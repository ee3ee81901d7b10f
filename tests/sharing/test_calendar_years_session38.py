"""Session 38 (review 37d's decision asked): the accounting of disclosures covers 3 calendar years (42 CFR
2.24, 2.25) and a consent may end at most 5 calendar years ahead: counted in years
(`core.sharing.years_from`), not 365-day blocks, which fall a day short whenever the span holds a
29 February."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import MAX_YEARS, accounting_since, parse_consent, years_from
from keel.sharing.models import Disclosure
from keel.sharing.queries import my_sharing
from tests.conftest import World

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("today", "since"),
    [
        (date(2028, 3, 1), date(2025, 3, 1)),  # the span holds 29 February 2028
        (date(2027, 3, 1), date(2024, 3, 1)),  # the span holds 29 February 2024
        (date(2026, 12, 7), date(2023, 12, 7)),
        (date(2028, 2, 29), date(2025, 2, 28)),  # from a 29 February: the earlier day, a day more covered
    ],
)
def test_the_accounting_starts_three_calendar_years_back(today: date, since: date) -> None:
    assert accounting_since(today) == since


def test_years_from_a_29_february_ahead_is_28_february() -> None:
    assert years_from(date(2028, 2, 29), 5) == date(2033, 2, 28)


def _consent(expires_on: date, today: date) -> object:
    raw = {
        "recipient_name": "Harbor Primary Care",
        "purpose": "treatment",
        "categories": ["attendance"],
        "expires_on": expires_on.isoformat(),
        "patient_signature": "Alice Rivera",
        "notice_acknowledged": True,
    }
    return parse_consent(raw, patient_name="Alice Rivera", today=today)


def _expiry_errors(expires_on: date, today: date) -> list[str]:
    try:
        _consent(expires_on, today)
    except InvalidInput as refused:
        return [e.field for e in refused.errors if e.field == "expires_on"]
    return []


def test_a_consent_may_end_exactly_five_calendar_years_ahead_across_a_leap_day() -> None:
    today = date(2026, 12, 7)  # 2031-12-07 is 1,826 days ahead: 29 February 2028 lies between
    assert _expiry_errors(years_from(today, MAX_YEARS), today) == []


def test_a_consent_may_not_end_a_day_past_five_calendar_years() -> None:
    today = date(2026, 12, 7)
    assert _expiry_errors(date(2031, 12, 8), today) == ["expires_on"]


@pytest.mark.django_db
def test_a_disclosure_on_the_first_day_of_a_leap_spanning_window_is_listed(world: World) -> None:
    now = datetime(2028, 3, 1, 17, 0, tzinfo=NEW_YORK)  # the program's day 2028-03-01
    first_day = date(2025, 3, 1)  # 3 x 365 days back is 2025-03-02: this day was left out
    Disclosure.objects.create(
        patient=world.alice,
        basis="patient_request",
        recipient_name="Dr. Outside Clinic",
        categories=["attendance"],
        description="Attendance",
        notice="42 CFR part 2 notice",
        document_sha256="0" * 64,
        disclosed_by=world.staff["nurse"],
        disclosed_at=datetime.combine(first_day, time(10, 0), tzinfo=NEW_YORK),
    )
    shown = my_sharing(world.alice.user, now=now)
    assert len(shown.disclosures) == 1
