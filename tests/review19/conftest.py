"""Review 19 (round 2): fixtures for the attacks on appointments and appointment reminders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

# A fixed "now" well before the appointments the tests book (America/New_York, the program's zone).
BOOKED_AT = datetime(2027, 3, 1, 15, tzinfo=UTC)
# 18:00 in New York on 2027-03-09 (EST): the day-before reminder of a visit on 2027-03-10.
EVE_18H = datetime(2027, 3, 9, 23, 0, tzinfo=UTC)


@pytest.fixture
def reminded(world: Any, smtp_server: Any, settings: Any) -> Any:
    """Alice has an email address and chose appointment reminders by email the day before at 18:00."""
    from keel.appointments import services

    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    world.alice.user.email = "alice@example.org"
    world.alice.user.save(update_fields=["email"])
    world.box = smtp_server
    world.choice = services.choose_reminders(world.alice.user, channel="email", day_before_at="18:00")
    return world


def book(world: Any, **overrides: Any) -> Any:
    """A counseling visit for Alice on 2027-03-10 at 09:30, booked by the Riverside nurse."""
    from keel.appointments import services

    args: dict[str, Any] = {
        "by": world.staff["nurse"],
        "patient_id": world.alice.pk,
        "day": "2027-03-10",
        "start": "09:30",
        "end": "10:30",
        "kind": "counseling",
        "with_id": world.staff["prescriber"].pk,
        "now": BOOKED_AT,
    }
    args.update(overrides)
    return services.schedule(**args)
