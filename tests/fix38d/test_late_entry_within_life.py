"""Lane fix38d item 4 (review 38d hole 1): a time of scoring outside the person's life (after the recorded
death day, before the birth date) is refused on every route (`core.lifetime.outside_life`, the one definition
the FHIR import's `authored_within_life` uses too): 422 naming `filled_at`, nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from keel.assessments.models import Assessment
from keel.core.lifetime import outside_life
from keel.patients.models import Enrollment, local_today
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38d.test_hole_4 import COWS_OF_ROBERTO


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}


def _died_days_ago(world, days: int):
    died = local_today(world.alice) - timedelta(days=days)
    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on=died, end_reason="deceased"
    )
    return died


def _api(world, signed_in, filled_at: str):
    url = f"/api/v1/patients/{world.alice.pk}/assessments"
    body = {"instrument": "phq9", "answers": PHQ9, "filled_at": filled_at}
    return signed_in("counselor").post(url, body, content_type="application/json")


def test_the_core_says_the_death_day_itself_is_within_life():
    died = datetime(2026, 11, 20).date()
    assert outside_life(died, born=None, died=died) is None


def test_the_core_says_the_day_after_death_is_outside_life():
    died = datetime(2026, 11, 20).date()
    assert outside_life(died + timedelta(days=1), born=None, died=died) is not None


def test_the_core_says_a_day_before_birth_is_outside_life():
    born = datetime(1990, 5, 17).date()
    assert outside_life(born - timedelta(days=1), born=born, died=None) is not None


def test_the_api_refuses_a_time_after_the_death_with_422(world, signed_in):
    died = _died_days_ago(world, 5)
    response = _api(world, signed_in, f"{died + timedelta(days=2)}T12:00:00+00:00")
    assert response.status_code == 422


def test_the_api_names_filled_at(world, signed_in):
    died = _died_days_ago(world, 5)
    response = _api(world, signed_in, f"{died + timedelta(days=2)}T12:00:00+00:00")
    assert "filled_at" in str(response.json())


def test_the_api_writes_nothing_after_the_death(world, signed_in):
    died = _died_days_ago(world, 5)
    _api(world, signed_in, f"{died + timedelta(days=2)}T12:00:00+00:00")
    assert not Assessment.objects.filter(patient=world.alice).exists()


def test_the_api_refuses_a_time_before_birth(world, signed_in):
    response = _api(world, signed_in, "1985-03-01T15:00:00+00:00")
    assert response.status_code == 422


def test_the_api_takes_the_death_day_itself(world, signed_in):
    died = _died_days_ago(world, 5)
    response = _api(world, signed_in, f"{died}T15:00:00+00:00")
    assert response.status_code == 201


def test_the_bedside_page_refuses_a_time_before_birth_with_422(world, signed_in):
    form = {**{k: str(v) for k, v in COWS_OF_ROBERTO.items()}, "filled_at": "1985-03-01T10:00"}
    page = signed_in("nurse").post(f"/patients/{world.alice.pk}/cows/", form)
    assert (page.status_code, Assessment.objects.filter(patient=world.alice).exists()) == (422, False)


def test_a_result_filed_now_on_a_recorded_death_is_refused(world, signed_in):
    _died_days_ago(world, 5)
    url = f"/api/v1/patients/{world.alice.pk}/assessments"
    response = signed_in("counselor").post(
        url, {"instrument": "phq9", "answers": PHQ9}, content_type="application/json"
    )
    assert response.status_code == 422
