"""The measures' OUD diagnosis is the record's one diagnosis (`keel.assessments.queries.diagnosis`), read
set-based as of the report date (issue #15, review round 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from keel.assessments import queries as aq
from keel.assessments.models import Assessment
from keel.measures import queries as mq

REPORT_DAY = date(2026, 3, 1)


def _dsm5(world: Any, patient: Any, band: str, when: datetime, by: str = "prescriber") -> None:
    Assessment.objects.create(
        patient=patient,
        program=world.riverside,
        instrument="dsm5-oud",
        instrument_version="1",
        answers={},
        band=band,
        result={},
        filled_by=patient.user if by == "self" else world.staff[by],
        filled_at=when,
    )


def _record_says(world: Any, patient: Any, day: date | None) -> bool:
    cutoff = aq.diagnosis_cutoff(day, world.riverside.time_zone) if day else None
    found = aq.diagnosis(patient, as_of=cutoff)
    return found is not None and found.band in mq.OUD_BANDS


def _measures_say(world: Any, patient: Any, day: date | None) -> bool:
    return patient.pk in mq.diagnosed(world.riverside, day)


def _story(world: Any) -> None:
    # Alice: moderate in January, "does not meet" in February -> none on the report date.
    _dsm5(world, world.alice, "moderate", datetime(2026, 1, 10, 15, tzinfo=UTC))
    _dsm5(world, world.alice, "none", datetime(2026, 2, 10, 15, tzinfo=UTC))
    # Bob: "does not meet" in January, severe on the report date itself, none after the report date.
    _dsm5(world, world.bob, "none", datetime(2026, 1, 10, 15, tzinfo=UTC))
    _dsm5(world, world.bob, "severe", datetime(2026, 3, 1, 18, tzinfo=UTC))
    _dsm5(world, world.bob, "none", datetime(2026, 4, 2, 15, tzinfo=UTC))


def test_the_measures_and_the_record_agree_person_by_person(world: Any) -> None:
    _story(world)
    for day in (date(2026, 1, 5), date(2026, 1, 20), REPORT_DAY, date(2026, 5, 1), None):
        for patient in (world.alice, world.bob):
            assert _measures_say(world, patient, day) == _record_says(world, patient, day), (patient, day)


def test_a_later_does_not_meet_before_the_report_date_removes_the_diagnosis(world: Any) -> None:
    _story(world)
    assert _measures_say(world, world.alice, REPORT_DAY) is False


def test_a_diagnosis_on_the_report_day_counts(world: Any) -> None:
    _story(world)
    assert _measures_say(world, world.bob, REPORT_DAY) is True


def test_a_does_not_meet_after_the_report_date_does_not_reach_back(world: Any) -> None:
    _story(world)
    assert _measures_say(world, world.bob, date(2026, 3, 31)) is True


def test_a_diagnosis_after_the_report_date_does_not_count(world: Any) -> None:
    _dsm5(world, world.alice, "severe", datetime(2026, 3, 5, 15, tzinfo=UTC))
    assert _measures_say(world, world.alice, REPORT_DAY) is False


def test_a_later_self_check_does_not_replace_a_clinician_diagnosis(world: Any) -> None:
    _dsm5(world, world.alice, "moderate", datetime(2026, 1, 10, 15, tzinfo=UTC))
    _dsm5(world, world.alice, "none", datetime(2026, 2, 10, 15, tzinfo=UTC), by="self")
    assert _measures_say(world, world.alice, REPORT_DAY) is True


def test_the_people_read_carries_the_diagnosis_of_the_report_date(world: Any) -> None:
    _dsm5(world, world.alice, "moderate", datetime(2026, 1, 10, 15, tzinfo=UTC))
    _dsm5(world, world.alice, "none", datetime(2026, 3, 10, 15, tzinfo=UTC))
    alice = next(p for p in mq._people(world.riverside, REPORT_DAY) if p.key == world.alice.pk)
    assert alice.oud_diagnosis is True
