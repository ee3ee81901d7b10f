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
        data=SecondFactorResetIn.posted(
            {"reason": typed, "identity_checked": "on", "password": "correct horse battery staple 42"}
        ),
    )
    row = AuditEvent.objects.filter(target_type="mfa", action="update").latest("id")
    assert "overdose" not in row.reason


def test_fhir_read_of_a_malformed_id_does_not_copy_the_typed_text_into_the_audit_row(world: Any) -> None:
    from django.test import Client

    from keel.audit.models import AuditEvent
    from tests.conftest import sign_in

    client = sign_in(Client(), world.staff["nurse"])
    answer = client.get(
        "/fhir/R4/Patient/Roberto%20Quintanilla%20relapsed", HTTP_ACCEPT="application/fhir+json"
    )
    assert answer.status_code == 404
    row = AuditEvent.objects.filter(target_type="fhir", outcome="denied").latest("id")
    assert "Quintanilla" not in row.target_id


def test_request_log_path_does_not_carry_text_typed_into_a_fhir_id() -> None:
    from keel.web.logs import safe_path

    # request.path as Django decodes it for GET /fhir/R4/Patient/Roberto%20Quintanilla%20relapsed
    assert "Quintanilla" not in safe_path("/fhir/R4/Patient/Roberto Quintanilla relapsed")
