"""Review of issue #18: the dosing window's hours (Program.dosing_opens/closes, closure_days) and the
prescriber's "hours" override."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

ZONE = "America/Chicago"


def _admin_api(world: Any) -> Client:
    """The program admin's signed-in session on the API. Superseded by review 26a (session 26): was the
    admin's API token; a staff token no longer writes the program's settings (refused 403 at authentication:
    review 26a), so the hours' checks (422) are asked of the session."""
    from tests.conftest import sign_in

    return sign_in(Client(), world.staff["program_admin"])


def _put(world: Any, body: dict[str, Any]) -> Any:
    return _admin_api(world).put(
        "/api/v1/programs/riverside/settings", data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize(
    ("opens", "closes"),
    [("06:30+05:00", "14:00"), ("06:30+05:00", "14:00+05:00"), ("06:30", "14:00-06:00")],
)
def test_hours_written_with_a_utc_offset_are_refused_naming_the_field_not_a_500(
    world: Any, opens: str, closes: str
) -> None:
    """Attack: an admin (or a script copying an ISO timestamp) sends the window's hours with a UTC offset,
    "06:30+05:00". Python's time.fromisoformat accepts it as an aware time; comparing it with a plain closing
    time raises TypeError, and an aware time cannot be stored in SQLite's time column (ValueError).
    Expected: 422 naming dosing_opens/dosing_closes (wall-clock times in the program's zone). Found: 500
    (on both databases)."""
    client = _admin_api(world)
    client.raise_request_exception = False
    response = client.put(
        "/api/v1/programs/riverside/settings",
        data=json.dumps({"time_zone": ZONE, "dosing_opens": opens, "dosing_closes": closes}),
        content_type="application/json",
    )
    assert response.status_code == 422


# --- Attacks that held -------------------------------------------------------------------------------------


def _set_hours(world: Any, closure_days: list[str] | None = None) -> None:
    world.riverside.time_zone = ZONE
    world.riverside.dosing_opens = time(6, 0)
    world.riverside.dosing_closes = time(14, 0)
    world.riverside.closure_days = closure_days or []
    world.riverside.save()


def _local(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(ZONE))


def _prescribe(world: Any, at: datetime) -> None:
    from keel.treatment import services as treatment

    treatment.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30", now=at
    )


def _dose(world: Any, at: datetime, **kw: Any) -> Any:
    from keel.treatment import services as treatment

    return treatment.record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        amount_mg="20",
        medication="methadone",
        now=at,
        **kw,
    )


@pytest.mark.parametrize(
    "at",
    [
        _local(2026, 3, 8, 14, 0),  # spring forward day, closing minute
        _local(2026, 11, 1, 5, 59),  # fall back day, a minute before opening
        _local(2026, 7, 1, 14, 0),
    ],
)
def test_held_a_dose_just_outside_hours_in_the_programs_zone_is_blocked(world: Any, at: datetime) -> None:
    from keel.treatment.services import DoseBlocked

    _set_hours(world)
    _prescribe(world, at.replace(hour=8, minute=0))
    with pytest.raises(DoseBlocked):
        _dose(world, at)


def test_held_a_dose_a_minute_before_closing_on_the_spring_forward_day_is_given(world: Any) -> None:
    _set_hours(world)
    at = _local(2026, 3, 8, 13, 59)
    _prescribe(world, at.replace(hour=8))
    assert _dose(world, at).dose.pk


def test_held_a_nurse_cannot_record_the_hours_override(world: Any) -> None:
    from keel.treatment import services as treatment

    with pytest.raises(Exception) as raised:
        treatment.add_override(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            kind="hours",
            reason="came late after work shift today",
        )
    assert "Invalid" not in type(raised.value).__name__


def test_held_an_override_reason_of_ok_is_refused(world: Any) -> None:
    from keel.treatment import services as treatment
    from keel.treatment.errors import TreatmentInvalid

    with pytest.raises(TreatmentInvalid):
        treatment.add_override(
            by=world.staff["prescriber"], patient_id=world.alice.pk, kind="hours", reason="ok"
        )


def test_held_yesterdays_hours_override_does_not_open_today(world: Any) -> None:
    from keel.treatment import services as treatment
    from keel.treatment.services import DoseBlocked

    _set_hours(world)
    yesterday = _local(2026, 7, 1, 15, 0)
    _prescribe(world, yesterday.replace(hour=8))
    treatment.add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        kind="hours",
        reason="bus broke down, arrived after the window closed",
        now=yesterday,
    )
    _dose(world, yesterday)
    with pytest.raises(DoseBlocked):
        _dose(world, _local(2026, 7, 2, 15, 0))


def test_held_a_closure_day_blocks_a_dose_at_noon(world: Any) -> None:
    from keel.treatment.services import DoseBlocked

    _set_hours(world, closure_days=["2026-07-03"])
    at = _local(2026, 7, 3, 10, 0)
    _prescribe(world, at.replace(hour=7))
    with pytest.raises(DoseBlocked):
        _dose(world, at)


def test_held_a_given_at_from_yesterday_is_refused(world: Any) -> None:
    from keel.treatment.errors import TreatmentInvalid

    _set_hours(world)
    at = _local(2026, 7, 2, 15, 0)
    _prescribe(world, at.replace(hour=8))
    with pytest.raises(TreatmentInvalid):
        _dose(world, at, given_at=_local(2026, 7, 1, 10, 0).isoformat())


def test_held_hours_with_closing_before_opening_are_refused(world: Any) -> None:
    response = _put(world, {"time_zone": ZONE, "dosing_opens": "22:00", "dosing_closes": "02:00"})
    assert response.status_code == 422
