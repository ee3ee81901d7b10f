"""Lane fix37i (re-attack re37f 1-2): an outranked self-check is the Condition's last resort only if it once
WAS the Condition (filled while no clinician's result stood, or handed over by a strike); the Condition's
source is the result that last stood as the Condition. Read, search and $everything agree. Each step is
entered in the order it happened (the audit trail's), whatever time its row is set back to. re37f 3
(decided): a zone-less time in a fall-back day's repeated hour names both occurrences (`rest.dates`)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment
from keel.interop.rest import dates
from tests.conftest import World
from tests.re37f.test_finding_1 import _dsm5, _searched
from tests.review36g._setup import consent, everything, fhir, token


def _strike(world: World, a: Assessment) -> None:
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )


def _status(found: dict[str, Any]) -> str:
    return str(found["verificationStatus"]["coding"][0]["code"])


def _evidence(found: dict[str, Any]) -> str:
    return str(found["evidence"][0]["detail"][0]["reference"])


def _never_the_condition(world: World) -> Assessment:
    """A counselor's "not met" stands; her self-check (6 criteria) after it is outranked from the start."""
    first = _dsm5(world, 0, days_ago=3)
    _dsm5(world, 6, days_ago=1, by=world.alice.user)
    return first


@pytest.mark.django_db
def test_an_outranked_self_check_that_never_was_the_condition_is_not_read(world: World) -> None:
    first = _never_the_condition(world)
    found = fhir(f"/fhir/R4/Condition/oud-{first.pk}", token(world), consent(world, ["record"]).pk)
    assert found.status_code == 404


@pytest.mark.django_db
def test_an_outranked_self_check_that_never_was_the_condition_is_not_in_everything(world: World) -> None:
    _never_the_condition(world)
    bundle = everything(world, token(world), consent(world, ["record"]).pk, count=100).json()
    kinds = [e["resource"]["resourceType"] for e in bundle.get("entry", [])]
    assert "Condition" not in kinds


def _handed_over_then_not_met(world: World) -> Assessment:
    """A clinician's diagnosis; her self-check after it (outranked); the diagnosis struck (her self-check is
    the Condition, handed over); a clinician's "not met" after that."""
    wrong = _dsm5(world, 11, days_ago=4)
    own = _dsm5(world, 6, days_ago=3, by=world.alice.user)
    _strike(world, wrong)
    assert [_status(c) for c in _searched(world)] == ["provisional"]
    _dsm5(world, 0, days_ago=1)
    return own


@pytest.mark.django_db
def test_a_self_check_handed_over_by_a_strike_stays_refuted_under_a_later_not_met(world: World) -> None:
    _handed_over_then_not_met(world)
    assert [_status(c) for c in _searched(world)] == ["refuted"]


@pytest.mark.django_db
def test_the_handed_over_self_check_is_the_evidence_of_its_refuted_condition(world: World) -> None:
    own = _handed_over_then_not_met(world)
    (found,) = _searched(world)
    assert _evidence(found) == f"QuestionnaireResponse/assessment-{own.pk}"


@pytest.mark.django_db
def test_a_not_met_after_a_struck_diagnosis_sends_her_self_check_as_evidence(world: World) -> None:
    """re37f 2: self-check, a counselor's diagnosis struck (hers handed over), then a "not met"."""
    own = _dsm5(world, 6, days_ago=4, by=world.alice.user)
    _strike(world, _dsm5(world, 6, days_ago=3))
    _dsm5(world, 0, days_ago=1)
    (found,) = _searched(world)
    assert _evidence(found) == f"QuestionnaireResponse/assessment-{own.pk}"


@pytest.mark.django_db
def test_a_diagnosis_struck_after_a_not_met_refuted_it_stays_entered_in_error(world: World) -> None:
    """Her self-check was the Condition first, then the clinician's diagnosis, refuted by a "not met"; the
    diagnosis struck last: the result that last stood as the Condition is the struck one."""
    _dsm5(world, 6, days_ago=4, by=world.alice.user)
    wrong = _dsm5(world, 6, days_ago=3)
    _dsm5(world, 0, days_ago=1)
    _strike(world, wrong)
    assert [_status(c) for c in _searched(world)] == ["entered-in-error"]


@pytest.mark.django_db
def test_a_self_check_filled_after_a_struck_diagnosis_is_refuted_by_a_later_not_met(world: World) -> None:
    """The diagnosis struck (entered in error), then her self-check while no clinician's result stood (the
    Condition, provisional), then a clinician's "not met": hers last stood as the Condition."""
    _strike(world, _dsm5(world, 11, days_ago=4))
    _dsm5(world, 6, days_ago=3, by=world.alice.user)
    _dsm5(world, 0, days_ago=1)
    assert [_status(c) for c in _searched(world)] == ["refuted"]


# re37f 3 (decided): a zone-less time in the hour a fall-back day repeats names both occurrences. The day is
# a calendar fact (New York fell back on 2026-11-01), never "today".
NEW_YORK = ZoneInfo("America/New_York")


def _found(prefix: str, searched: str, reading: str) -> bool:
    span = dates.value_range(f"2026-11-01T{searched}", NEW_YORK, "date")
    return dates.matches(
        prefix, span, dates.value_range(f"2026-11-01T{reading}", NEW_YORK, "effectiveDateTime")
    )


@pytest.mark.parametrize("reading", ["01:30:20-04:00", "01:30:20-05:00"])
def test_a_zoneless_second_in_the_repeated_hour_finds_either_reading(reading: str) -> None:
    assert _found("eq", "01:30:20", reading)


def test_a_zoneless_minute_in_the_repeated_hour_runs_from_the_first_to_the_second_occurrence() -> None:
    start, end = dates.value_range("2026-11-01T01:30", NEW_YORK, "date")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=1, minutes=1)


def test_a_reading_in_the_second_occurrence_is_not_after_the_zoneless_minute() -> None:
    assert not _found("sa", "01:30", "01:30:20-05:00")


def test_a_reading_after_the_second_occurrence_is_after_the_zoneless_minute() -> None:
    assert _found("sa", "01:30", "01:45:00-05:00")


def test_a_reading_between_the_occurrences_is_not_after_the_zoneless_minute() -> None:
    assert not _found("sa", "01:30", "01:45:00-04:00")


def test_a_reading_before_the_first_occurrence_ends_before_the_zoneless_minute() -> None:
    assert _found("eb", "01:30", "01:20:00-04:00")


def test_a_reading_before_the_second_occurrence_does_not_end_before_the_zoneless_minute() -> None:
    assert not _found("eb", "01:30", "01:20:00-05:00")


def test_a_zoneless_minute_in_a_spring_forward_gap_is_one_minute_long() -> None:
    """2026-03-08 02:30 never showed in New York: one occurrence (fold 1 is earlier there), its own width."""
    start, end = dates.value_range("2026-03-08T02:30", NEW_YORK, "date")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=1)
