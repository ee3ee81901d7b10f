"""Review 36h hole 2: the flowsheet's "By" column names the author of a result by the role she holds TODAY
when she has no full name on file: a PHQ-9 a nurse recorded reads "Prescriber (no name on file)" once an
admin made her a prescriber. An assessment keeps no role of the moment (a correction does, review 35d hole
3), so the record rewrites who measured it."""

from __future__ import annotations

from django.test import Client

from keel.accounts import staff
from keel.assessments import services
from tests.conftest import sign_in

PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}


def test_flowsheet_byline_keeps_the_nurse_who_recorded_it(world: object) -> None:
    nurse = world.staff["nurse"]  # type: ignore[attr-defined]
    assert not nurse.get_full_name().strip()  # the world's staff have no name on file
    services.submit_assessment(by=nurse, patient_id=world.alice.pk, instrument="phq9", answers=PHQ9)  # type: ignore[attr-defined]
    staff.change_role(
        by=world.staff["program_admin"],  # type: ignore[attr-defined]
        program_slug="riverside",
        user_id=nurse.pk,
        role="prescriber",
    )
    reader = sign_in(Client(), world.staff["counselor"])  # type: ignore[attr-defined]
    page = reader.get(f"/patients/{world.alice.pk}/flowsheet/phq9/").content.decode()  # type: ignore[attr-defined]
    assert "No results yet." not in page
    assert "Prescriber (no name on file)" not in page  # her role of today, not of the moment she measured
