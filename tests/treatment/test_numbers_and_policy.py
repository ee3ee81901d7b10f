"""Issue #13: NaN, Infinity and non-numbers are refused on every path with the field named (a 422, a page
with the error, exit 2), never "allowed" and never a traceback; policy values keep their safe floors and
ceilings on every path (page, API, `keel policy set`, a prescriber's override, values stored before them)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from keel.treatment import services
from keel.treatment.models import Intake, PatientPolicyOverride, PolicyChange, PolicySetting
from keel.treatment.queries import orders_version
from keel.treatment.queries.policy import effective_policy, program_policy
from keel.treatment.schemas import IntakeIn
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
NAN_BODIES = ("NaN", "Infinity", "-Infinity", '"NaN"', '"1e999"')


def raw_post(client: Client, path: str, body: str) -> Any:
    return client.post(path, body, content_type="application/json")


# --- The API ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("literal", NAN_BODIES)
def test_the_rule_api_refuses_a_nan_cows_by_name(world: World, literal: str) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    body = (
        '{"input": {"opioids": [{"opioid": "heroin", "hours_since_last_use": 14}], '
        f'"cows_total": {literal}, "cows_age_hours": 0.5}}}}'
    )
    response = raw_post(client, "/api/v1/rules/buprenorphine-readiness", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["input.cows_total"]


@pytest.mark.parametrize("literal", NAN_BODIES)
def test_the_rule_api_refuses_a_nan_time_since_use_by_name(world: World, literal: str) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    body = (
        f'{{"input": {{"opioids": [{{"opioid": "methadone", "hours_since_last_use": {literal}}}], '
        '"cows_total": 13, "cows_age_hours": 0.5}}'
    )
    response = raw_post(client, "/api/v1/rules/buprenorphine-readiness", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["input.opioids[0].hours_since_last_use"]


@pytest.mark.parametrize("literal", NAN_BODIES)
def test_the_rule_api_refuses_a_nan_policy_value_by_name(world: World, literal: str) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = (
        '{"input": {"opioids": [{"opioid": "heroin", "days_since_last_use": 10}]}, '
        f'"policy": {{"opioid_free_days": {literal}}}}}'
    )
    response = raw_post(client, "/api/v1/rules/naltrexone-readiness", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["policy.opioid_free_days"]


@pytest.mark.parametrize("literal", NAN_BODIES)
def test_a_nan_policy_value_is_never_stored_through_the_api(world: World, literal: str) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = admin.put(
        "/api/v1/programs/riverside/policy/buprenorphine-readiness/cows_threshold",
        f'{{"value": {literal}, "reason": "typo"}}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "value"
    assert not PolicySetting.objects.exists()


@pytest.mark.parametrize("literal", NAN_BODIES)
def test_a_prescribers_override_refuses_nan(world: World, literal: str) -> None:
    prescriber = sign_in(Client(), world.staff["prescriber"])
    body = (
        '{"rule": "buprenorphine-readiness", "field": "cows_threshold", '
        f'"value": {literal}, "reason": "fentanyl"}}'
    )
    response = raw_post(prescriber, f"/api/v1/patients/{world.alice.pk}/policy-overrides", body)
    assert response.status_code == 422
    assert not PatientPolicyOverride.objects.exists()


@pytest.mark.parametrize("literal", NAN_BODIES)
def test_the_intake_api_refuses_nan_by_name(world: World, literal: str) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    body = f'{{"pregnant": "no", "prior_overdoses": {literal}}}'
    response = raw_post(counselor, f"/api/v1/patients/{world.alice.pk}/intakes", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "prior_overdoses"
    assert not Intake.objects.exists()


@pytest.mark.parametrize("literal", NAN_BODIES)
def test_an_order_refuses_a_nan_dose_by_name(world: World, literal: str) -> None:
    prescriber = sign_in(Client(), world.staff["prescriber"])
    token = orders_version(world.alice)
    body = f'{{"medication": "buprenorphine", "dose_mg": {literal}, "orders_version": "{token}"}}'
    response = raw_post(prescriber, f"/api/v1/patients/{world.alice.pk}/orders", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "dose_mg"


@pytest.mark.parametrize(
    ("field", "value"), [("lat", "nan"), ("lat", "inf"), ("day", "nan"), ("limit", "inf")]
)
def test_a_directory_search_refuses_nan_instead_of_failing(world: World, field: str, value: str) -> None:
    response = Client().get("/api/v1/meetings", {"lat": "44.2", "lon": "-77.4", field: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


# --- Pages --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e999", "0", "7", "25"])
def test_the_policy_page_refuses_a_cows_threshold_outside_its_bounds(world: World, value: str) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    form = {"rule": "buprenorphine-readiness", "field": "cows_threshold", "value": value, "reason": "typo"}
    response = admin.post("/program/policy/", form)
    assert response.status_code == 422
    assert not PolicySetting.objects.exists()


def test_the_policy_page_keeps_the_typed_value_and_reason(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    form = {
        "rule": "buprenorphine-readiness",
        "field": "cows_threshold",
        "value": "0",
        "reason": "fewer waits",
    }
    html = admin.post("/program/policy/", form).content.decode()
    assert 'name="value" value="0"' in html
    assert 'value="fewer waits"' in html
    assert "must be at least 8" in html


def test_the_policy_page_accepts_a_stricter_value(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    form = {
        "rule": "buprenorphine-readiness",
        "field": "cows_threshold",
        "value": "12",
        "reason": "fentanyl in the local supply",
    }
    assert admin.post("/program/policy/", form).status_code == 302
    assert program_policy(world.riverside.pk, "buprenorphine-readiness")["cows_threshold"] == 12


def test_the_policy_page_sets_the_fentanyl_profile(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    form = {
        "rule": "buprenorphine-readiness",
        "field": "fentanyl_profile",
        "value": "low_dose",
        "reason": "ASAM guidance on fentanyl starts",
    }
    assert admin.post("/program/policy/", form).status_code == 302
    assert program_policy(world.riverside.pk, "buprenorphine-readiness")["fentanyl_profile"] == "low_dose"


@pytest.mark.parametrize("value", ["nan", "abc", "-1"])
def test_the_intake_page_refuses_a_nan_overdose_count_and_keeps_it(world: World, value: str) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    response = counselor.post(
        f"/patients/{world.alice.pk}/intake/", {"pregnant": "no", "prior_overdoses": value}
    )
    assert response.status_code == 422
    assert f'value="{value}"' in response.content.decode()


@pytest.mark.parametrize("value", ["nan", "inf", "1e999"])
def test_the_start_page_refuses_a_nan_dose_order(world: World, value: str) -> None:
    prescriber = sign_in(Client(), world.staff["prescriber"])
    response = prescriber.post(f"/patients/{world.alice.pk}/start/orders/", {"dose_mg": value})
    assert response.status_code == 422
    assert f'value="{value}"' in response.content.decode()


# --- The CLI ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", '"NaN"'])
def test_keel_rule_refuses_nan_with_exit_2_naming_the_field(literal: str) -> None:
    use = '[{"opioid": "heroin", "hours_since_last_use": 14}]'
    raw = f'{{"opioids": {use}, "cows_total": {literal}, "cows_age_hours": 1}}'
    with pytest.raises(CommandError) as error:
        call_command("rule", "buprenorphine-readiness", "--input", raw, stdout=io.StringIO())
    assert error.value.returncode == 2
    assert "cows_total: must be a number" in str(error.value)


@pytest.mark.parametrize(
    "policy", ['{"cows_threshold": 0}', '{"cows_threshold": NaN}', '{"wait_hours_methadone": 0}']
)
def test_keel_rule_refuses_a_policy_that_switches_a_check_off(policy: str) -> None:
    use = '[{"opioid": "heroin", "hours_since_last_use": 14}]'
    raw = f'{{"opioids": {use}, "cows_total": 0, "cows_age_hours": 1}}'
    with pytest.raises(CommandError) as error:
        call_command(
            "rule", "buprenorphine-readiness", "--input", raw, "--policy", policy, stdout=io.StringIO()
        )
    assert error.value.returncode == 2
    assert "policy." in str(error.value)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "0", "100"])
def test_keel_policy_set_refuses_nan_and_values_outside_the_bounds(world: World, value: str) -> None:
    args = ["--program", "riverside", "--by", "r-program_admin", "--rule", "buprenorphine-readiness"]
    with pytest.raises(CommandError) as error:
        call_command(
            "policy",
            "set",
            *args,
            "--field",
            "cows_threshold",
            "--value",
            value,
            "--reason",
            "x",
            stdout=io.StringIO(),
        )
    assert error.value.returncode == 2
    assert "value:" in str(error.value)
    assert not PolicyChange.objects.exists()


def test_keel_policy_show_lists_the_bounds(world: World) -> None:
    out = io.StringIO()
    call_command("policy", "show", "--program", "riverside", "--by", "r-program_admin", "--json", stdout=out)
    rows = {(r["rule"], r["field"]): r for r in json.loads(out.getvalue())["values"]}
    cows = rows[("buprenorphine-readiness", "cows_threshold")]
    assert (cows["floor"], cows["ceiling"]) == (8, 24)
    assert "Wesson" in cows["bounds"]


# --- Policy floors and ceilings on every path ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "field", "value"),
    [
        ("buprenorphine-readiness", "cows_threshold", 0),
        ("buprenorphine-readiness", "wait_hours_short_acting", 0),
        ("buprenorphine-readiness", "wait_hours_methadone", 0),
        ("buprenorphine-readiness", "cows_fresh_hours", 48),
        ("buprenorphine-home-start", "home_sows_threshold", 0),
        ("methadone-dose-check", "titration_step_max_mg", 50),
        ("methadone-dose-check", "first_day_total_max_mg", 0),
        ("naltrexone-readiness", "opioid_free_days", 3),
    ],
)
def test_the_api_refuses_a_value_that_switches_a_check_off(
    world: World, rule: str, field: str, value: Any
) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = admin.put(
        f"/api/v1/programs/riverside/policy/{rule}/{field}",
        json.dumps({"value": value, "reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "value"


def test_a_prescribers_override_for_one_patient_stays_inside_the_bounds(world: World) -> None:
    prescriber = sign_in(Client(), world.staff["prescriber"])
    body = {"rule": "buprenorphine-readiness", "field": "cows_threshold", "value": 0, "reason": "in a hurry"}
    response = prescriber.post(
        f"/api/v1/patients/{world.alice.pk}/policy-overrides",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422


def test_a_value_stored_before_the_bounds_runs_at_the_floor(world: World) -> None:
    PolicySetting.objects.create(
        program=world.riverside,
        rule="buprenorphine-readiness",
        field="cows_threshold",
        value=0,
        set_by=world.staff["program_admin"],
        set_at=NOON,
        reason="long ago",
    )
    assert program_policy(world.riverside.pk, "buprenorphine-readiness")["cows_threshold"] == 8


def test_a_patients_override_stored_before_the_bounds_runs_at_the_floor(world: World) -> None:
    PatientPolicyOverride.objects.create(
        patient=world.alice,
        rule="buprenorphine-readiness",
        field="wait_hours_methadone",
        value=0,
        reason="long ago",
        prescriber=world.staff["prescriber"],
        created_at=NOON,
    )
    assert effective_policy(world.alice, "buprenorphine-readiness")["wait_hours_methadone"] == 36


def test_the_policy_page_says_a_stored_value_is_not_in_force(world: World) -> None:
    PolicySetting.objects.create(
        program=world.riverside,
        rule="buprenorphine-readiness",
        field="cows_threshold",
        value=0,
        set_by=world.staff["program_admin"],
        set_at=NOON,
        reason="long ago",
    )
    html = sign_in(Client(), world.staff["program_admin"]).get("/program/policy/").content.decode()
    assert "The value set (0) is outside the safe range" in html


def test_the_home_start_uses_the_clinics_waits(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = admin.put(
        "/api/v1/programs/riverside/policy/buprenorphine-readiness/wait_hours_methadone",
        json.dumps({"value": 96, "reason": "high-dose methadone in our area"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert effective_policy(world.alice, "buprenorphine-home-start")["wait_hours_methadone"] == 96


def test_a_shared_wait_is_set_once_under_readiness(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = admin.put(
        "/api/v1/programs/riverside/policy/buprenorphine-home-start/wait_hours_methadone",
        json.dumps({"value": 96, "reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "buprenorphine-readiness" in response.json()["errors"][0]["reason"]


def test_a_stricter_fentanyl_profile_changes_the_start_verdict(world: World) -> None:
    from keel.assessments.services import submit_assessment

    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted(
                {
                    "opioids": [
                        {"opioid": "fentanyl", "last_use_at": (NOON - timedelta(hours=50)).isoformat()}
                    ],
                    "pregnant": "no",
                }
            ),
        )
    with time_machine.travel(NOON - timedelta(minutes=10), tick=False):
        submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="cows",
            answers={
                "pulse": 2,
                "sweating": 2,
                "restlessness": 3,
                "pupils": 2,
                "aches": 2,
                "nose_eyes": 2,
                "gi_upset": 2,
                "tremor": 1,
                "yawning": 1,
                "anxiety": 2,
                "gooseflesh": 0,
            },
        )
    assert services.buprenorphine_readiness(world.alice, NOON).readiness.decision == "not_standard"  # type: ignore[union-attr]
    PolicySetting.objects.create(
        program=world.riverside,
        rule="buprenorphine-readiness",
        field="fentanyl_profile",
        value="longer_wait",
        set_by=world.staff["program_admin"],
        set_at=NOON,
        reason="ASAM 2023",
    )
    assert services.buprenorphine_readiness(world.alice, NOON).ready
