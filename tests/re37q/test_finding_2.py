"""re37q finding 2: a code voided at its store (`void_if_giver_may_not`: its giver was turned off meanwhile)
is not texted, rightly, but the auditor's trail still says it was: the activation_code CREATE row is written
before the giver is asked again, with `sent_by_text: True`, and nothing corrects it (the voiding row that
follows has no actor). The desk is also handed the dead code to print (`IssuedCode` returned as if live)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keel.accounts import staff
from keel.audit.models import Action, AuditEvent
from keel.patients.services import activation
from tests.accounts.test_leaver_codes_fix37e import _record, _works
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_voided_at_store_code_is_audited_as_texted(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path
) -> None:
    settings.KEEL_SMS_BACKEND = "keel.reminders.channels.FileSms"
    settings.KEEL_SMS_FILE = tmp_path / "sms.jsonl"
    nurse = world.staff["nurse"]
    patient = _record(world)
    patient.phone = "+15555550199"
    patient.save()
    checked = activation._check_may_have_code

    def check_then_deactivated(by, record):  # type: ignore[no-untyped-def]
        checked(by, record)
        staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)

    monkeypatch.setattr(activation, "_check_may_have_code", check_then_deactivated)
    issued = activation.issue_activation_code(
        by=nurse, patient_id=patient.pk, send_by_text=True, activate_url="https://k/a"
    )
    assert not _works("activation", issued.code, world)  # the fix holds: the code never works
    assert not (tmp_path / "sms.jsonl").exists()  # and nothing was texted
    row = AuditEvent.objects.get(
        target_type="activation_code", action=Action.CREATE, target_id=str(issued.row.pk)
    )
    # the trail must not say a text went to the person's phone when none did
    assert json.loads(json.dumps(row.detail)).get("sent_by_text") is not True
