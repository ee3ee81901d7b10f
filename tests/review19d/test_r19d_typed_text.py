"""Review 19d: typed free text never copied into an audit row (the row says where the reason is)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_second_factor_reset_audit_row_does_not_copy_the_typed_reason(world: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from keel.audit.models import AuditEvent
    from keel.patients.schemas import SecondFactorResetIn
    from keel.patients.services import second_factor

    TOTPDevice.objects.create(user=world.alice.user, name="phone", confirmed=True)
    typed = "lost her phone during the overdose admission at St Mary's"
    second_factor.reset_second_factor(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        data=SecondFactorResetIn.posted({"reason": typed, "identity_checked": "on"}),
    )
    row = AuditEvent.objects.filter(target_type="mfa", action="update").latest("id")
    assert "overdose" not in row.reason
