"""Review 17a: break-the-glass access must not put a sharing consent on a person's record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_cannot_record_a_paper_consent(world: Any) -> None:
    """Scenario: a Riverside nurse not on Bob's care team breaks the glass on his record, then enters a
    "paper" consent for Bob naming his employer as recipient for the whole record
    (`sharing.record_paper_consent`, whose getter `_for_staff` passes emergency_access=True), a consent the
    docs reserve to counselors, nurses and prescribers *on the team*. With it she (or anyone) can then
    disclose or export under that consent. Safe outcome: refused, no Consent row written."""
    from keel.sharing.models import Consent
    from keel.sharing.services import emergency_access
    from keel.sharing.services.consents import record_paper_consent

    nurse = world.staff["nurse"]
    bob = world.bob
    emergency_access(
        by=nurse, record_number=bob.record_number, reason="found unresponsive in the lobby", password=PASSWORD
    )
    raw = {
        "recipient_name": "Acme Logistics HR",
        "purpose": "employment",
        "categories": ["record", "medication"],
        "expires_on": (timezone.now().date() + timedelta(days=60)).isoformat(),
        "signature": "Roberto Quintanilla",
        "understood": True,
    }
    before = Consent.objects.filter(patient=bob).count()
    refused = False
    try:
        record_paper_consent(by=nurse, patient_id=bob.pk, raw=raw)
    except Exception as exc:
        refused = "invalid" not in type(exc).__name__.lower()
        if not refused:
            raise
    assert refused
    assert Consent.objects.filter(patient=bob).count() == before
