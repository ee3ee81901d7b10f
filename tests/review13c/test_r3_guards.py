"""Review 13c, round 3: the medication-safety guards of issue #13 against an ordinary clinic morning. Each
test is one attack that currently gets through (it fails until the guard holds)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from keel.treatment import services
from keel.treatment.models import DoseRecord
from tests.review13c.common import at, cows, dose, intake, order, override, report

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)  # a Monday; no daylight-saving change for two weeks either side


def test_low_dose_schedule_never_begun_does_not_skip_the_start_gate(world: Any) -> None:
    """Monday the prescriber orders a low-dose (micro-dosing) buprenorphine start: 0.5 mg on day 1 rising to
    8 mg on day 7. The person does not come back until Sunday, still using fentanyl (reported this
    morning). The window lists "day 7: 8 mg" and the nurse gives 8 mg as the person's FIRST buprenorphine
    ever: no readiness verdict, no override, precipitated withdrawal. Harm: the schedule's day is counted
    from the order's start date, not from the first step taken, so the start gate is skipped. Expected: a
    first buprenorphine dose of 8 mg without a taken day 1 is blocked (gate, or the schedule's step 1)."""
    steps = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]
    order(world, "buprenorphine", "8", at(D, 8), schedule=steps)
    day7 = D + timedelta(days=6)
    report(world, at(day7, 8), fentanyl=at(day7, 6))
    with pytest.raises(services.DoseBlocked):
        dose(world, "8", at(day7, 9), medication="buprenorphine", sequence=1)
    assert not DoseRecord.objects.filter(medication="buprenorphine").exists()


def test_a_use_reported_before_the_intake_is_typed_still_counts(world: Any) -> None:
    """08:00 the nurse records at the start page that the person used heroin at 07:30. At 08:30 the
    counselor types in the paper intake from the interview, which says heroin was last used last night at
    19:00. COWS 13 at 08:40. The start page now says READY (heroin 13 h ago) and the first 4 mg is given
    70 minutes after heroin. Harm: a report made before the latest intake is dropped, although the module
    promises "the latest time of each winning". Expected: readiness is not "ready" and the dose is blocked."""
    order(world, "buprenorphine", "4", at(D, 7))
    report(world, at(D, 8), heroin=at(D, 7, 30))
    intake(world, at(D, 8, 30), heroin=at(D - timedelta(days=1), 19))
    cows(world, at(D, 8, 40))
    read = services.buprenorphine_readiness(world.alice, at(D, 8, 50))
    assert not read.ready, read.readiness and read.readiness.as_dict()["reasons"]
    with pytest.raises(services.DoseBlocked):
        dose(world, "4", at(D, 8, 50), medication="buprenorphine", sequence=1)


def test_buprenorphine_after_this_mornings_methadone_is_gated(world: Any) -> None:
    """The person took buprenorphine here for three days, then the prescriber switched them to methadone
    (a new methadone order; the buprenorphine order was left active, so both rows show on the window). On
    the switch day the nurse gives methadone 30 mg at 09:00; at 11:00 another nurse works down the list and
    gives the buprenorphine row its usual 8 mg. Harm: buprenorphine two hours after a full agonist
    (precipitated withdrawal); the readiness gate that counts methadone only guards a first dose or a
    restart. Expected: a buprenorphine dose on a day methadone was given here is blocked without a
    prescriber's decision."""
    order(world, "buprenorphine", "8", at(D, 7))
    override(world, at(D, 8), medication="buprenorphine", kind="start", mg="8")
    for i in range(3):
        dose(world, "8", at(D + timedelta(days=i), 9), medication="buprenorphine", sequence=1)
    switch = D + timedelta(days=3)
    order(world, "methadone", "30", at(switch, 8))
    dose(world, "30", at(switch, 9), sequence=1)
    with pytest.raises(services.DoseBlocked):
        dose(world, "8", at(switch, 11), medication="buprenorphine", sequence=1)


