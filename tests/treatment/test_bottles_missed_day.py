"""Session 24 (lane bot24): the missed day before a take-home run. A methadone run's bottles leave the clinic
at the observed dose the day before the run (or at the decision, for a run starting that day). When the
person simply does not come that day (no dose at all, nothing written), no bottle left: the run's days are
clinic days, and the plan covers no day from that run on until a prescriber decides take-home doses again
(`keel.core.take_home_bottles.not_handed_out_from`, derived on read). Every reader says so: the window (the
service, the dosing page, the API), the medication page, the API's record and FHIR. Her dose that day is
judged by the ordinary verdict (the missed day counts).

Scenario: 60 mg given at the window every day until the day before yesterday; that day, after her dose,
a prescriber decided take-home bottles from today (their hand-out day: yesterday). Yesterday she did not
come. The clock: the last 17:00 UTC before now (noon in New York, the program's zone)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.interop.fhir.treatment import NOT_HANDED_OUT as FHIR_NOT_HANDED_OUT
from keel.patients.models import Enrollment, local_today, zone_of
from keel.treatment import queries, services, words
from keel.treatment.end_words import day_words
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.queries.take_home_plans import MISSED_HAND_OUT
from keel.treatment.services.doses.bottles import VOIDED_HANDED_OVER
from tests.conftest import World, sign_in
from tests.factories import corrected, pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db
CRITERIA = {key: True for key in services.CRITERIA_KEYS}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def today(world: World) -> date:
    return local_today(world.alice, timezone.now())


def day(world: World, offset: int) -> date:
    return today(world) + timedelta(days=offset)


def on_sixty(world: World, last: int = -2) -> MedicationOrder:
    """60 mg in force, given at the window (history rows) every day from 30 days back to `last` (relative
    to today), at noon in New York."""
    Enrollment.objects.filter(patient=world.alice).update(started_on=day(world, -31))
    order = services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="60",
        order_version=0,
        now=timezone.now() - timedelta(days=31),
    )
    for back in range(30, -last - 1, -1):
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=day(world, -back),
            sequence=1,
            status="given",
            amount_mg=Decimal(60),
            treatment_day=31 - back,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=timezone.now() - timedelta(days=back),
        )
    return order


def decide(world: World, on: int, bottles: list[int]) -> TakeHomePlan:
    """A prescriber's take-home decision on day `on` (an hour after noon, after that day's dose), bottles
    for each of `bottles` (days relative to today)."""
    days = [day(world, n).isoformat() for n in bottles]
    with time_machine.travel(timezone.now() + timedelta(days=on, hours=1), tick=False):
        concerns = [c.id for c in queries.take_home_concerns(world.alice, local_today(world.alice))]
        return services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=CRITERIA,
            bottle_days=days,
            acknowledged_flags=concerns,
        )


def missed_yesterday(world: World, bottles: tuple[int, ...] = (0, 1)) -> TakeHomePlan:
    """The scenario: given until the day before yesterday, the plan decided then (bottles from today),
    nothing yesterday."""
    on_sixty(world)
    plan = decide(world, -2, list(bottles))
    assert plan.bottle_mg == {}, "setup: the run goes home at yesterday's dose, not at the decision"
    return plan


def give(world: World, at: datetime | None = None, **kw: Any) -> services.DoseOutcome:
    kw.setdefault("amount_mg", "60")
    return services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, now=at, **kw)


def refused_fields(world: World, at: datetime | None = None, **kw: Any) -> set[str]:
    with pytest.raises(TreatmentInvalid) as caught:
        give(world, at, **kw)
    return {e.field for e in caught.value.errors}


def doses_on(world: World, offset: int = 0) -> int:
    return DoseRecord.objects.filter(patient=world.alice, local_date=day(world, offset)).count()


def context(world: World, offset: int = 0) -> queries.DoseContext:
    return queries.dose_context(world.alice, "methadone", day(world, offset))


def dispenses(world: World) -> dict[str, dict[str, Any]]:
    found = Record(world.alice, frozenset(Area), Base("http://testserver/fhir/R4/"), timezone.now()).of_type(
        "MedicationDispense"
    )
    return {d["dosageInstruction"][0]["timing"]["event"][0]: d for d in found}


# The window: the service


@pytest.mark.parametrize("run", [(0,), (0, 1), (0, 1, 2)])
def test_the_window_gives_her_observed_dose_on_the_runs_first_day(world: World, run: tuple[int, ...]) -> None:
    missed_yesterday(world, run)
    assert give(world).dose.status == "given"


def test_the_runs_first_day_is_no_take_home_day(world: World) -> None:
    missed_yesterday(world)
    assert today(world) not in context(world).take_home_days


def test_the_missed_day_counts_as_missed(world: World) -> None:
    missed_yesterday(world)
    assert context(world).missed_days_in_a_row == 1


def test_the_runs_second_day_is_a_clinic_day_too(world: World) -> None:
    missed_yesterday(world)
    assert day(world, 1) not in context(world, 1).take_home_days


def test_her_dose_hands_out_nothing_of_the_plan(world: World) -> None:
    plan = missed_yesterday(world, (0, 1))
    give(world)
    plan.refresh_from_db()
    assert plan.bottle_mg == {}


def test_nothing_is_written_on_the_plan(world: World) -> None:
    plan = missed_yesterday(world)
    give(world)
    plan.refresh_from_db()
    assert (plan.ended_on, plan.end_reason) == (None, "")


# The window: the page and the API


def test_the_dosing_page_records_her_dose(world: World) -> None:
    missed_yesterday(world)
    client = sign_in(Client(), world.staff["nurse"])
    client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "60", "medication": "methadone"})
    assert doses_on(world) == 1


def test_the_api_records_her_dose(world: World) -> None:
    missed_yesterday(world)
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "60", "sequence": 1}),
        content_type="application/json",
    )
    assert response.status_code == 201


def test_a_double_post_records_one_dose(world: World) -> None:
    missed_yesterday(world)
    client = sign_in(Client(), world.staff["nurse"])
    codes = [
        client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "60", "sequence": 1}),
            content_type="application/json",
        ).status_code
        for _ in range(2)
    ]
    assert (codes[0], doses_on(world)) == (201, 1)


# The medication page and the API's record


def test_the_medication_page_says_the_run_was_not_handed_out(world: World) -> None:
    missed_yesterday(world)
    client = sign_in(Client(), world.staff["prescriber"])
    page = client.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    said = day_words(day(world, -1), today(world))  # lane words25: a day as a person reads it, never ISO
    assert f"no observed dose was taken on {said}" in page


def test_the_medication_page_says_it_in_spanish(world: World) -> None:
    missed_yesterday(world)
    client = sign_in(Client(), world.staff["prescriber"])
    client.cookies["django_language"] = "es"
    page = client.get(reverse("treatment:medication", args=[world.alice.pk]), HTTP_ACCEPT_LANGUAGE="es")
    assert "No entregados: no se tomó ninguna dosis observada" in page.content.decode()


def test_the_medication_page_offers_no_end_of_a_plan_that_covers_nothing(world: World) -> None:
    plan = missed_yesterday(world)
    client = sign_in(Client(), world.staff["prescriber"])
    page = client.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    assert reverse("treatment:end_take_home", args=[world.alice.pk, plan.pk]) not in page


def _api_plan(world: World) -> dict[str, Any]:
    client = sign_in(Client(), world.staff["prescriber"])
    plans: list[dict[str, Any]] = client.get(f"/api/v1/patients/{world.alice.pk}/medication").json()[
        "take_homes"
    ]
    return plans[0]


def test_the_api_says_the_plan_covers_nothing_from_the_run(world: World) -> None:
    missed_yesterday(world)
    assert _api_plan(world)["ended_on"] == day(world, -1).isoformat()


def test_the_api_says_why(world: World) -> None:
    missed_yesterday(world)
    expected = MISSED_HAND_OUT.format(day=today(world).isoformat(), hand_out_day=day(world, -1).isoformat())
    assert _api_plan(world)["end_reason"] == expected


def test_the_api_names_no_one_who_ended_it(world: World) -> None:
    missed_yesterday(world)
    assert (_api_plan(world)["ended_by"], _api_plan(world)["ended_at"]) == (None, None)


# FHIR


@pytest.mark.parametrize("offset", [0, 1])
def test_fhir_sends_the_runs_bottles_as_cancelled(world: World, offset: int) -> None:
    missed_yesterday(world)
    assert dispenses(world)[day(world, offset).isoformat()]["status"] == "cancelled"


def test_fhir_says_why(world: World) -> None:
    missed_yesterday(world)
    reason = dispenses(world)[today(world).isoformat()]["statusReasonCodeableConcept"]["text"]
    assert reason == FHIR_NOT_HANDED_OUT


def test_fhir_says_no_bottle_was_handed_over(world: World) -> None:
    missed_yesterday(world)
    assert "whenHandedOver" not in dispenses(world)[today(world).isoformat()]


# Attacks: what must stay as it was, and the edges


def test_a_run_starting_today_at_a_decision_went_home_at_the_decision(world: World) -> None:
    """Not a gap: the bottles left at the decision this morning (before any dose today)."""
    on_sixty(world, last=-1)
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        concerns = [c.id for c in queries.take_home_concerns(world.alice, today(world))]
        plan = services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=CRITERIA,
            bottle_days=[today(world).isoformat(), day(world, 1).isoformat()],
            acknowledged_flags=concerns,
        )
    assert today(world).isoformat() in plan.bottle_mg, "setup: handed out at the decision"
    assert refused_fields(world) == {"bottle_returned"}


def test_a_run_handed_out_at_yesterdays_dose_is_still_a_take_home_day(world: World) -> None:
    on_sixty(world)
    decide(world, -2, [0, 1])
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        give(world)
    assert refused_fields(world) == {"bottle_returned"}


def test_she_misses_two_days_and_both_count(world: World) -> None:
    """Given until three days ago; the run (yesterday and today) was to go home the day before yesterday;
    she missed that day and yesterday, and comes today."""
    on_sixty(world, last=-3)
    decide(world, -3, [-1, 0])
    assert (context(world).missed_days_in_a_row, give(world).dose.status) == (2, "given")


def test_she_comes_late_the_same_evening_and_the_run_goes_home(world: World) -> None:
    """19:30 in New York yesterday is 00:30 UTC today: the program's zone makes it yesterday's dose, so the
    run leaves with it and today is a take-home day."""
    plan = missed_yesterday(world)
    yesterday = day(world, -1)
    evening = datetime.combine(yesterday, time(19, 30), tzinfo=zone_of(world.alice))
    with time_machine.travel(evening, tick=False):
        assert give(world).dose.local_date == yesterday
    plan.refresh_from_db()
    assert today(world).isoformat() in plan.bottle_mg
    assert refused_fields(world) == {"bottle_returned"}


def test_just_after_midnight_in_her_zone_it_is_the_runs_day(world: World) -> None:
    """00:30 in New York today (05:30 UTC): the hand-out day is gone, nothing left; the dose is today's."""
    missed_yesterday(world)
    runs_day = today(world)
    night = datetime.combine(runs_day, time(0, 30), tzinfo=zone_of(world.alice))
    with time_machine.travel(night, tick=False):
        assert give(world).dose.local_date == runs_day


