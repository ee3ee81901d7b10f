"""Session 24 (lane api24, review 23a's "not reached": a bottle day held by two plans). A prescriber ends a
take-home plan before its bottles leave the clinic and decides a new one that gives the same days again. One
bottle goes home a day, so the export sends one MedicationDispense for the day, not the ended plan's
`cancelled` beside the new plan's `preparation` (a system that upserts by id would keep both: a bottle
cancelled and a bottle due, or two bottles at home). Its id is the one the first plan's export sent,
`bottle-<first plan>-<day>`: stable across re-exports and across the plan change."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record, record_bundle
from keel.treatment.models import MedicationOrder, TakeHomePlan
from keel.treatment.services.take_homes import end_take_home_plan
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan, two_bottle_plan
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
BASE = Base("https://keel.example/fhir/R4/")


def _dispenses(world: World, now: datetime) -> list[dict[str, Any]]:
    return Record(world.alice, frozenset(Area), BASE, now).of_type("MedicationDispense")


def _day(res: dict[str, Any]) -> str:
    (day,) = res["dosageInstruction"][0]["timing"]["event"]
    return str(day)


def _ended_and_decided_again(world: World) -> tuple[TakeHomePlan, TakeHomePlan, date, datetime]:
    """Plan A (tomorrow and the day after, not handed out yet), ended by its prescriber; plan B, decided a
    minute later, gives the same two days again."""
    now = timezone.now()
    first, tomorrow = methadone_with_take_home_plan(world, now - timedelta(minutes=2))
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=first.pk,
        reason="relapse on fentanyl confirmed by urine drug screen today",
        now=now - timedelta(minutes=1),
    )
    second = two_bottle_plan(world, now, tomorrow)
    return first, second, tomorrow, now


def test_a_day_two_plans_give_is_one_dispense_under_the_first_plans_id(world: World) -> None:
    first, second, tomorrow, now = _ended_and_decided_again(world)
    found = _dispenses(world, now)
    days = Counter(_day(d) for d in found)
    assert all(n == 1 for n in days.values()), days
    after = tomorrow + timedelta(days=1)
    assert [d["id"] for d in found] == [
        f"bottle-{first.pk}-{tomorrow:%Y%m%d}",
        f"bottle-{first.pk}-{after:%Y%m%d}",
    ]
    assert [d["status"] for d in found] == ["preparation", "preparation"]  # the new plan's word
    order = MedicationOrder.objects.get(patient=world.alice)
    assert all(
        d["authorizingPrescription"] == [{"reference": f"MedicationRequest/{order.pk}"}] for d in found
    )
    assert not any(str(second.pk) == d["id"].split("-")[1] for d in found)


def test_the_id_is_the_same_before_the_end_after_it_and_after_the_new_plan(world: World) -> None:
    now = timezone.now()
    first, tomorrow = methadone_with_take_home_plan(world, now - timedelta(minutes=2))
    standing = {d["id"]: d["status"] for d in _dispenses(world, now)}
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=first.pk,
        reason="relapse on fentanyl confirmed by urine drug screen today",
        now=now - timedelta(minutes=1),
    )
    ended = {d["id"]: d["status"] for d in _dispenses(world, now)}
    two_bottle_plan(world, now, tomorrow)
    again = {d["id"]: d["status"] for d in _dispenses(world, now)}
    assert set(standing) == set(ended) == set(again)
    assert set(standing.values()) == {"preparation"}
    assert set(ended.values()) == {"cancelled"}
    assert set(again.values()) == {"preparation"}


def test_a_bottle_the_new_plan_handed_over_is_completed_under_the_first_id(world: World) -> None:
    first, second, tomorrow, now = _ended_and_decided_again(world)
    second.bottle_mg = {tomorrow.isoformat(): "80"}
    second.save(update_fields=["bottle_mg"])
    found = {d["id"]: d for d in _dispenses(world, now)}
    handed = found[f"bottle-{first.pk}-{tomorrow:%Y%m%d}"]
    assert handed["status"] == "completed"
    assert handed["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 80.0
    assert len(found) == 2


def test_a_cancelled_later_plan_never_hides_what_an_earlier_one_said(world: World) -> None:
    """The other way round: the first plan's word stands when the later plan no longer covers the day."""
    first, second, tomorrow, now = _ended_and_decided_again(world)
    second.ended_on, second.ended_at = tomorrow - timedelta(days=1), now
    second.end_reason, second.ended_by = "mistaken plan", world.staff["prescriber"]
    second.save()
    found = _dispenses(world, now)
    assert [d["id"] for d in found] == [
        f"bottle-{first.pk}-{tomorrow:%Y%m%d}",
        f"bottle-{first.pk}-{tomorrow + timedelta(days=1):%Y%m%d}",
    ]
    assert {d["status"] for d in found} == {"cancelled"}


def test_the_bundle_re_exported_is_identical_and_valid_r4(world: World) -> None:
    _first, _second, _tomorrow, now = _ended_and_decided_again(world)
    once = record_bundle(world.alice, frozenset(Area), now, BASE)
    twice = record_bundle(world.alice, frozenset(Area), now + timedelta(seconds=7), BASE)
    assert json.dumps(once["entry"]) == json.dumps(twice["entry"])  # only the Bundle's timestamp moves
    ids = [e["fullUrl"] for e in once["entry"]]
    assert len(ids) == len(set(ids))
    assert_valid_r4(once)