def test_xr_naltrexone_knows_buprenorphine_filled_at_the_pharmacy(world: Any) -> None:
    """An office-based buprenorphine patient: the clinic's order was filled at the pharmacy three days ago
    for 28 days (the nurse recorded the fill). The person asks to switch to XR-naltrexone; the intake from
    admission lists heroin, last used 40 days ago. The nurse gives the injection. Harm: the fill (Keel's
    own record of buprenorphine in hand and being taken) is not a last use, so the verdict is "eligible"
    and naltrexone is injected on top of buprenorphine (precipitated withdrawal for days). Expected: the
    injection is refused or at least treated as a switch from buprenorphine (switching guidance)."""
    today = D + timedelta(days=40)
    intake(world, at(D, 9), heroin=at(D, 6))
    bup = order(world, "buprenorphine", "16", at(today - timedelta(days=3), 8))
    with time_machine.travel(at(today - timedelta(days=3), 10), tick=False):
        services.record_fill(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            order_id=bup.pk,
            filled_on=(today - timedelta(days=3)).isoformat(),
            days_supply=28,
            source="pharmacy",
            now=at(today - timedelta(days=3), 10),
        )
    order(world, "naltrexone_xr", "380", at(today, 8))
    try:
        with time_machine.travel(at(today, 9), tick=False):
            outcome = services.record_injection(
                by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal", now=at(today, 9)
            )
    except services.DoseBlocked:
        return  # refused: the guard held
    assert "buprenorphine" in outcome.decision.details["switching_from"], outcome.decision.as_dict()


def test_an_ambiguous_last_use_on_the_fall_back_night_is_read_the_safe_way(world: Any) -> None:
    """Sunday 1 November 2026, the night the clocks go back in New York. The person says they last used
    heroin "at half past one"; the nurse types 2026-11-01T01:30 on the start page. That time happened twice
    (01:30 EDT, then 01:30 EST an hour later). Harm: the page reads it as the EARLIER one, so at 13:00 the
    12 h heroin wait shows as met (12.5 h) when it may be 11.5 h: an hour early to a standard start.
    Expected: the page asks which 01:30 it was, or stores the later (safe) instant, 06:30 UTC."""
    from datetime import UTC, datetime

    from django.test import Client

    from keel.treatment.models import LastUseReport
    from tests.conftest import sign_in

    when = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 07:00 EST
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(f"/patients/{world.alice.pk}/start/last-use/", {"last_heroin": "2026-11-01T01:30"})
    saved = LastUseReport.objects.filter(patient=world.alice).first()
    if saved is None:
        return  # refused as ambiguous: the guard held
    instant = datetime.fromisoformat(saved.opioids[0]["last_use_at"]).astimezone(UTC)
    assert instant == datetime(2026, 11, 1, 6, 30, tzinfo=UTC), instant


def test_xr_naltrexone_is_not_injected_again_a_week_after_the_last(world: Any) -> None:
    """The person had their first XR-naltrexone (380 mg) on Monday. The next Monday they come to the window
    for "their shot" (they mixed up a counselling visit with the injection); the nurse picks the other
    side as Keel asks, and the injection is given. Harm: a second 380 mg a week after the first (the label
    interval is 4 weeks; overlapping depots, injection-site and liver risk). Keel computes the next due
    date but anything within 35 days is waved through as "continuing the course". Expected: an injection
    well before the next due date is refused (or needs a prescriber's override)."""
    intake(world, at(D, 8), heroin=at(D - timedelta(days=20), 8))
    order(world, "naltrexone_xr", "380", at(D, 8))
    with time_machine.travel(at(D, 9), tick=False):
        services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal", now=at(D, 9)
        )
    week = D + timedelta(days=7)
    with (
        time_machine.travel(at(week, 9), tick=False),
        pytest.raises((services.DoseBlocked, services.TreatmentInvalid)),
    ):
        services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site="right_gluteal", now=at(week, 9)
        )


def test_a_second_tap_on_give_injection_says_already_given(world: Any) -> None:
    """The nurse taps "give injection" (left side); the page is slow, she is told to alternate sides, picks
    the right side and taps again. Harm: the second injection of the same day is either a second 380 mg or
    a server error (500) the nurse cannot read; the dosing window promises "already given today".
    Expected: the API answers 409 or 422 and no second injection is recorded."""
    import json

    from django.test import Client

    from tests.conftest import sign_in

    intake(world, at(D, 8), heroin=at(D - timedelta(days=20), 8))
    order(world, "naltrexone_xr", "380", at(D, 8))
    with time_machine.travel(at(D, 9), tick=False):
        services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal", now=at(D, 9)
        )
    with time_machine.travel(at(D, 9, 5), tick=False):
        client = sign_in(Client(raise_request_exception=False), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/injections",
            json.dumps({"site": "right_gluteal"}),
            "application/json",
        )
    assert response.status_code in (409, 422), response.status_code
    assert DoseRecord.objects.filter(medication="naltrexone_xr").count() == 1


