"""Lane fix35c (review 35c): the director's measures after a recorded death, for a counseling admission and
for a readmission on the day the last episode ended, through the real rows, the page, the CSV and the API.

Hole 1's walk-arounds: a death recorded through the discharge and undone as a mistake, a death at 23:30 in
the program's zone, a death before the window, an XR-naltrexone injection the day before the death, observed
doses dated after the death day, a transfer (not a death). Hole 2's: a counseling admission still open and
ended, a counseling episode followed by medication care. Hole 3's: a readmission the same day, after a
counseling episode too."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.measures import queries
from keel.patients import services
from keel.patients.models import EndReason, Patient, local_today
from keel.patients.schemas import DischargeIn, UndoDeathIn
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.conftest import World, sign_in
from tests.review35c._setup import day, episode, fill, order, person, report

pytestmark = pytest.mark.django_db


def _died(world: World, patient: Patient, days_ago: int) -> None:
    """Her death recorded through the desk's discharge (the one path that records one)."""
    ended = local_today(patient) - timedelta(days=days_ago)
    services.discharge(
        by=world.staff["program_admin"],
        patient_id=patient.pk,
        data=DischargeIn.posted({"ended_on": ended.isoformat(), "reason": "deceased"}),
    )


def _doses(world: World, patient: Patient, rx: MedicationOrder, medication: str, *offsets: int) -> None:
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=patient,
            order=rx,
            medication=medication,
            local_date=day(world, n),
            sequence=1,
            status="given",
            amount_mg=Decimal(380 if medication == "naltrexone_xr" else 60),
            treatment_day=i + 1,
            decision={"decision": "allowed", "reasons": []},
            recorded_by=world.staff["nurse"],
            recorded_at=timezone.now(),
        )
        for i, n in enumerate(offsets)
    )


def _died_ten_days_into_a_fill(world: World) -> Patient:
    p = person(world, "RV-D1")
    episode(world, p, -60, kind="obot")
    fill(world, p, order(world, p, -60), -60, 30)
    _died(world, p, 50)
    return p


# --- hole 1: no day after a death is a covered day ----------------------------------------------------------


def test_a_death_recorded_at_the_desk_ends_the_fills_days(world: World) -> None:
    _died_ten_days_into_a_fill(world)
    assert report(world).measure("retention_30").numerator == 0


def test_she_is_still_counted_in_the_denominator(world: World) -> None:
    _died_ten_days_into_a_fill(world)
    assert report(world).measure("retention_30").denominator == 1


def test_she_is_not_pending_after_her_death(world: World) -> None:
    p = person(world, "RV-D2")
    episode(world, p, -5, kind="obot")
    fill(world, p, order(world, p, -5), -5, 30)
    _died(world, p, 2)  # inside the allowed gap on the report date: alive, she would be pending
    assert report(world).measure("retention_30").pending == 0


def test_a_death_undone_as_a_mistake_gives_the_days_back(world: World) -> None:
    p = _died_ten_days_into_a_fill(world)
    services.undo_death(
        by=world.staff["program_admin"],
        patient_id=p.pk,
        data=UndoDeathIn.posted({"reason": "Recorded for the wrong person: she came to her visit today"}),
    )
    assert report(world).measure("retention_30").numerator == 1


def test_nqf_3175_reads_no_day_after_the_death(world: World) -> None:
    p = person(world, "RV-D3")
    queries_oud(world, p)
    episode(world, p, -200, kind="otp")
    rx = order(world, p, -200)
    fill(world, p, rx, -200, 90)
    fill(world, p, rx, -110, 90)  # 180 days to day -21
    _died(world, p, 150)
    assert report(world, -365).measure("nqf_3175").numerator == 0


def queries_oud(world: World, p: Patient) -> None:
    from keel.assessments.models import Assessment

    Assessment.objects.create(
        patient=p,
        program_id=p.program_id,
        instrument="dsm5-oud",
        instrument_version="1",
        answers={},
        total=7,
        band="severe",
        result={},
        filled_by=world.staff["prescriber"],
        filled_at=timezone.now() - timedelta(days=300),
    )


def test_a_death_before_the_window_leaves_her_out_of_nqf_3175(world: World) -> None:
    p = person(world, "RV-D4")
    queries_oud(world, p)
    episode(world, p, -120, kind="otp")
    fill(world, p, order(world, p, -120), -120, 90)  # to day -31: inside the last 90 days
    _died(world, p, 100)
    assert report(world).measure("nqf_3175").denominator == 0


def test_an_injection_the_day_before_her_death_covers_two_days(world: World) -> None:
    p = person(world, "RV-D5")
    episode(world, p, -60, kind="otp")
    _doses(world, p, order(world, p, -60, "naltrexone_xr"), "naltrexone_xr", -60, -32)
    _died(world, p, 31)  # covered: -60 .. -31 (30 days), not -32 + 27
    assert report(world).measure("retention_30").numerator == 1


def test_an_injection_the_day_before_her_death_is_not_28_days(world: World) -> None:
    p = person(world, "RV-D6")
    episode(world, p, -60, kind="otp")
    _doses(world, p, order(world, p, -60, "naltrexone_xr"), "naltrexone_xr", -60, -33)
    _died(world, p, 32)  # covered: -60 .. -32 (29 days)
    assert report(world).measure("retention_30").numerator == 0


def test_doses_dated_after_the_death_day_are_not_covered(world: World) -> None:
    p = person(world, "RV-D7")
    episode(world, p, -60, ended=-40, reason=EndReason.DECEASED, kind="otp")
    _doses(world, p, order(world, p, -60, "methadone"), "methadone", *range(-60, -20))
    assert report(world).measure("retention_30").numerator == 0


