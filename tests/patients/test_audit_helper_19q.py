"""Session 19q: the policy override for one person and the readmission write their audit rows through the
one audit helper (`keel.audit.services.record_for_patient`), not by hand;
each row's content is what it was."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit import services as audit
from keel.audit.models import AuditEvent
from keel.treatment.services.policy import override_for_patient
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOW = "2026-03-10T16:00:00+00:00"


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def helper_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    real = audit.record_for_patient

    def spy(actor: Any, patient: Any, action: Any, target_type: str, *args: Any, **kw: Any) -> Any:
        calls.append((target_type, kw.get("reason")))
        return real(actor, patient, action, target_type, *args, **kw)

    monkeypatch.setattr(audit, "record_for_patient", spy)
    return calls


def _override(world: World) -> Any:
    return override_for_patient(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        rule="methadone-dose-check",
        field="titration_step_max_mg",
        value=5,
        reason="slower titration: older person with COPD, agreed with the person",
    )


def test_the_policy_override_is_audited_through_the_helper(world: World, helper_calls: Any) -> None:
    _override(world)
    assert [c for c in helper_calls if c[0] == "patient_policy"] != []


def test_the_policy_overrides_row_is_unchanged(world: World) -> None:
    row = _override(world)
    event = AuditEvent.objects.filter(target_type="patient_policy").order_by("-id").first()
    assert event is not None
    assert (event.action, event.outcome, event.patient_id, event.program_id, event.target_id) == (
        "create",
        "success",
        world.alice.pk,
        world.alice.program_id,
        str(row.pk),
    )
    # review 19b hole 4: the typed reason stays on the override row; the audit row says where it is
    assert event.reason == "prescriber's reason recorded on the person's policy"
    assert event.detail == {"rule": "methadone-dose-check", "field": "titration_step_max_mg", "value": 5}
    assert event.through_emergency is False


def _discharge_and_readmit(world: World) -> Any:
    client = sign_in(Client(), world.staff["nurse"])
    post = lambda path, body: client.post(path, json.dumps(body), content_type="application/json")  # noqa: E731
    assert post(f"/api/v1/patients/{world.alice.pk}/discharge", {"reason": "completed"}).status_code < 300
    return post(f"/api/v1/patients/{world.alice.pk}/readmit", {"notice_given": True, "consented": True})


def test_the_readmission_is_audited_through_the_helper(world: World, helper_calls: Any) -> None:
    assert _discharge_and_readmit(world).status_code == 201
    assert ("enrollment", "readmitted") in helper_calls


def test_the_readmissions_row_is_unchanged(world: World) -> None:
    response = _discharge_and_readmit(world)
    event = AuditEvent.objects.get(target_type="enrollment", reason="readmitted")
    assert (event.action, event.outcome, event.patient_id, event.program_id, event.target_id) == (
        "create",
        "success",
        world.alice.pk,
        world.alice.program_id,
        str(response.json()["id"]),
    )
    assert event.detail == {"notice_given": True, "consented": True}
    assert event.through_emergency is False
