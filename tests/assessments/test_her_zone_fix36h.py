"""Lane fix36h (review 36h hole 1): the pages that say a day or a time of hers say it on her program's clock
(`{% timezone %}` with her program's zone), never the server's (settings.TIME_ZONE, New York): the result's
"Corrected by ... on", the record's flag "Raised", a disclosure's document, the printed plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.utils import formats

from keel.accounts.models import Program
from keel.assessments import services
from tests.conftest import World, sign_in
from tests.sharing.test_part2_emergency import EMERGENCY

LA = ZoneInfo("America/Los_Angeles")
PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}
HIGH = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0}


@pytest.fixture
def late_evening(world: World) -> Iterator[datetime]:
    """22:30 in Los Angeles two days ago (01:30 the next day in New York), her program moved there."""
    Program.objects.filter(pk=world.riverside.pk).update(time_zone="America/Los_Angeles")
    day = datetime.now(UTC).astimezone(LA).date() - timedelta(days=2)
    at = datetime.combine(day, time(22, 30), tzinfo=LA)
    with time_machine.travel(at, tick=False):
        yield at


def _her_words(at: datetime) -> str:
    return f"{formats.date_format(at.date(), 'DATE_FORMAT')}, 22:30"


def test_the_result_says_when_it_was_corrected_on_her_clock(world: World, late_evening: datetime) -> None:
    nurse = world.staff["nurse"]
    row, _ = services.submit_assessment(by=nurse, patient_id=world.alice.pk, instrument="phq9", answers=PHQ9)
    services.correct_assessment(
        by=nurse,
        patient_id=world.alice.pk,
        assessment_id=row.pk,
        entered_in_error=True,
        reason="wrong person",
    )
    page = sign_in(Client(), nurse).get(f"/patients/{world.alice.pk}/assessments/{row.pk}/").content.decode()
    assert f" on {_her_words(late_evening)}." in page


def test_the_record_says_when_a_flag_was_raised_on_her_clock(world: World, late_evening: datetime) -> None:
    nurse = world.staff["nurse"]
    services.submit_assessment(by=nurse, patient_id=world.alice.pk, instrument="cssrs-screen", answers=HIGH)
    page = sign_in(Client(), nurse).get(f"/patients/{world.alice.pk}/").content.decode()
    assert f"Raised {_her_words(late_evening)}" in page


def test_a_disclosure_says_when_it_was_made_on_her_clock(world: World, late_evening: datetime) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    page = nurse.post(f"/patients/{world.alice.pk}/sharing/disclose/", EMERGENCY).content.decode()
    assert f", {_her_words(late_evening)}. Recorded in the patient" in page


def test_the_printed_plan_says_her_day(world: World, late_evening: datetime) -> None:
    alice = world.alice
    alice.refresh_from_db()
    view = SimpleNamespace(patient=alice, plan=SimpleNamespace(people=[]))
    page = render_to_string(
        "recovery/plan_print.html", {"view": view, "sections": [], "printed": late_evening}
    )
    assert f"Printed {formats.date_format(late_evening.date(), 'DATE_FORMAT')}." in page
