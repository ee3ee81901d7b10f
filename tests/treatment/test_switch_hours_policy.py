"""Lane policy22: the wait between buprenorphine given at the window and methadone without a prescriber's
switch override (review 19a, 22m) is program policy, `methadone-dose-check`'s `switch_hours` (default 24 h,
Keel's bounds 12-72 h), read through the person's effective policy; no clinical source gives a figure.
Dates relative to now (RULES)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from keel.core.rules.methadone import DOSE_CHECK
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, PolicySetting
from keel.treatment.queries.contexts import dose_context, dose_contexts
from keel.treatment.queries.policy import effective_policy
from keel.treatment.services import record_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.policy import set_value
from tests.conftest import World, sign_in
from tests.factories import buprenorphine_then_methadone_order

pytestmark = pytest.mark.django_db
RULE, FIELD = "methadone-dose-check", "switch_hours"


def _set(world: World, hours: float) -> None:
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule=RULE,
        field=FIELD,
        value=hours,
        reason="our prescribers' switch protocol",
    )


def _noon(world: World) -> datetime:
    zone = ZoneInfo(world.alice.program.time_zone)
    return datetime.combine(local_today(world.alice, timezone.now()), time(12), tzinfo=zone)


def _buprenorphine_given(world: World, hours_before: float) -> datetime:
    """8 mg of buprenorphine given to Alice `hours_before` local noon today, and a methadone order; returns
    the methadone dose's time (noon)."""
    methadone_at = _noon(world)
    bup_at = methadone_at - timedelta(hours=hours_before)
    buprenorphine_then_methadone_order(world, bup_at)
    return methadone_at


def _methadone(world: World, at: datetime) -> None:
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=at)


def _given(world: World) -> bool:
    return DoseRecord.objects.filter(patient=world.alice, medication="methadone").exists()


# --- The default and the program's value at the window ---


def test_the_default_is_24_hours(world: World) -> None:
    assert effective_policy(world.alice, DOSE_CHECK)[FIELD] == 24


def test_by_default_methadone_23_hours_after_buprenorphine_needs_the_switch(world: World) -> None:
    at = _buprenorphine_given(world, 23)
    with pytest.raises(DoseBlocked) as blocked:
        _methadone(world, at)
    assert "less than 24 hours ago" in str(blocked.value)
    assert not _given(world)


def test_a_program_at_36_hours_refuses_methadone_30_hours_after_buprenorphine(world: World) -> None:
    _set(world, 36)
    at = _buprenorphine_given(world, 30)
    with pytest.raises(DoseBlocked) as blocked:
        _methadone(world, at)
    assert "less than 36 hours ago" in str(blocked.value)  # the program's value, in the refusal's words
    assert not _given(world)


def test_a_program_at_12_hours_passes_methadone_13_hours_after_buprenorphine(world: World) -> None:
    _set(world, 12)
    _methadone(world, _buprenorphine_given(world, 13))
    assert _given(world)


def test_a_prescribers_value_for_one_person_is_the_one_the_window_reads(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    body = {
        "rule": RULE,
        "field": FIELD,
        "value": 48,
        "reason": "long sedation after her last buprenorphine dose; asked to wait two days",
    }
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/policy-overrides",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content[:300]
    at = _buprenorphine_given(world, 40)
    with pytest.raises(DoseBlocked):
        _methadone(world, at)


# --- The look-back covers the ceiling ---


def test_a_program_at_the_ceiling_refuses_methadone_70_hours_after_buprenorphine(world: World) -> None:
    _set(world, 72)
    at = _buprenorphine_given(world, 70)  # three calendar days before
    with pytest.raises(DoseBlocked) as blocked:
        _methadone(world, at)
    assert "less than 72 hours ago" in str(blocked.value)


def test_at_the_ceiling_methadone_73_hours_after_buprenorphine_passes(world: World) -> None:
    _set(world, 72)
    _methadone(world, _buprenorphine_given(world, 73))
    assert _given(world)


def test_both_context_reads_hold_a_dose_from_the_ceilings_hours_ago(world: World) -> None:
    _buprenorphine_given(world, 71)
    today = local_today(world.alice, timezone.now())
    one = dose_context(world.alice, "methadone", today, with_other_holds=True).others_taken_recently
    many = dose_contexts([(world.alice, today)], "methadone", with_other_holds=True)[world.alice.pk]
    assert [d.medication for d in one] == ["buprenorphine"]
    assert [d.pk for d in many.others_taken_recently] == [d.pk for d in one]


# --- Out of bounds, on every path, with the field named ---


@pytest.mark.parametrize("value", ["0", "11", "72.5", "168"])
def test_the_policy_page_refuses_a_switch_wait_outside_its_bounds(world: World, value: str) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    form = {"rule": RULE, "field": FIELD, "value": value, "reason": "shorter waits"}
    response = admin.post("/program/policy/", form)
    assert response.status_code == 422
    html = response.content.decode()
    assert "must be at least 12" in html or "must be at most 72" in html
    assert 'class="has-error"' in html and f'name="field" value="{FIELD}"' in html
    assert not PolicySetting.objects.exists()


@pytest.mark.parametrize("value", [6, 96])
def test_the_api_refuses_a_switch_wait_outside_its_bounds(world: World, value: int) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = admin.put(
        f"/api/v1/programs/riverside/policy/{RULE}/{FIELD}",
        json.dumps({"value": value, "reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "value" and ("at least 12" in error["reason"] or "at most 72" in error["reason"])
    assert not PolicySetting.objects.exists()


def test_the_rule_api_refuses_a_switch_wait_below_the_floor_by_name(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    body = {"input": {"treatment_day": 5, "given_today_mg": 0, "requested_mg": 30}, "policy": {FIELD: 6}}
    response = client.post(f"/api/v1/rules/{RULE}", json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.content[:300]
    assert f"policy.{FIELD}" in [e["field"] for e in response.json()["errors"]]


def test_a_prescribers_override_below_the_floor_is_refused(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    body = {
        "rule": RULE,
        "field": FIELD,
        "value": 6,
        "reason": "sooner after a bad night",
    }
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/policy-overrides",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422


# --- Shown with its provenance ---


def test_the_policy_page_shows_the_switch_wait_with_its_provenance(world: World) -> None:
    html = sign_in(Client(), world.staff["program_admin"]).get("/program/policy/").content.decode()
    assert "Hours after buprenorphine before methadone without a switch" in html  # its label (words22b)
    assert "keel-one-agonist-a-day" in html
    assert "12.0 \u2013 72.0" in html or "12 \u2013 72" in html


def test_the_policy_api_lists_the_switch_wait_with_its_provenance(world: World) -> None:
    response = sign_in(Client(), world.staff["program_admin"]).get("/api/v1/programs/riverside/policy")
    value = next(v for v in response.json()["values"] if v["rule"] == RULE and v["field"] == FIELD)
    assert value["default"] == 24 and value["floor"] == 12 and value["ceiling"] == 72
    assert value["stricter_is"] == "higher"
    assert "keel-one-agonist-a-day" in value["provenance"] and "Keel bound" in value["bounds"]
