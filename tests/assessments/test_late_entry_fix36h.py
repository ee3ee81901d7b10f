"""Lane fix36h (review 36h holes 4 and 2): the result page says the time of scoring and "Entered <time> by
<who>", marking a late entry (entered on a later minute than scored: Keel keeps no program threshold); the
flowsheet marks such rows; both name the author by the role she held when she filed it (`filled_by_role`),
a row from before it by her name alone or "a staff member", never her role of today."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client

from keel.accounts import staff
from keel.assessments import services
from keel.assessments.models import Assessment
from tests.conftest import World, sign_in

NY = ZoneInfo("America/New_York")  # the world's program zone
COWS = {k: 1 for k in ("pulse", "sweating", "pupils", "aches", "nose_eyes", "gi_upset", "tremor", "yawning")}
COWS |= {"restlessness": 1, "anxiety": 1, "gooseflesh": 0}
PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}


def _late_cows(world: World) -> Assessment:
    day = datetime.now(UTC).astimezone(NY).date() - timedelta(days=2)
    scored = datetime.combine(day, time(7, 0), tzinfo=NY)
    with time_machine.travel(datetime.combine(day, time(12, 0), tzinfo=NY), tick=False):
        row, _ = services.submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="cows",
            answers=COWS,
            filled_at=scored,
        )
    return row


def _page(world: World, path: str) -> str:
    return sign_in(Client(), world.staff["counselor"]).get(path).content.decode()


def test_a_late_entry_is_marked_on_its_result(world: World) -> None:
    row = _late_cows(world)
    page = _page(world, f"/patients/{world.alice.pk}/assessments/{row.pk}/")
    assert "Late entry" in page


def test_a_late_entry_says_its_time_of_scoring(world: World) -> None:
    row = _late_cows(world)
    page = _page(world, f"/patients/{world.alice.pk}/assessments/{row.pk}/")
    assert "07:00." in page


def test_a_late_entry_is_marked_on_the_flowsheet(world: World) -> None:
    _late_cows(world)
    assert "late entry" in _page(world, f"/patients/{world.alice.pk}/flowsheet/cows/")


def test_a_result_filed_as_it_is_scored_is_not_a_late_entry(world: World) -> None:
    row, _ = services.submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=PHQ9
    )
    assert "Late entry" not in _page(world, f"/patients/{world.alice.pk}/assessments/{row.pk}/")


def test_the_result_names_the_author_by_her_role_of_the_moment(world: World) -> None:
    nurse = world.staff["nurse"]
    row, _ = services.submit_assessment(by=nurse, patient_id=world.alice.pk, instrument="phq9", answers=PHQ9)
    staff.change_role(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, role="prescriber"
    )
    assert "by Nurse (no name on file)." in _page(world, f"/patients/{world.alice.pk}/assessments/{row.pk}/")


def test_a_row_from_before_the_role_was_kept_names_no_role(world: World) -> None:
    row, _ = services.submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=PHQ9
    )
    Assessment.objects.filter(pk=row.pk).update(filled_by_role="")  # as before assessments 0005
    page = _page(world, f"/patients/{world.alice.pk}/flowsheet/phq9/")
    assert "a staff member (no name on file)" in page