def test_a_transfer_is_not_a_death(world: World) -> None:
    p = person(world, "RV-T1")
    episode(world, p, -60, ended=-50, reason=EndReason.TRANSFERRED, kind="obot")
    fill(world, p, order(world, p, -60), -60, 30)
    assert report(world).measure("retention_30").numerator == 1


def _died_at_half_past_eleven(world: World, start: int) -> None:
    """A fill from `start` days before the death day; her death recorded at 23:30 in the program's zone (the
    next day in UTC), three days ago."""
    zone = ZoneInfo(world.riverside.time_zone)
    died_on = day(world, -3)
    p = person(world, f"RV-Z{start}")
    episode(world, p, -3 - start, kind="obot")
    fill(world, p, order(world, p, -3 - start), -3 - start, 60)
    with time_machine.travel(datetime.combine(died_on, time(23, 30), tzinfo=zone), tick=False):
        services.discharge(
            by=world.staff["program_admin"],
            patient_id=p.pk,
            data=DischargeIn.posted({"reason": "deceased"}),  # today, in the program's zone
        )


def test_the_day_she_died_at_half_past_eleven_is_covered(world: World) -> None:
    _died_at_half_past_eleven(world, 29)  # 30 days with the day she died
    assert report(world).measure("retention_30").numerator == 1


def test_the_next_day_in_utc_is_not_covered(world: World) -> None:
    _died_at_half_past_eleven(world, 28)  # 29 days with the day she died; 30 with the next
    assert report(world).measure("retention_30").numerator == 0


# --- the page, the CSV and the API agree --------------------------------------------------------------------


def _views(world: World) -> tuple[str, dict[str, Any], dict[str, Any]]:
    client = sign_in(Client(), world.staff["program_admin"])
    window = f"start={day(world, -90).isoformat()}&end={day(world, 0).isoformat()}"
    page = client.get(f"/program/measures/?{window}").content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/program/measures/retention_30.csv?{window}&counts=raw").content.decode()
            )
        )
    )
    body = client.get(f"/api/v1/programs/riverside/measures?{window}&counts=raw").json()
    api = next(m for m in body["measures"] if m["code"] == "retention_30")
    month = next(r for r in rows[1:] if r and r[0] == day(world, -60).strftime("%Y-%m"))
    return page, {"numerator": int(month[1]), "denominator": int(month[2])}, api


def test_the_csv_counts_her_as_not_retained(world: World) -> None:
    _died_ten_days_into_a_fill(world)
    assert _views(world)[1] == {"numerator": 0, "denominator": 1}


def test_the_api_counts_her_as_not_retained(world: World) -> None:
    _died_ten_days_into_a_fill(world)
    api = _views(world)[2]
    assert (api["numerator"], api["denominator"]) == (0, 1)


def test_the_page_says_a_death_is_counted(world: World) -> None:
    _died_ten_days_into_a_fill(world)
    assert "no day after the day she died is a day on medication" in _views(world)[0]


def test_the_api_definition_says_a_death_is_counted(world: World) -> None:
    assert "A person who died is still counted" in _views(world)[2]["definition"]


def test_the_spanish_page_says_a_death_is_counted(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    client.cookies["django_language"] = "es"
    assert "Una persona que falleció sigue contando" in client.get("/program/measures/").content.decode()


# --- hole 2: a counseling admission is no intake to medication ----------------------------------------------


def test_an_ended_counseling_episode_is_not_never_started(world: World) -> None:
    p = person(world, "RV-C1")
    episode(world, p, -30, ended=-10, reason=EndReason.COMPLETED, kind="counseling")
    assert report(world).measure("intake_to_first_dose").excluded == {}


def test_medication_care_after_counseling_is_an_intake(world: World) -> None:
    p = person(world, "RV-C2")
    episode(world, p, -40, ended=-20, reason=EndReason.OTHER, kind="counseling")
    episode(world, p, -20, kind="otp")
    fill(world, p, order(world, p, -20), -17, 10)
    assert report(world).measure("intake_to_first_dose").value == 3.0


def test_a_person_in_counseling_care_is_in_the_naloxone_denominator(world: World) -> None:
    before = report(world).measure("naloxone_coverage").denominator
    episode(world, person(world, "RV-C3"), -20, kind="counseling")
    assert report(world).measure("naloxone_coverage").denominator == before + 1


def test_an_episode_from_before_episode_kinds_is_an_intake(world: World) -> None:
    episode(world, person(world, "RV-C4"), -20, kind="")
    assert report(world).measure("intake_to_first_dose").pending == 1


# --- hole 3: a readmission is read against the care period it opened ----------------------------------------


def test_a_same_day_readmission_that_never_started_is_never_started(world: World) -> None:
    p = person(world, "RV-R1")
    episode(world, p, -40, ended=-20, reason=EndReason.OTHER, kind="otp")
    episode(world, p, -20, ended=-5, reason=EndReason.LEFT, kind="obot")
    fill(world, p, order(world, p, -40), -38, 18)  # -38 .. -21: the first episode's
    counted = report(world).measure("intake_to_first_dose")
    assert counted.excluded == {queries.NEVER_STARTED: 1}


def test_a_same_day_readmission_still_waiting_is_pending(world: World) -> None:
    p = person(world, "RV-R2")
    episode(world, p, -40, ended=-20, reason=EndReason.OTHER, kind="otp")
    episode(world, p, -20, kind="obot")
    fill(world, p, order(world, p, -40), -38, 18)
    assert report(world).measure("intake_to_first_dose").pending == 1


def test_a_death_before_a_first_dose_is_never_started(world: World) -> None:
    p = person(world, "RV-R3")
    episode(world, p, -20, kind="otp")
    _died(world, p, 10)
    assert report(world).measure("intake_to_first_dose").excluded == {queries.NEVER_STARTED: 1}
