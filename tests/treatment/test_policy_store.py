"""Program policy: admins change it (bounded, with a reason, audited, with history); rules use it; the API
may only tighten it; `keel policy show|set`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from keel.audit.models import AuditEvent
from keel.treatment.models import PolicyChange
from keel.treatment.queries.policy import program_policy
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
READY = {
    "opioids": [{"opioid": "heroin", "hours_since_last_use": 14}],
    "cows_total": 10,
    "cows_age_hours": 0.5,
}


def put(
    client: Client, rule: str, field: str, value: object, reason: str = "medical director decision"
) -> object:
    return client.put(
        f"/api/v1/programs/riverside/policy/{rule}/{field}",
        json.dumps({"value": value, "reason": reason}),
        content_type="application/json",
    )


def test_an_admin_tightens_a_value_and_the_rule_uses_it(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    prescriber = sign_in(Client(), world.staff["prescriber"])
    run = lambda: prescriber.post(  # noqa: E731
        "/api/v1/rules/buprenorphine-readiness", json.dumps({"input": READY}), content_type="application/json"
    ).json()
    assert run()["decision"] == "ready"  # COWS 10 >= default 8
    response = put(admin, "buprenorphine-readiness", "cows_threshold", 12, "fentanyl in our supply")
    assert response.status_code == 200  # type: ignore[attr-defined]
    data = run()
    assert data["decision"] == "wait"
    assert data["policy"]["cows_threshold"] == 12
    change = PolicyChange.objects.get()
    assert (change.old_value, change.new_value, change.reason) == (8, 12, "fentanyl in our supply")
    event = AuditEvent.objects.filter(target_type="program_policy", action="update").get()
    assert event.target_id == "buprenorphine-readiness.cows_threshold"
    assert event.detail == {
        "old": 8,
        "new": 12,
    }


def test_a_nurse_cannot_change_policy_and_the_attempt_is_audited(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = put(nurse, "methadone-dose-check", "titration_step_max_mg", 5)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(target_type="program_policy", action="denied").count() == 1
    assert program_policy(world.riverside.pk, "methadone-dose-check")["titration_step_max_mg"] == 10


@pytest.mark.parametrize(
    ("rule", "field", "value", "reason", "bad"),
    [
        ("methadone-dose-check", "first_day_total_max_mg", 60, "x", "value"),  # past the federal ceiling
        ("naltrexone-readiness", "opioid_free_days", 5, "x", "value"),  # below the label minimum
        ("methadone-dose-check", "titration_step_max_mg", 5, "  ", "reason"),
        ("methadone-dose-check", "nope", 5, "x", "field"),
        ("early-warning", "craving_high_at", 5, "x", "rule"),
    ],
)
def test_bad_policy_values_are_refused_by_name(
    world: World, rule: str, field: str, value: object, reason: str, bad: str
) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = put(admin, rule, field, value, reason)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert bad in {e["field"] for e in response.json()["errors"]}  # type: ignore[attr-defined]
    assert not PolicyChange.objects.exists()


def test_the_api_cannot_loosen_the_stored_policy(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    put(admin, "buprenorphine-readiness", "cows_threshold", 12)
    prescriber = sign_in(Client(), world.staff["prescriber"])
    loose = prescriber.post(
        "/api/v1/rules/buprenorphine-readiness",
        json.dumps({"input": READY, "policy": {"cows_threshold": 8}}),
        content_type="application/json",
    )
    assert loose.status_code == 422
    assert loose.json()["errors"][0]["field"] == "policy.cows_threshold"
    strict = prescriber.post(
        "/api/v1/rules/buprenorphine-readiness",
        json.dumps({"input": {**READY, "cows_total": 14}, "policy": {"cows_threshold": 14}}),
        content_type="application/json",
    )
    assert strict.status_code == 200
    assert strict.json()["policy"]["cows_threshold"] == 14


def test_another_programs_policy_is_not_yours(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    response = admin.put(
        "/api/v1/programs/lakeside/policy/methadone-dose-check/titration_step_max_mg",
        json.dumps({"value": 5, "reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "program"
    assert sign_in(Client(), world.lakeside_nurse).get("/api/v1/programs/riverside/policy").status_code == 422


def test_staff_read_the_policy_with_provenance(world: World) -> None:
    data = sign_in(Client(), world.staff["counselor"]).get("/api/v1/programs/riverside/policy").json()
    first_day = next(v for v in data["values"] if v["field"] == "first_day_total_max_mg")
    assert (
        first_day["value"] == 40  # the label's first-day total (reference correction 6, third pass)
        and "correction 6" in first_day["provenance"]
        and first_day["stricter_is"] == "lower"
    )


def test_the_policy_page_and_cli(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    page = admin.get("/program/policy/").content.decode()
    assert "first_day_total_max_mg" in page
    assert 'name="reason"' in page
    assert (
        'name="reason"'
        not in sign_in(Client(), world.staff["nurse"]).get("/program/policy/").content.decode()
    )
    out = io.StringIO()
    call_command(
        "policy",
        "set",
        "--program",
        "riverside",
        "--by",
        "r-program_admin",
        "--rule",
        "methadone-dose-check",
        "--field",
        "titration_step_max_mg",
        "--value",
        "5",
        "--reason",
        "new protocol from the medical director",
        stdout=out,
    )
    assert "titration_step_max_mg = 5" in out.getvalue()
    out = io.StringIO()
    call_command("policy", "show", "--program", "riverside", "--by", "r-nurse", "--json", stdout=out)
    values = json.loads(out.getvalue())["values"]
    assert next(v for v in values if v["field"] == "titration_step_max_mg")["value"] == 5
    with pytest.raises(CommandError) as exc:
        call_command(
            "policy",
            "set",
            "--program",
            "riverside",
            "--by",
            "r-nurse",
            "--rule",
            "methadone-dose-check",
            "--field",
            "titration_step_max_mg",
            "--value",
            "20",
            "--reason",
            "x",
        )
    assert exc.value.returncode == 1


def override(client: Client, patient_id: int, **body: object) -> object:
    return client.post(
        f"/api/v1/patients/{patient_id}/policy-overrides", json.dumps(body), content_type="application/json"
    )


def test_a_prescriber_overrides_policy_for_one_patient_with_a_reason(world: World) -> None:
    from keel.treatment.queries.policy import effective_policy

    prescriber = sign_in(Client(), world.staff["prescriber"])
    body = {
        "rule": "buprenorphine-readiness",
        "field": "cows_threshold",
        "value": 13,
        "reason": "fentanyl use daily, stricter COWS",
    }
    assert override(prescriber, world.alice.pk, **body).status_code == 201  # type: ignore[attr-defined]
    assert effective_policy(world.alice, "buprenorphine-readiness")["cows_threshold"] == 13
    assert effective_policy(world.bob, "buprenorphine-readiness")["cows_threshold"] == 8  # only this patient
    event = AuditEvent.objects.get(target_type="patient_policy", action="create")
    assert event.patient_id == world.alice.pk
    # the typed reason is clinical text: on the override row only, never in the audit trail (review 19b)
    assert event.reason == "prescriber's reason recorded on the person's policy"
    again = override(
        prescriber, world.alice.pk, **{**body, "value": 10, "reason": "re-assessed after two weeks stable"}
    )
    assert again.status_code == 201  # type: ignore[attr-defined]
    assert (
        effective_policy(world.alice, "buprenorphine-readiness")["cows_threshold"] == 10
    )  # the old one revoked
    no_reason = override(prescriber, world.alice.pk, **{**body, "reason": " "})
    assert no_reason.status_code == 422  # type: ignore[attr-defined]
    federal = override(
        prescriber,
        world.alice.pk,
        rule="methadone-dose-check",
        field="first_day_total_max_mg",
        value=80,
        reason="x",
    )
    assert federal.status_code == 422  # type: ignore[attr-defined]
    nurse = sign_in(Client(), world.staff["nurse"])
    assert override(nurse, world.alice.pk, **body).status_code == 403  # type: ignore[attr-defined]
    assert override(prescriber, world.bob.pk, **body).status_code == 404  # type: ignore[attr-defined]
