"""Review 27b: the patient's accounting of disclosures (lane emg27) names who at the program disclosed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from keel.core import sharing as core
from keel.sharing.models import Disclosure
from tests.conftest import sign_in


def _disclosed(world: Any, by: Any, at: datetime) -> Disclosure:
    return Disclosure.objects.create(
        patient=world.alice,
        basis="patient_request",
        recipient_name="Mercy Hospital records office",
        categories=[],
        description="Medication record",
        notice=core.NOTICE,
        document_sha256="0" * 64,
        disclosed_by=by,
        disclosed_at=at,
    )


def test_the_patients_page_never_shows_a_staff_members_username(world: Any) -> None:
    """A staff member with no full name on file is shown to the patient by username ("full name else
    username"). A username is half of a staff member's sign-in (the other half is a password): a page every
    patient reads must not hand out staff sign-in names (phishing, password guessing against accounts that
    open every record of the program). Name them by role only, or "a staff member", when no name is on
    file."""
    nurse = world.staff["nurse"]
    assert not nurse.get_full_name()
    _disclosed(world, nurse, datetime.now(UTC) - timedelta(days=2))
    page = sign_in(Client(), world.alice.user).get("/me/sharing/")
    assert page.status_code == 200
    assert nurse.username not in page.content.decode()


def test_the_patients_page_says_the_day_in_the_programs_time_zone(world: Any) -> None:
    """The accounting's day and time (42 CFR 2.24: the date of each disclosure) must be the program's wall
    clock, as every other patient page says days (local_today): a disclosure at 22:30 in Los Angeles must
    not be listed on the next day at 01:30 (the deployment's New York time)."""
    program = world.riverside
    program.time_zone = "America/Los_Angeles"
    program.save(update_fields=["time_zone"])
    at = (datetime.now(UTC) - timedelta(days=3)).replace(hour=6, minute=30, second=0, microsecond=0)
    _disclosed(world, world.staff["nurse"], at)
    page = sign_in(Client(), world.alice.user).get("/me/sharing/").content.decode()
    assert "22:30" in page, "the time in the program's zone (Los Angeles), not the server's"
