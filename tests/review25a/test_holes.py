"""Review 25a: the take-home bottle routes (page and API), attacked with ordinary accounts and ordinary input.

Each test is one hole (tests/review25a/HOLES.md). Dates are relative to the person's today (the suite runs
under moved clocks)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from keel.patients.models import CareTeamMember, local_today
from keel.treatment.models import TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.services import end_take_home_plan
from keel.treatment.services.orders import prescribe
from tests.conftest import PASSWORD, World, sign_in
from tests.factories import given_daily, given_on, two_bottle_plan

REASON = "Relapse reported: using fentanyl again most days this week"


def _api(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def _handed_out_plan(world: World, first: date, days: int) -> TakeHomePlan:
    """Alice on methadone 80 mg, given 80 mg at the window a minute ago (today), and a plan decided now:
    bottles `first` (tomorrow) and the `days - 1` days after it, every one handed out at today's dose (the
    plan's record of them, `bottle_mg`: 80 mg each), as the dose path records them."""
    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    given_on(world, order, local_today(world.alice), 80, 40, at=timezone.now() - timedelta(minutes=1))
    bottles = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=timezone.now(),
        days_in_treatment=40,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=days,
        bottles=bottles,
        bottle_mg={iso: "80" for iso in bottles},
        enrollment=world.alice.enrollments.order_by("-started_on").first(),
    )


def _second_prescriber(world: World) -> Any:
    from keel.accounts import services

    user, _device = services.create_user(
        username="r-prescriber-2", role="prescriber", password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=world.alice, user=user)
    return user


def test_hole1_far_future_first_bottle_is_a_server_error_not_a_field_error(world: World) -> None:
    """A prescriber types the first bottle's day as 9999-12-31 (a date picker's year slip, or a fuzzer):
    the rule lists the bottles from it (`start_on + i days`) and overflows: 500, not 422 naming start_on."""
    alice, prescriber = world.alice, world.staff["prescriber"]
    order = prescribe(by=prescriber, patient_id=alice.pk, medication="methadone", dose_mg="80")
    today = local_today(alice)
    given_daily(world, order, [today - timedelta(days=n) for n in range(8, 0, -1)], 80)
    client = sign_in(Client(raise_request_exception=False), prescriber)
    review = client.get(f"/api/v1/patients/{alice.pk}/take-homes/review")
    assert review.status_code == 200
    flags = [f["id"] for f in review.json()["open_flags"]]
    criteria = {
        key: True
        for key in (
            "no_active_risky_use",
            "regular_attendance",
            "no_serious_behavior_problems",
            "no_known_recent_diversion",
            "safe_transport_and_storage",
            "other_factors_considered",
        )
    }
    r = _api(
        client,
        f"/patients/{alice.pk}/take-homes",
        {"criteria": criteria, "start_on": "9999-12-31", "acknowledged_flags": flags},
    )
    assert r.status_code == 422, r.status_code
    assert "start_on" in r.content.decode()
    assert not TakeHomePlan.objects.filter(patient=alice).exists()


def test_hole2_an_end_past_the_last_bottle_stops_nothing_and_locks_the_plan_against_a_real_end(
    world: World,
) -> None:
    """A prescriber ends a plan "from" a day after its last bottle (a year typed wrong): nothing stops, but
    the plan is marked ended (the page offers no end form any more). The next day the person relapses and
    a prescriber ends it from today: 409 "already ended", and both bottles still go home."""
    alice, prescriber = world.alice, world.staff["prescriber"]
    today = local_today(alice)
    plan = two_bottle_plan(world, timezone.now(), today + timedelta(days=1))
    client = sign_in(Client(), prescriber)
    path = f"/patients/{alice.pk}/take-homes/{plan.pk}/end"
    _api(client, path, {"reason": REASON, "from_day": (today + timedelta(days=400)).isoformat()})
    r = _api(client, path, {"reason": REASON, "from_day": today.isoformat()})
    assert r.status_code == 200, (r.status_code, r.content)
    plan.refresh_from_db()
    assert not plan_days(plan) & {today + timedelta(days=1), today + timedelta(days=2)}


def test_hole3_a_stale_end_with_a_bottle_brought_back_drops_its_from_day_and_says_ended(world: World) -> None:
    """Prescriber A ends the plan from the third bottle's day. Prescriber B, on a page read before that,
    ends it from today (relapse) and notes the bottle the person just handed in: Keel takes B's request as
    "bottles brought back" only, answers 200 "ended", and keeps the plan covering tomorrow and the day
    after: B's end never happens, those two bottles are on no call-back list, and B is not told."""
    alice = world.alice
    today = local_today(alice)
    plan = _handed_out_plan(world, today + timedelta(days=1), 4)
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        plan_id=plan.pk,
        reason="Bottles from the third day not needed: travel plans changed",
        from_day=today + timedelta(days=3),
    )
    client = sign_in(Client(), _second_prescriber(world))
    r = _api(
        client,
        f"/patients/{alice.pk}/take-homes/{plan.pk}/end",
        {
            "reason": REASON,
            "from_day": today.isoformat(),
            "returned_days": [(today + timedelta(days=3)).isoformat()],
        },
    )
    plan.refresh_from_db()
    assert plan.ended_on is not None
    assert r.status_code == 409 or plan.ended_on < today, (r.status_code, plan.ended_on, today)


def test_hole4_the_end_answers_an_empty_call_back_list_the_record_then_shows(world: World) -> None:
    """A phone app ends a plan through the API and shows what the answer says to call the person back for:
    `call_back` is always {} in the end's answer, though two bottles handed out are at home for days the
    plan no longer covers (the medication record, page and API, lists them right after)."""
    alice = world.alice
    today = local_today(alice)
    plan = _handed_out_plan(world, today + timedelta(days=1), 4)
    client = sign_in(Client(), world.staff["prescriber"])
    r = _api(
        client,
        f"/patients/{alice.pk}/take-homes/{plan.pk}/end",
        {"reason": REASON, "from_day": (today + timedelta(days=3)).isoformat()},
    )
    assert r.status_code == 200
    at_home = {(today + timedelta(days=n)).isoformat() for n in (3, 4)}
    record = client.get(f"/api/v1/patients/{alice.pk}/medication").json()
    listed = next(t for t in record["take_homes"] if t["id"] == plan.pk)
    assert set(listed["call_back"]) == at_home  # the record's own list (set-up check)
    assert set(r.json()["call_back"]) == at_home
