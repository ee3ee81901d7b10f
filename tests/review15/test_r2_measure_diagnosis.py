"""Review 15, round 2: the measures' OUD diagnosis is the record's one diagnosis (issue #15)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from keel.assessments import queries as aq
from keel.assessments.models import Assessment
from keel.measures import queries as mq


def _dsm5(world: Any, band: str, when: datetime) -> Assessment:
    return Assessment.objects.create(
        patient=world.alice,
        program=world.riverside,
        instrument="dsm5-oud",
        instrument_version="1",
        answers={},
        band=band,
        result={},
        filled_by=world.staff["prescriber"],
        filled_at=when,
    )


def _alice(world: Any) -> Any:
    return next(p for p in mq._people(world.riverside) if p.key == world.alice.pk)


def test_a_later_clinician_does_not_meet_removes_the_measure_diagnosis(world: Any) -> None:
    """Harm: a clinician re-assessed and recorded "does not meet criteria" (the record's diagnosis, per
    `queries.diagnosis`, is now none) yet NQF 3175 still counts her as a person with OUD -- the state report
    and the patient page disagree about the same person."""
    _dsm5(world, "moderate", datetime(2026, 1, 10, 15, tzinfo=UTC))
    _dsm5(world, "none", datetime(2026, 3, 10, 15, tzinfo=UTC))
    assert aq.diagnosis(world.alice).band == "none"
    assert _alice(world).oud_diagnosis is False


def test_a_clinician_diagnosis_counts(world: Any) -> None:
    """Held: a clinician's moderate result makes the person count as diagnosed."""
    _dsm5(world, "moderate", datetime(2026, 1, 10, 15, tzinfo=UTC))
    assert _alice(world).oud_diagnosis is True


def test_a_self_check_is_not_a_diagnosis_for_the_measure(world: Any) -> None:
    """Held: the person's own checklist (filled by the patient) never puts her in the NQF denominator."""
    Assessment.objects.create(
        patient=world.alice,
        program=world.riverside,
        instrument="dsm5-oud",
        instrument_version="1",
        answers={},
        band="severe",
        result={},
        filled_by=world.alice.user,
        filled_at=datetime(2026, 1, 10, 15, tzinfo=UTC),
    )
    assert _alice(world).oud_diagnosis is False


def test_remission_still_counts_as_oud(world: Any) -> None:
    """Held: moderate in sustained remission is still OUD (F11.21) for the measure."""
    _dsm5(world, "moderate_sustained_remission", datetime(2026, 1, 10, 15, tzinfo=UTC))
    assert _alice(world).oud_diagnosis is True
