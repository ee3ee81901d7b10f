"""Review 32c set-up (a copy of review 32b's): a consent signed for Alice by someone (rows: the history,
not the behaviour under test), and her death recorded through the API as a clinician records it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from keel.patients.models import local_today
from keel.sharing.models import Consent
from tests.conftest import World


def consent_for_alice(world: World, recipient: str, categories: list[str], **signer: str) -> Consent:
    """A consent for Alice to `recipient` for treatment, signed a week ago, ending in a year; `signer`: a
    representative's name, relationship and authority (empty: Alice signed)."""
    alice = world.alice
    return Consent.objects.create(
        patient=alice,
        program=world.riverside,
        recipient_name=recipient,
        purpose="treatment",
        purpose_text="",
        categories=categories,
        expires_on=local_today(alice) + timedelta(days=365),
        signature=signer.get("representative_name") or "Alicia Zamorano",
        form_version="2024-1",
        statements=["statement"],
        signed_by=world.staff["counselor"],
        signed_at=timezone.now() - timedelta(days=7),
        **signer,
    )


def record_death(client: Client, world: World) -> Any:
    """The nurse's session records Alice's death today (the discharge's reason `deceased`)."""
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        {"reason": "deceased", "ended_on": local_today(world.alice).isoformat()},
        content_type="application/json",
    )
