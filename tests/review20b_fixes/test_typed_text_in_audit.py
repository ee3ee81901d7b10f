"""Fix 20c, holes 2 and 3: a typed instrument name or a program policy reason never reaches the audit trail,
by any route (service, API, a known code refused for the role)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from keel.assessments import services as assessments
from keel.audit.models import AuditEvent
from keel.core.instruments.registry import UnknownInstrument
from keel.treatment.models import PolicyChange
from keel.treatment.services import policy as policy_writes
from keel.web.audit_words import REASONS, reason_words
from tests.conftest import sign_in
from tests.review20b.conftest import CANARY, World


def _audit_text() -> str:
    return "\n".join(f"{e.reason} | {e.target_id}" for e in AuditEvent.objects.all())


def test_a_patients_typed_instrument_is_refused_as_unknown(world: World) -> None:
    with pytest.raises(UnknownInstrument):
        assessments.submit_assessment(by=world.patient_user, patient_id=None, instrument=CANARY, answers={})


def test_a_care_team_nurses_typed_instrument_writes_no_audit_text(world: World) -> None:
    with pytest.raises(UnknownInstrument):
        assessments.submit_assessment(
            by=world.nurse, patient_id=world.patient.pk, instrument=CANARY, answers={}
        )
    assert CANARY not in _audit_text()


def test_the_patients_api_names_the_instrument_field(world: World) -> None:
    client = sign_in(Client(), world.patient_user)
    body = json.dumps({"instrument": CANARY, "answers": {}})
    response = client.post("/api/v1/me/assessments", body, content_type="application/json")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["instrument"])


def test_the_apis_refusal_does_not_repeat_the_typed_text(world: World) -> None:
    client = sign_in(Client(), world.patient_user)
    body = json.dumps({"instrument": CANARY, "answers": {}})
    response = client.post("/api/v1/me/assessments", body, content_type="application/json")
    assert CANARY not in response.content.decode()


def test_the_apis_refusal_writes_no_audit_text(world: World) -> None:
    client = sign_in(Client(), world.patient_user)
    body = json.dumps({"instrument": CANARY, "answers": {}})
    client.post("/api/v1/me/assessments", body, content_type="application/json")
    assert CANARY not in _audit_text()


def test_the_staff_api_names_the_instrument_field(world: World) -> None:
    client = sign_in(Client(), world.nurse)
    body = json.dumps({"instrument": CANARY, "answers": {}})
    response = client.post(
        f"/api/v1/patients/{world.patient.pk}/assessments", body, content_type="application/json"
    )
    assert response.status_code == 422


def test_a_known_code_the_role_may_not_record_is_refused_in_fixed_words(world: World) -> None:
    with pytest.raises(assessments.NotAllowed):
        assessments.submit_assessment(by=world.patient_user, patient_id=None, instrument="cows", answers={})
    row = AuditEvent.objects.filter(action="denied", target_type="assessment").latest("id")
    assert reason_words(row.reason) != row.reason  # Keel's own words, not the stored text


def _set_policy(world: World) -> None:
    policy_writes.set_value(
        by=world.admin,
        program_slug=world.program.slug,
        rule="buprenorphine-readiness",
        field="cows_threshold",
        value=10,
        reason=f"after {CANARY}'s overdose on 3 Nov",
    )


def test_the_policy_changes_audit_row_has_fixed_words(world: World) -> None:
    _set_policy(world)
    row = AuditEvent.objects.filter(target_type="program_policy", action="update").latest("id")
    assert row.reason == "admin's reason recorded on the policy change"


def test_the_fixed_words_are_on_the_audit_page(world: World) -> None:
    assert "admin's reason recorded on the policy change" in REASONS


def test_the_typed_reason_stays_on_the_policy_change(world: World) -> None:
    _set_policy(world)
    assert CANARY in PolicyChange.objects.latest("id").reason


def test_the_policy_api_writes_no_audit_text(world: World) -> None:
    client = sign_in(Client(), world.admin)
    body = json.dumps({"value": 9, "reason": f"after {CANARY}'s overdose on 3 Nov"})
    client.put(
        f"/api/v1/programs/{world.program.slug}/policy/buprenorphine-readiness/cows_threshold",
        body,
        content_type="application/json",
    )
    assert CANARY not in _audit_text()
