"""One definition of "latest" (issue #13): the assessment given last, and of two given at the same moment the
one entered last. Readiness, the flowsheets, the timeline, the progress report and the FHIR export agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from keel.access.policy import Area
from keel.assessments import queries
from keel.assessments.models import Assessment
from keel.assessments.queries import list_assessments
from keel.assessments.services import submit_assessment
from keel.careteam.queries import timeline
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import record_bundle
from keel.sharing.services import report
from tests.conftest import World

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
PHQ9_LOW = {f"phq9_{i}": 0 for i in range(1, 10)}
PHQ9_HIGH = {**PHQ9_LOW, "phq9_1": 3, "phq9_2": 3, "phq9_3": 2}  # 8


def give(world: World, code: str, answers: dict[str, int], at: datetime = WHEN) -> Assessment:
    with time_machine.travel(at, tick=False):
        return submit_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, instrument=code, answers=answers
        )[0]


@pytest.fixture
def two_at_once(world: World) -> tuple[Assessment, Assessment]:
    first = give(world, "phq9", PHQ9_HIGH)
    second = give(world, "phq9", PHQ9_LOW)  # the same moment, entered second: the latest
    return first, second


def test_the_later_entry_of_two_at_the_same_moment_is_the_latest(
    world: World, two_at_once: tuple[Assessment, Assessment]
) -> None:
    assert queries.latest(world.alice, "phq9") == two_at_once[1]


def test_a_later_time_wins_over_a_later_entry(world: World) -> None:
    later = give(world, "phq9", PHQ9_HIGH, WHEN + timedelta(minutes=1))
    give(world, "phq9", PHQ9_LOW, WHEN)  # entered after, but given earlier
    assert queries.latest(world.alice, "phq9") == later


def test_as_of_leaves_out_what_came_after(world: World) -> None:
    earlier = give(world, "phq9", PHQ9_HIGH, WHEN)
    give(world, "phq9", PHQ9_LOW, WHEN + timedelta(hours=1))
    assert queries.latest(world.alice, "phq9", as_of=WHEN + timedelta(minutes=5)) == earlier


def test_the_flowsheet_ends_with_the_latest(world: World, two_at_once: tuple[Assessment, Assessment]) -> None:
    _patient, rows = list_assessments(world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9")
    assert list(rows)[-1] == two_at_once[1]


def test_the_timeline_puts_the_latest_first(world: World, two_at_once: tuple[Assessment, Assessment]) -> None:
    with time_machine.travel(WHEN + timedelta(hours=1), tick=False):
        events = [e for e in timeline(world.staff["nurse"], world.alice.pk).events if e.kind == "assessment"]
    assert events[0].detail.startswith("score 0")


def test_the_progress_report_gives_the_latest(
    world: World, two_at_once: tuple[Assessment, Assessment]
) -> None:
    document = report(world.alice, ("screenings",), WHEN + timedelta(hours=1), areas=frozenset(Area))
    lines: list[Any] = document["sections"][0]["lines"]
    assert lines[0].startswith("PHQ-9: 0 ")


def test_the_fhir_condition_comes_from_the_latest_diagnosis(world: World) -> None:
    mild = {f"dsm5_{i}": 1 if i <= 2 else 0 for i in range(1, 12)}
    severe = {f"dsm5_{i}": 1 if i <= 6 else 0 for i in range(1, 12)}
    give(world, "dsm5-oud", mild)
    give(world, "dsm5-oud", severe)
    base = Base("https://keel.example/fhir/R4/")
    bundle = record_bundle(world.alice, frozenset({Area.CLINICAL}), WHEN + timedelta(hours=1), base)
    conditions = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    assert [c["severity"]["coding"][0]["display"] for c in conditions] == ["Severe"]


def test_the_fhir_condition_keeps_one_id_across_reassessments(world: World) -> None:
    """Review 20c: the id is the person's first DSM-5 assessment's, the content the latest's."""
    mild = {f"dsm5_{i}": 1 if i <= 2 else 0 for i in range(1, 12)}
    severe = {f"dsm5_{i}": 1 if i <= 6 else 0 for i in range(1, 12)}
    first = give(world, "dsm5-oud", mild)
    give(world, "dsm5-oud", severe)
    base = Base("https://keel.example/fhir/R4/")
    bundle = record_bundle(world.alice, frozenset({Area.CLINICAL}), WHEN + timedelta(hours=1), base)
    conditions = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    assert [c["id"] for c in conditions] == [f"oud-{first.pk}"]
