"""Lane tok26: three far dates lane fix25a's walk left (no 500, but wrong), each refused by the one calendar
bound of every date input (`keel.core.rules.inputs.EARLIEST_DAY`, `FURTHEST_DAYS`):

- the take-home rule's `admitted_on` 0001-01-01 said "Day 3.65206e+06 in treatment": 422 naming it, and
  `keel rule` exits 2 (so does a `today` more days after it than `days_in_treatment` may be);
- a QTc's `measured_on` 0001-01-01 was kept: refused before 1900 as after today (the page's QTc form has no
  date: it records today's);
- a care goal's `review_on` had no ceiling: at most two years ahead, as an appointment and an order's start.
Dates are relative to the person's today (the suite runs under moved clocks)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from keel.core.rules.inputs import EARLIEST_DAY, FURTHEST_DAYS
from keel.core.rules.methadone import CRITERIA
from keel.patients.models import local_today
from keel.treatment.models import CareGoal, QtcRecord
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

CRITERIA_TRUE = {key: True for key, _text in CRITERIA}
FAR_BACK, FAR_AHEAD = "0001-01-01", "9999-12-31"


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def _client(world: World, role: str = "prescriber") -> Client:
    return sign_in(Client(raise_request_exception=False), world.staff[role])


# --- the take-home rule's admission day ---------------------------------------------------------------------


def _rule(world: World, **given: str) -> Any:
    return _post(_client(world), "/rules/take-home-eligibility", {"input": {**CRITERIA_TRUE, **given}})


def test_an_admission_in_year_one_is_refused_by_name(world: World) -> None:
    today = local_today(world.alice).isoformat()
    r = _rule(world, admitted_on=FAR_BACK, today=today)
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"input.admitted_on"}


def test_an_admission_the_day_before_the_floor_is_refused(world: World) -> None:
    today = local_today(world.alice).isoformat()
    r = _rule(world, admitted_on=(EARLIEST_DAY - timedelta(days=1)).isoformat(), today=today)
    assert _fields(r) == {"input.admitted_on"}


def test_an_admission_on_the_floor_is_taken(world: World) -> None:
    r = _rule(world, admitted_on=EARLIEST_DAY.isoformat(), today=local_today(world.alice).isoformat())
    assert r.status_code == 200, (r.status_code, r.content)


def test_a_today_far_after_the_admission_is_refused_by_name(world: World) -> None:
    r = _rule(world, admitted_on=local_today(world.alice).isoformat(), today=FAR_AHEAD)
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"input.today"}


def test_an_admission_last_month_still_counts_its_days(world: World) -> None:
    today = local_today(world.alice)
    r = _rule(world, admitted_on=(today - timedelta(days=30)).isoformat(), today=today.isoformat())
    assert r.status_code == 200, (r.status_code, r.content)
    assert "Day 30 in treatment" in r.content.decode()


def test_the_rule_on_the_cli_exits_2_naming_admitted_on() -> None:
    raw = json.dumps({**CRITERIA_TRUE, "admitted_on": FAR_BACK, "today": "2026-01-01"})
    with pytest.raises(CommandError) as error:
        call_command("rule", "take-home-eligibility", "--input", raw, stdout=io.StringIO())
    assert error.value.returncode == 2
    assert "admitted_on" in str(error.value)


# --- a QTc's day -------------------------------------------------------------------------------------------


def _qtc(world: World, measured_on: str) -> Any:
    return _post(
        _client(world, "nurse"),
        f"/patients/{world.alice.pk}/qtc",
        {"qtc_ms": 430, "measured_on": measured_on},
    )


@pytest.mark.parametrize("day", [FAR_BACK, (EARLIEST_DAY - timedelta(days=1)).isoformat()])
def test_a_qtc_before_1900_is_refused_by_name_and_not_kept(world: World, day: str) -> None:
    r = _qtc(world, day)
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"measured_on"}
    assert not QtcRecord.objects.filter(patient=world.alice).exists()


def test_a_qtc_after_today_is_still_refused(world: World) -> None:
    r = _qtc(world, (local_today(world.alice) + timedelta(days=1)).isoformat())
    assert _fields(r) == {"measured_on"}


def test_a_qtc_of_last_week_is_kept(world: World) -> None:
    r = _qtc(world, (local_today(world.alice) - timedelta(days=7)).isoformat())
    assert r.status_code == 201, (r.status_code, r.content)


def test_the_refusal_is_said_in_spanish(world: World) -> None:
    client = _client(world, "nurse")
    r = client.post(
        f"/api/v1/patients/{world.alice.pk}/qtc",
        data=json.dumps({"qtc_ms": 430, "measured_on": FAR_BACK}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "1900" in r.json()["errors"][0]["reason"]
    assert "cannot" not in r.json()["errors"][0]["reason"]


# --- a care goal's review day ------------------------------------------------------------------------------


def _goal(world: World, review_on: str) -> dict[str, Any]:
    return {
        "area": "counseling",
        "goal": "practise one coping skill each week",
        "responsible_id": world.staff["counselor"].pk,
        "review_on": review_on,
    }


def test_a_goal_reviewed_in_9999_is_refused_by_name_and_not_kept(world: World) -> None:
    r = _post(_client(world, "counselor"), f"/patients/{world.alice.pk}/care-goals", _goal(world, FAR_AHEAD))
    assert r.status_code == 422, (r.status_code, r.content)
    assert _fields(r) == {"review_on"}
    assert not CareGoal.objects.filter(patient=world.alice).exists()


def test_a_goal_reviewed_a_day_past_the_ceiling_is_refused(world: World) -> None:
    late = local_today(world.alice) + timedelta(days=FURTHEST_DAYS + 1)
    r = _post(
        _client(world, "counselor"), f"/patients/{world.alice.pk}/care-goals", _goal(world, late.isoformat())
    )
    assert _fields(r) == {"review_on"}


def test_a_goal_reviewed_on_the_ceiling_is_kept(world: World) -> None:
    last = local_today(world.alice) + timedelta(days=FURTHEST_DAYS)
    r = _post(
        _client(world, "counselor"), f"/patients/{world.alice.pk}/care-goals", _goal(world, last.isoformat())
    )
    assert r.status_code == 201, (r.status_code, r.content)


def test_a_goal_reviewed_in_9999_on_the_page_is_a_form_error(world: World) -> None:
    body = _goal(world, FAR_AHEAD)
    form = {**body, "responsible": body.pop("responsible_id")}
    r = _client(world, "counselor").post(reverse("treatment:start_goal", args=[world.alice.pk]), form)
    assert r.status_code == 422, r.status_code
    assert f"within the next {FURTHEST_DAYS} days" in r.content.decode()
    assert not CareGoal.objects.filter(patient=world.alice).exists()
