"""Lane fix36d (fix35a's item 3, not done there): a first buprenorphine dose given when the start gate passed
on readiness ("ready") records what it rested on, on the dose (its stored decision, `start_rested_on`): the
COWS the verdict read (its id and score) and the program's COWS threshold in force then. The first-dose COWS
flag reads that record instead of re-deriving it with today's policy: a threshold raised after the dose is
not the one the dose was given under."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment
from keel.patients.models import FlagKind, PatientFlag
from keel.treatment.models import DoseRecord
from tests.conftest import World, sign_in
from tests.review34c._setup import COWS_14, a_day, at, cows, dose, intake, order, override

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"
WHY = "The scores were another person's, typed on the wrong chart"
TEN = {**COWS_14, "restlessness": 0, "pupils": 1}  # 14 - 3 - 1 = 10
FIVE = {**COWS_14, "restlessness": 0, "aches": 0, "nose_eyes": 0, "pupils": 0}  # 14 - 9 = 5


def _ready_dose(world: World) -> tuple[DoseRecord, Assessment, datetime]:
    """Buprenorphine 8 mg written; heroin 14 h before 12:00 today; COWS 14 at 11:50 (the program's threshold:
    the default 8): 4 mg given at 12:00 on "ready"."""
    t = at(a_day(world, 0), 12)
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14))
    score = cows(world, t - timedelta(minutes=10))
    return dose(world, "4", t, medication=BUP).dose, score, t


def _rested_on(given: DoseRecord) -> dict[str, object] | None:
    stored = DoseRecord.objects.get(pk=given.pk).decision
    return stored.get("start_rested_on") if isinstance(stored, dict) else None


def _raise_threshold(world: World, when: datetime, value: int = 12) -> None:
    with time_machine.travel(when, tick=False):
        response = sign_in(Client(), world.staff["program_admin"]).put(
            "/api/v1/programs/riverside/policy/buprenorphine-readiness/cows_threshold",
            json.dumps({"value": value, "reason": "fentanyl in our supply"}),
            content_type="application/json",
        )
    assert response.status_code == 200


def _correct(world: World, score: Assessment, when: datetime, answers: dict[str, int]) -> None:
    with time_machine.travel(when, tick=False):
        correct_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            assessment_id=score.pk,
            reason=WHY,
            answers=answers,
        )


def _flags(given: DoseRecord) -> list[PatientFlag]:
    return list(PatientFlag.objects.filter(kind=FlagKind.FIRST_DOSE_COWS, source_id=given.pk))


# --- what the dose records ---


def test_a_first_dose_on_ready_records_the_cows_it_rested_on(world: World) -> None:
    given, score, _ = _ready_dose(world)
    assert (_rested_on(given) or {}).get("cows") == score.pk


def test_a_first_dose_on_ready_records_the_cows_score(world: World) -> None:
    given, _, _ = _ready_dose(world)
    assert (_rested_on(given) or {}).get("cows_total") == 14


def test_a_first_dose_on_ready_records_the_threshold_in_force(world: World) -> None:
    given, _, _ = _ready_dose(world)
    assert (_rested_on(given) or {}).get("threshold") == 8


def test_a_first_dose_on_a_raised_threshold_records_that_threshold(world: World) -> None:
    t = at(a_day(world, 0), 12)
    _raise_threshold(world, t - timedelta(hours=4))
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14))
    cows(world, t - timedelta(minutes=10))
    given = dose(world, "4", t, medication=BUP).dose
    assert (_rested_on(given) or {}).get("threshold") == 12


def test_a_later_dose_of_the_day_records_nothing(world: World) -> None:
    given, _, t = _ready_dose(world)
    later = dose(world, "4", t + timedelta(hours=2), medication=BUP).dose
    assert (_rested_on(given) is not None, _rested_on(later)) == (True, None)


def test_a_first_dose_on_a_start_override_records_nothing(world: World) -> None:
    t = at(a_day(world, 0), 9)
    order(world, BUP, "8", t - timedelta(hours=3))
    intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14), methadone=t - timedelta(hours=30))
    cows(world, t - timedelta(minutes=10))
    override(world, t - timedelta(minutes=5), medication=BUP, kind="start", mg="2")
    given = dose(world, "2", t, medication=BUP).dose
    assert _rested_on(given) is None


def test_a_methadone_dose_records_nothing(world: World) -> None:
    t = at(a_day(world, 0), 9)
    order(world, "methadone", "30", t - timedelta(hours=3))
    given = dose(world, "30", t).dose
    assert _rested_on(given) is None


# --- the first-dose COWS flag reads the record ---


def test_a_threshold_raised_after_the_dose_does_not_flag_a_score_still_above_the_one_in_force(
    world: World,
) -> None:
    given, score, t = _ready_dose(world)
    _raise_threshold(world, t + timedelta(minutes=30))
    _correct(world, score, t + timedelta(hours=1), TEN)  # 10: at or above 8, the threshold then
    assert _flags(given) == []


def test_the_flag_names_the_threshold_the_dose_was_given_under(world: World) -> None:
    given, score, t = _ready_dose(world)
    _raise_threshold(world, t + timedelta(minutes=30))
    _correct(world, score, t + timedelta(hours=1), FIVE)
    said = _flags(given)[0].said[0]["params"]
    assert str(said["threshold"]) == "8"


def test_a_score_corrected_below_the_threshold_is_still_flagged(world: World) -> None:
    given, score, t = _ready_dose(world)
    _correct(world, score, t + timedelta(hours=1), FIVE)
    assert len(_flags(given)) == 1


def test_a_correction_of_another_cows_than_the_one_recorded_is_not_flagged(world: World) -> None:
    given, _, t = _ready_dose(world)
    other = cows(world, t - timedelta(minutes=40))  # an earlier COWS the gate did not read
    _correct(world, other, t + timedelta(hours=1), FIVE)
    assert _flags(given) == []


# --- the record page says it ---


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "COWS 14, at or above the program&#x27;s threshold then (8)"),
        ("es", "COWS 14, igual o por encima"),
    ],
)
def test_the_record_page_says_what_the_first_dose_rested_on(world: World, language: str, words: str) -> None:
    _, _, t = _ready_dose(world)
    with time_machine.travel(t + timedelta(hours=1), tick=False):
        page = sign_in(Client(), world.staff["prescriber"]).get(
            f"/patients/{world.alice.pk}/medication/", HTTP_ACCEPT_LANGUAGE=language
        )
    assert words in page.content.decode()
