"""`keel rule` and POST /api/v1/rules/{name}: the same decision as the core, clear 422s and exit code 2."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from keel.core import rules
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
READY = {
    "opioids": [{"opioid": "heroin", "hours_since_last_use": 14}],
    "cows_total": 13,
    "cows_age_hours": 0.5,
}


def test_the_api_returns_the_cores_decision(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        "/api/v1/rules/buprenorphine-readiness", json.dumps({"input": READY}), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == rules.get("buprenorphine-readiness").run(READY).as_dict()


def test_policy_values_tighten_through_the_api(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    body = {"input": READY, "policy": {"cows_threshold": 14}}
    data = client.post(
        "/api/v1/rules/buprenorphine-readiness", json.dumps(body), content_type="application/json"
    ).json()
    assert data["decision"] == "wait"
    assert data["policy"]["cows_threshold"] == 14


def test_bad_input_is_a_422_naming_each_field(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = {"input": {"qtc_ms": 5}, "policy": {"nope": 1}}
    response = client.post("/api/v1/rules/qtc-monitoring", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"input.qtc_ms", "policy.nope"}


def test_an_unknown_rule_is_a_404(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post("/api/v1/rules/nope", json.dumps({"input": {}}), content_type="application/json")
    assert response.status_code == 404
    assert "take-home-eligibility" in response.json()["message"]


def test_patients_cannot_call_clinical_rules(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    body = json.dumps({"input": READY})
    assert (
        client.post(
            "/api/v1/rules/buprenorphine-readiness", body, content_type="application/json"
        ).status_code
        == 403
    )


def test_the_cli_prints_the_same_decision() -> None:
    out = io.StringIO()
    call_command(
        "rule",
        "take-home-eligibility",
        "--input",
        json.dumps(
            {
                "days_in_treatment": 31,
                "no_active_risky_use": True,
                "regular_attendance": True,
                "no_serious_behavior_problems": True,
                "no_known_recent_diversion": True,
                "safe_transport_and_storage": True,
                "other_factors_considered": True,
            }
        ),
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["decision"] == "eligible"
    assert data["details"]["max_supply_days"] == 28


def test_the_cli_prints_a_schema() -> None:
    out = io.StringIO()
    call_command("rule", "methadone-dose-check", "--schema", stdout=out)
    schema = json.loads(out.getvalue())
    assert "treatment_day" in schema["input"]["required"]
    assert "first_day_total_max_mg" in schema["policy"]["properties"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--input", "{}"], "unknown rule"),
        (["qtc-monitoring"], "--input"),
        (["qtc-monitoring", "--input", "[1]"], "JSON object"),
        (["qtc-monitoring", "--input", "{bad"], "not valid JSON"),
        (["qtc-monitoring", "--input", '{"qtc_ms": 9000}'], "qtc_ms: must be at most 800"),
    ],
)
def test_the_cli_rejects_bad_input_with_exit_code_2(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as error:
        call_command("rule", *args, stdout=io.StringIO())
    assert error.value.returncode == 2
    assert message in str(error.value)
