"""Hole 1: the timeline counts a voided dose (entered in error) as an observed dose.

`keel.careteam.timeline._dose_events` reads `DoseRecord` rows without their `DoseAmendment`s: a dose voided
("charted on the wrong person") or corrected to 0 mg still counts in the run "Methadone: 3 observed doses",
while the FHIR export says the voided dose is `entered-in-error` and the window counts the day as missed.
The legal record read by the care team says a dose was given that the record itself says was not.
"""

from __future__ import annotations

from datetime import date

import pytest

from keel.careteam.queries import timeline
from tests.conftest import World
from tests.factories import corrected
from tests.review33c._setup import WRONG_PERSON, three_observed_days

pytestmark = pytest.mark.django_db


def _dose_days_shown(world: World) -> set[date]:
    """The days the prescriber's timeline shows an observed dose on (each run's days)."""
    shown: set[date] = set()
    for event in timeline(world.staff["prescriber"], world.alice.pk, days=30).events:
        if event.kind == "dose" and event.run is not None:
            first, last = event.run
            shown |= {d for d in _days(first, last)}
    return shown


def _days(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def test_control_the_three_observed_days_are_shown(world: World) -> None:
    doses, _ = three_observed_days(world)
    assert _dose_days_shown(world) == {d.local_date for d in doses}


def test_a_voided_dose_is_not_shown_as_observed(world: World) -> None:
    doses, _ = three_observed_days(world)
    corrected(world, doses[1], WRONG_PERSON, void=True)
    assert doses[1].local_date not in _dose_days_shown(world)


def test_a_dose_corrected_to_zero_is_not_shown_as_observed(world: World) -> None:
    doses, _ = three_observed_days(world)
    corrected(world, doses[1], WRONG_PERSON, corrected_mg="0")
    assert doses[1].local_date not in _dose_days_shown(world)
