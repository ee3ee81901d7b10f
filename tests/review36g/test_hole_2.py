"""Review 36g hole 2: a date search value given to the minute (`2026-12-05T10:00-05:00`, the precision FHIR
R4 dateTime allows and a hospital's system sends) is read as one second, so an Observation at 10:00:30 of
that minute is dropped by `eq` and by `le`. FHIR R4 search, date: "the search value [is] an implicit
range" at its own precision (a minute here), `eq` matches a target inside that range and `le` one that
overlaps or precedes it. Cause: `searches._date_range`: a value with `T` becomes [value, value + 1 s)
whatever its precision."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client

from keel.assessments.services import submit_assessment
from keel.patients.models import local_today, zone_of
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _phq9_yesterday_at_ten_and_a_half_minute(world: World) -> datetime:
    at = datetime.combine(
        local_today(world.alice) - timedelta(days=1), time(10, 0, 30), tzinfo=zone_of(world.alice)
    )
    submit_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="phq9",
        answers={f"phq9_{n}": 1 for n in range(1, 10)},
        filled_at=at,
    )
    return at


def _total(world: World, date: str) -> object:
    client = sign_in(Client(), world.staff["nurse"])
    code = "http://loinc.org|44261-6"  # the PHQ-9 total
    found = client.get(
        "/fhir/R4/Observation", {"patient": world.alice.pk, "code": code, "date": date, "_count": 0}
    )
    return found.json().get("total")


def test_eq_the_minute_finds_the_score_given_in_it(world: World) -> None:
    at = _phq9_yesterday_at_ten_and_a_half_minute(world)
    assert _total(world, "eq" + at.replace(second=0).isoformat(timespec="minutes")) == 1


def test_le_the_minute_finds_the_score_given_in_it(world: World) -> None:
    at = _phq9_yesterday_at_ten_and_a_half_minute(world)
    assert _total(world, "le" + at.replace(second=0).isoformat(timespec="minutes")) == 1
