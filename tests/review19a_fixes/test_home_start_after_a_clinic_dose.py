"""Lane fix19e (review 19a): the person's home start (page and API) after the clinic gave buprenorphine or
methadone today says so, in English and Spanish, and never "take your first dose now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import sign_in
from tests.factories import ready_at_home

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York), a Thursday


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _methadone_given_this_morning(world: Any) -> Any:
    from keel.treatment.services import prescribe, record_dose

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="20", now=NOW)
    return record_dose(
        by=nurse, patient_id=world.alice.pk, amount_mg="20", now=NOW - timedelta(minutes=30)
    ).dose


def test_without_a_clinic_dose_today_the_home_start_says_start(world: Any) -> None:
    from keel.treatment.readiness import home_start

    ready_at_home(world, NOW)
    answer = home_start(world.alice.user, NOW)
    assert answer.decision is not None and answer.decision.decision == "start"


def test_methadone_given_at_the_clinic_today_stops_the_home_start(world: Any) -> None:
    from keel.treatment.readiness import home_start

    ready_at_home(world, NOW)
    _methadone_given_this_morning(world)
    answer = home_start(world.alice.user, NOW)
    assert answer.decision is not None and answer.decision.decision == "dosed_today"


def test_a_voided_clinic_dose_does_not_stop_the_home_start(world: Any) -> None:
    from keel.treatment.readiness import home_start
    from keel.treatment.services import amend_dose

    ready_at_home(world, NOW)
    dose = _methadone_given_this_morning(world)
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        void=True,
        reason="Recorded for the wrong person at the window, not given",
        now=NOW - timedelta(minutes=20),
    )
    answer = home_start(world.alice.user, NOW)
    assert answer.decision is not None and answer.decision.decision != "dosed_today"


def test_the_api_answers_dosed_today(world: Any) -> None:
    ready_at_home(world, NOW)
    _methadone_given_this_morning(world)
    response = sign_in(Client(), world.alice.user).get("/api/v1/me/home-start")
    assert response.json()["decision"]["decision"] == "dosed_today"


def test_the_page_says_the_clinic_gave_a_dose_today(world: Any) -> None:
    ready_at_home(world, NOW)
    _methadone_given_this_morning(world)
    text = sign_in(Client(), world.alice.user).get("/me/home-start/").content.decode()
    assert "Your clinic already gave you a dose today" in text


def test_the_page_does_not_say_take_the_first_dose_now(world: Any) -> None:
    ready_at_home(world, NOW)
    _methadone_given_this_morning(world)
    text = sign_in(Client(), world.alice.user).get("/me/home-start/").content.decode()
    assert "You can take your first dose now." not in text


def test_the_page_says_it_in_spanish(world: Any) -> None:
    ready_at_home(world, NOW)
    _methadone_given_this_morning(world)
    text = (
        sign_in(Client(), world.alice.user).get("/me/home-start/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    )
    assert "Su clínica ya le dio una dosis hoy" in text