def test_a_later_run_of_the_same_plan_does_not_go_home(world: World) -> None:
    """The plan covers nothing from the run that never left: its later run (the day after tomorrow and the
    day after) is not handed out at tomorrow's dose, and those days are clinic days."""
    plan = missed_yesterday(world, (0, 2, 3))
    give(world)
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        give(world)
    plan.refresh_from_db()
    assert plan.bottle_mg == {}
    assert day(world, 2) not in context(world, 2).take_home_days


def test_a_second_plan_may_give_the_days_the_first_one_never_handed_out(world: World) -> None:
    missed_yesterday(world)
    give(world)
    second = decide(world, 0, [1])
    assert second.bottle_mg == {day(world, 1).isoformat(): "60.00"}


def test_the_second_plans_day_is_a_take_home_day(world: World) -> None:
    missed_yesterday(world)
    give(world)
    decide(world, 0, [1])
    assert day(world, 1) in context(world, 1).take_home_days


def test_the_supply_does_not_count_bottles_that_never_left(world: World) -> None:
    missed_yesterday(world)
    assert queries.take_home_review(world.alice).bottles_held == []


def test_a_void_of_the_day_before_dose_ends_the_plan_as_before(world: World) -> None:
    """The existing rule: yesterday's dose handed the run out; voided this morning, the plan ends yesterday
    with its reason stored, and today's dose is given."""
    on_sixty(world)
    plan = decide(world, -2, [0, 1])
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        dose = give(world).dose
    corrected(world, dose, "Recorded in error: she did not come to the window yesterday", void=True)
    plan.refresh_from_db()
    days = f"{today(world).isoformat()}, {day(world, 1).isoformat()}"
    assert (plan.ended_on, plan.end_reason) == (
        day(world, -1),
        VOIDED_HANDED_OVER.format(days=days, day=day(world, -1).isoformat()),  # lane fix34a: they left
    )
    assert give(world).dose.status == "given"


