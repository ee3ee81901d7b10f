"""Lane fix25a: dates at the calendar's edges (9999-12-31, 0001-01-01) typed where Keel adds days to them.

Review 25a hole 1 (a far-future first bottle overflowed the take-home rule: a 500 on the API, the page and the
stateless rule) and the same class found by trying every date input: the naltrexone rule's
`last_injection_on` (its next due day overflowed) and a medication order's `starts_on` (stored at 0001-01-01,
it broke every later read of the orders: the day before the next order's start overflowed). Each is a field
error now, nothing saved. Dates are relative to the person's today (the suite runs under moved clocks)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client

from keel.core.rules.methadone import CRITERIA, FIRST_BOTTLE_WITHIN_DAYS
from keel.patients.models import local_today
from keel.treatment.models import MedicationOrder, TakeHomePlan
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import given_daily

CRITERIA_TRUE = {key: True for key, _text in CRITERIA}
FAR_AHEAD, FAR_BACK = "9999-12-31", "0001-01-01"


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def _eligible_alice(world: World) -> Client:
    """Alice on methadone 80 mg, observed daily for the last eight days; a prescriber's signed-in client."""
    prescriber = world.staff["prescriber"]
    order = prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="80")
    today = local_today(world.alice)
    given_daily(world, order, [today - timedelta(days=n) for n in range(8, 0, -1)], 80)
    return sign_in(Client(raise_request_exception=False), prescriber)


def _flags(client: Client, world: World) -> list[str]:
    review = client.get(f"/api/v1/patients/{world.alice.pk}/take-homes/review")
    return [f["id"] for f in review.json()["open_flags"]]


def test_a_far_bottle_day_on_the_api_names_bottle_days(world: World) -> None:
    client = _eligible_alice(world)
    r = _post(
        client,
        f"/patients/{world.alice.pk}/take-homes",
        {"criteria": CRITERIA_TRUE, "bottle_days": [FAR_AHEAD], "acknowledged_flags": _flags(client, world)},
    )
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"bottle_days"}
    assert not TakeHomePlan.objects.filter(patient=world.alice).exists()


def test_a_far_first_bottle_on_the_page_is_a_form_error(world: World) -> None:
    client = _eligible_alice(world)
    r = client.post(
        f"/patients/{world.alice.pk}/medication/take-homes/",
        {
            **{key: "on" for key in CRITERIA_TRUE},
            "start_on": FAR_AHEAD,
            "acknowledged_flags": _flags(client, world),
        },
    )
    assert r.status_code == 302, r.status_code
    said = [str(m) for m in get_messages(r.wsgi_request)]
    ceiling = f"at most {FIRST_BOTTLE_WITHIN_DAYS} days after today"  # the page says no field code
    assert any("Not saved" in m and ceiling in m for m in said), said
    assert not TakeHomePlan.objects.filter(patient=world.alice).exists()


def test_a_first_bottle_past_the_programs_ceiling_is_refused_and_the_ceiling_itself_is_taken(
    world: World,
) -> None:
    client = _eligible_alice(world)
    today = local_today(world.alice)
    path = f"/patients/{world.alice.pk}/take-homes"
    late = today + timedelta(days=FIRST_BOTTLE_WITHIN_DAYS + 1)
    body = {"criteria": CRITERIA_TRUE, "acknowledged_flags": _flags(client, world)}
    r = _post(client, path, {**body, "start_on": late.isoformat()})
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"start_on"}
    assert not TakeHomePlan.objects.filter(patient=world.alice).exists()
    last = today + timedelta(days=FIRST_BOTTLE_WITHIN_DAYS)
    r = _post(client, path, {**body, "start_on": last.isoformat()})
    assert r.status_code in (200, 201), (r.status_code, r.content)


@pytest.mark.parametrize("start_on", [FAR_AHEAD, FAR_BACK])
def test_the_stateless_take_home_rule_at_the_calendars_edges(world: World, start_on: str) -> None:
    client = sign_in(Client(raise_request_exception=False), world.staff["prescriber"])
    today = local_today(world.alice)
    r = _post(
        client,
        "/rules/take-home-eligibility",
        {
            "input": {
                "days_in_treatment": 100,
                "today": today.isoformat(),
                **CRITERIA_TRUE,
                "start_on": start_on,
            }
        },
    )
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"input.start_on"}
    r = _post(
        client,
        "/rules/take-home-eligibility",
        {"input": {"days_in_treatment": 100, **CRITERIA_TRUE, "start_on": FAR_AHEAD}},
    )
    assert r.status_code == 422, (r.status_code, r.content)  # no today: still no overflow


def test_the_take_home_rule_on_the_cli_exits_2() -> None:
    raw = json.dumps({"days_in_treatment": 100, **CRITERIA_TRUE, "start_on": FAR_AHEAD})
    with pytest.raises(CommandError) as error:
        call_command("rule", "take-home-eligibility", "--input", raw, stdout=io.StringIO())
    assert error.value.returncode == 2
    assert "start_on" in str(error.value)


def test_the_naltrexone_rule_with_a_far_last_injection_names_it(world: World) -> None:
    client = sign_in(Client(raise_request_exception=False), world.staff["prescriber"])
    body = {"opioids": [{"opioid": "heroin", "days_since_last_use": 20}], "last_injection_on": FAR_AHEAD}
    r = _post(client, "/rules/naltrexone-readiness", {"input": body})
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"input.last_injection_on"}


@pytest.mark.parametrize("starts_on", [FAR_AHEAD, FAR_BACK])
def test_an_order_starting_at_the_calendars_edge_is_refused_and_the_orders_stay_readable(
    world: World, starts_on: str
) -> None:
    alice = world.alice
    client = sign_in(Client(raise_request_exception=False), world.staff["prescriber"])
    prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="80")
    read = client.get(f"/api/v1/patients/{alice.pk}/medication").json()
    before = MedicationOrder.objects.filter(patient=alice).count()
    r = _post(
        client,
        f"/patients/{alice.pk}/orders",
        {
            "medication": "methadone",
            "dose_mg": "80",
            "starts_on": starts_on,
            "orders_version": read["orders_version"],
        },
    )
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"starts_on"}
    assert MedicationOrder.objects.filter(patient=alice).count() == before
    assert client.get(f"/api/v1/patients/{alice.pk}/medication").status_code == 200
    assert client.get(f"/fhir/R4/MedicationRequest?patient={alice.pk}").status_code == 200


def test_an_order_two_years_ahead_is_still_written(world: World) -> None:
    alice = world.alice
    later = local_today(alice) + timedelta(days=730)
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="80",
        starts_on=later,
    )
    assert order.starts_on == later and order.starts_on > date.today()