def test_buprenorphine_second_dosing_day_after_two_missed_days_keeps_the_day_two_limit(world: Any) -> None:
    """Monday: the first buprenorphine dose, 8 mg (start override). The person misses Tuesday and Wednesday
    and comes back Thursday still in withdrawal; the nurse gives 24 mg. Harm: the day-1 and day-2 limits
    follow the calendar, so the person's SECOND dosing day is "maintenance" (ceiling 32 mg) and the 16 mg
    day-2 limit is skipped; a return after 5 days would have been a restart. Expected: on the second dosing
    day of an induction the day-2 limit applies (24 mg needs a prescriber's override)."""
    order(world, "buprenorphine", "8", at(D, 7))
    override(world, at(D, 8), medication="buprenorphine", kind="start", mg="8")
    dose(world, "8", at(D, 9), medication="buprenorphine", sequence=1)
    thursday = D + timedelta(days=3)
    with pytest.raises(services.DoseBlocked):
        dose(world, "24", at(thursday, 9), medication="buprenorphine", sequence=1)


def test_a_take_home_bottle_for_today_does_not_walk_around_todays_hold(world: Any) -> None:
    """09:00 the person is drowsy and smells of alcohol: the methadone dose is held and a prescriber is
    asked to assess. 09:30 the prescriber, renewing the week's take-homes from the list, ticks the open
    flags (the hold among them) and gives bottles starting today. Harm: the person leaves with today's
    methadone while the hold stands (no assessment recorded): exactly the dose the hold stopped at the
    window, taken at home, intoxicated. Expected: no bottle for a day whose hold is not released."""
    from keel.patients.models import PatientFlag

    first = D - timedelta(days=40)
    order(world, "methadone", "30", at(first, 7))
    for i in range(40):
        dose(world, "30", at(first + timedelta(days=i), 9), sequence=1)
    dose(world, "", at(D, 9), sedated=True, sequence=1)
    flags = [str(f.pk) for f in PatientFlag.objects.filter(patient=world.alice, resolved_at__isnull=True)]
    with time_machine.travel(at(D, 9, 30), tick=False), pytest.raises(services.TreatmentInvalid):
        services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria={k: True for k in services.CRITERIA_KEYS},
            start_on=D.isoformat(),
            acknowledged_flags=flags,
            now=at(D, 9, 30),
        )


def test_a_corrected_day_one_amount_does_not_raise_tomorrows_ceiling(world: Any) -> None:
    """Day 1 of methadone: 30 mg given at 09:00. At noon a nurse "corrects" the record to 60 mg (she read
    the order of the person next in line). Keel checks a correction only against the 150/200 mg entry-error
    ceilings, not the 40 mg day-one total the window enforces. Day 2: the nurse gives 70 mg and Keel allows
    it (a 10 mg step over the corrected 60). Harm: 70 mg on day 2 of an induction whose real day 1 was 30
    mg. Expected: the correction meets the window's day-one limit (refused without a prescriber's override
    for that day), so day 2 compares with 30 mg and 70 is blocked."""
    order(world, "methadone", "30", at(D, 7))
    given = dose(world, "30", at(D, 9), sequence=1).dose
    try:
        with time_machine.travel(at(D, 12), tick=False):
            services.amend_dose(
                by=world.staff["nurse"],
                patient_id=world.alice.pk,
                dose_id=given.pk,
                corrected_mg="60",
                reason="corrected from the dispensing log",
                now=at(D, 12),
            )
    except services.TreatmentInvalid:
        return  # refused like a 60 mg day-one total at the window: the guard held
    with pytest.raises(services.DoseBlocked):
        dose(world, "70", at(D + timedelta(days=1), 9), sequence=1)