def test_a_buprenorphine_order_has_no_bottles_and_is_unchanged(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(started_on=day(world, -31))
    order = services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        now=timezone.now() - timedelta(days=31),
    )
    for back in range(30, 1, -1):
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication="buprenorphine",
            local_date=day(world, -back),
            sequence=1,
            status="given",
            amount_mg=Decimal(8),
            treatment_day=31 - back,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=timezone.now() - timedelta(days=back),
        )
    ctx = queries.dose_context(world.alice, "buprenorphine", today(world))
    assert (ctx.missed_days_in_a_row, ctx.take_home_days) == (1, set())
    assert give(world, amount_mg="8", medication="buprenorphine").dose.status == "given"


# Review 23c, not reached: the nurse's words when nothing given stands (the plan's end: "not handed out")


def _void_yesterdays_dose(world: World) -> list[Any]:
    """Yesterday's dose handed out today's and tomorrow's bottles; voided this morning (she never came)."""
    on_sixty(world)
    decide(world, -2, [0, 1])
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        dose = give(world).dose
    amendment = corrected(
        world, dose, "Recorded in error: she did not come to the window yesterday", void=True
    )
    return list(amendment.warnings or ())


def test_the_nurse_is_not_told_the_bottles_were_handed_over(world: World) -> None:
    told = [str(w) for w in _void_yesterdays_dose(world)]
    assert not any("already handed over" in w for w in told), told


def test_the_nurse_is_told_what_the_record_said_and_what_to_do_if_they_left(world: World) -> None:
    told = " ".join(str(w) for w in _void_yesterdays_dose(world))
    assert "recorded as handed out" in told and "if they left the clinic call the person back" in told


def test_the_nurse_is_told_it_in_spanish(world: World) -> None:
    warnings = _void_yesterdays_dose(world)
    with translation.override("es"):
        told = " ".join(words.reason_text(w) for w in warnings)
    assert "constaban como entregados" in told and "si salieron de la clínica" in told
