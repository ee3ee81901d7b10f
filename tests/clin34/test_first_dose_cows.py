"""Lane clin34, 1: a first buprenorphine dose given on a COWS later struck or corrected below the threshold
the dose needed raises one flag for a prescriber (with its reasons and sources), in English and Spanish;
none for a correction that keeps the score at or above the threshold, nor for a second correction."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import translation

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment
from keel.core.rules.buprenorphine.cows_corrected import first_dose_cows_corrected
from keel.patients.flagwords import flag_reasons
from keel.patients.models import FlagKind, PatientFlag
from keel.treatment import services
from keel.treatment.models import DoseRecord
from tests.conftest import World, sign_in
from tests.treatment.test_start_guards import COWS_13, cows, intake
from tests.treatment.test_window_guards import NOON, bup, order

WHY = "The scores were another person's, typed on the wrong chart"
LOW = {**COWS_13, "restlessness": 0, "aches": 0, "nose_eyes": 0}  # 13 - 7 = 6


def _given_on_cows(world: World) -> tuple[Assessment, DoseRecord]:
    """A first buprenorphine dose at noon on a COWS of 13 scored ten minutes before."""
    order(world, "buprenorphine", 4)
    intake(world, heroin=14)
    score = cows(world, NOON - timedelta(minutes=10))
    return score, bup(world).dose


def _correct(world: World, score: Assessment, hours: float = 3, **kw: object) -> None:
    with time_machine.travel(NOON + timedelta(hours=hours), tick=False):
        correct_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, assessment_id=score.pk, reason=WHY, **kw
        )


def _flags() -> list[PatientFlag]:
    return list(PatientFlag.objects.filter(kind=FlagKind.FIRST_DOSE_COWS))


# --- The core rule ---------------------------------------------------------------------------------------


def test_the_core_says_a_struck_score_matters() -> None:
    reason = first_dose_cows_corrected(day="2026-11-25", threshold=8, corrected_total=None)
    assert reason is not None and "entered in error" in reason.text and reason.sources


def test_the_core_says_a_score_below_the_threshold_matters() -> None:
    reason = first_dose_cows_corrected(day="2026-11-25", threshold=8, corrected_total=6)
    assert reason is not None and "corrected to 6, below the threshold of 8" in reason.text


def test_the_core_says_a_score_at_the_threshold_does_not() -> None:
    assert first_dose_cows_corrected(day="2026-11-25", threshold=8, corrected_total=8) is None


# --- The flag ----------------------------------------------------------------------------------------------


def test_a_struck_cows_under_a_first_dose_raises_one_flag(world: World) -> None:
    score, dose = _given_on_cows(world)
    _correct(world, score, entered_in_error=True)
    [flag] = _flags()
    assert (flag.source_type, flag.source_id, flag.resolved_at) == ("dose", dose.pk, None)


def test_the_flag_names_the_score_the_threshold_and_what_to_check(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, answers=LOW)
    [flag] = _flags()
    assert "was corrected to 6, below the threshold of 8" in flag.reasons[0]
    assert "precipitated withdrawal" in flag.reasons[0] and "pcss-cows-form" in flag.sources


def test_the_flag_says_the_day_in_words_not_iso(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, answers=LOW)
    [flag] = _flags()
    with translation.override("en"):
        words = flag_reasons(flag)[0]
    assert "2026-11-25" not in words and "Nov. 25, 2026" in words


def test_the_flag_speaks_spanish(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, entered_in_error=True)
    [flag] = _flags()
    with translation.override("es"):
        words = flag_reasons(flag)[0]
    assert "abstinencia precipitada" in words and "25 de noviembre de 2026" in words


def test_a_correction_that_keeps_it_at_the_threshold_raises_none(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, answers={**COWS_13, "restlessness": 0, "aches": 0})  # 13 - 5 = 8
    assert _flags() == []


def test_corrected_twice_there_is_one_flag(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, answers=LOW)
    _correct(world, score, hours=4, answers={**LOW, "sweating": 0})
    _correct(world, score, hours=5, entered_in_error=True)
    assert len(_flags()) == 1


def test_a_cows_no_dose_rested_on_raises_none(world: World) -> None:
    order(world, "buprenorphine", 4)
    intake(world, heroin=14)
    score = cows(world, NOON - timedelta(minutes=10))
    _correct(world, score, entered_in_error=True)
    assert _flags() == []


def test_an_older_cows_the_gate_did_not_read_raises_none(world: World) -> None:
    order(world, "buprenorphine", 4)
    intake(world, heroin=14)
    older = cows(world, NOON - timedelta(minutes=40))
    cows(world, NOON - timedelta(minutes=10))
    bup(world)
    _correct(world, older, entered_in_error=True)
    assert _flags() == []


def test_a_second_dose_of_the_day_is_not_a_first_dose(world: World) -> None:
    score, _dose = _given_on_cows(world)
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, medication="buprenorphine", amount_mg="4"
        )
    _correct(world, score, entered_in_error=True)
    assert len(_flags()) == 1


def test_only_a_prescriber_resolves_it(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, entered_in_error=True)
    [flag] = _flags()
    url = f"/patients/{world.alice.pk}/flags/{flag.pk}/resolve/"
    with time_machine.travel(NOON + timedelta(hours=4), tick=False):
        sign_in(nurse := Client(), world.staff["nurse"])
        nurse.post(
            url,
            {"note": "Seen her: no signs of precipitated withdrawal, COWS 3 now", "version": flag.version},
        )
        assert PatientFlag.objects.get(pk=flag.pk).resolved_at is None
        sign_in(doctor := Client(), world.staff["prescriber"])
        doctor.post(
            url,
            {"note": "Seen her: no signs of precipitated withdrawal, COWS 3 now", "version": flag.version},
        )
    assert PatientFlag.objects.get(pk=flag.pk).resolved_at is not None


def test_the_record_page_shows_it_to_the_care_team(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, answers=LOW)
    with time_machine.travel(NOON + timedelta(hours=4), tick=False):
        page = sign_in(Client(), world.staff["prescriber"]).get(f"/patients/{world.alice.pk}/")
    text = page.content.decode()
    assert "below the threshold of 8" in text and "Nov. 25, 2026" in text


def test_a_token_note_does_not_resolve_it(world: World) -> None:
    score, _dose = _given_on_cows(world)
    _correct(world, score, entered_in_error=True)
    [flag] = _flags()
    with time_machine.travel(NOON + timedelta(hours=4), tick=False):
        sign_in(doctor := Client(), world.staff["prescriber"])
        doctor.post(
            f"/patients/{world.alice.pk}/flags/{flag.pk}/resolve/", {"note": "ok", "version": flag.version}
        )
    assert PatientFlag.objects.get(pk=flag.pk).resolved_at is None
