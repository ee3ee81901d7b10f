"""Small builders shared by the review 20c fix tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from keel.accounts import services as accounts
from keel.core import sharing
from keel.sharing.models import Consent

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def consent(w: dict[str, Any], recipient: str = "County HIE", purpose: str = "treatment") -> Consent:
    return Consent.objects.create(
        patient=w["patient"],
        program=w["program"],
        recipient_name=recipient,
        purpose=purpose,
        categories=[sharing.RECORD],
        expires_on=datetime.now(UTC).date() + timedelta(days=300),
        signature="Rosa Quintanilla",
        form_version="1",
        statements=[],
        signed_by=w["staff"]["prescriber"],
        signed_at=datetime.now(UTC) - timedelta(days=1),
    )


def client_for(user: Any, recipient_name: str = "County HIE") -> tuple[Client, str]:
    """Set-up (review 25b, H5): another system's token is issued for its recipient, `consent`'s by default
    (a token issued for none releases nothing)."""
    secret = accounts.create_token(user=user, recipient_name=recipient_name).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), secret


def basis_body(c: Consent) -> str:
    return json.dumps(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "basis", "valueCode": "consent"},
                {"name": "consent", "valueString": str(c.pk)},
                {"name": "recipient_name", "valueString": c.recipient_name},
                {"name": "purpose", "valueCode": c.purpose},
            ],
        }
    )


def revoke(c: Consent, by: Any) -> None:
    from keel.sharing.models import ConsentRevocation

    ConsentRevocation.objects.create(consent=c, revoked_by=by, revoked_at=datetime.now(UTC))
