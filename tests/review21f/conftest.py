"""Review 21f's helpers: a consent of Alice's (or anyone's) to a recipient, made relative to today, and a
staff member's API token, used as another system uses it (a Bearer token and the Keel-Consent header)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.core import sharing as core
from keel.patients.models import local_today
from keel.sharing.models import Consent, ConsentRevocation

FHIR = "/fhir/R4/"


def consent_for(
    patient: Any,
    recipient: str = "Acme Health Information Exchange",
    *,
    purpose: str = "treatment",
    categories: tuple[str, ...] = (core.RECORD,),
    days: int = 300,
    revoked: bool = False,
) -> Consent:
    """A consent the patient signed just now, expiring `days` after their today (negative: already
    expired)."""
    now = timezone.now()
    consent = Consent.objects.create(
        patient=patient,
        program_id=patient.program_id,
        recipient_name=recipient,
        purpose=purpose,
        purpose_text="",
        categories=list(categories),
        expires_on=local_today(patient, now) + timedelta(days=days),
        signature=f"{patient.given_name} {patient.family_name}",
        form_version=core.FORM_VERSION,
        statements=[],
        language="en",
        signed_by=patient.user,
        signed_at=now - timedelta(days=max(0, -days) + 1),
    )
    if revoked:
        ConsentRevocation.objects.create(consent=consent, revoked_by=patient.user, revoked_at=now)
    return consent


def token_of(user: Any, recipient: str = "Acme Health Information Exchange") -> str:
    """Set-up (review 25b, H5): another system's token is issued for its recipient, `consent_for`'s by
    default (a token issued for none releases nothing)."""
    return accounts.create_token(user=user, name="another system", recipient_name=recipient).secret


def system_get(path: str, secret: str, consent: object | None = None, method: str = "get") -> Any:
    """A GET (or HEAD) by another system holding `secret`, naming `consent` in Keel-Consent when given."""
    headers: dict[str, str] = {
        "HTTP_AUTHORIZATION": f"Bearer {secret}",
        "HTTP_ACCEPT": "application/fhir+json",
    }
    if consent is not None:
        headers["HTTP_KEEL_CONSENT"] = str(consent)
    client = Client()
    return getattr(client, method)(FHIR + path, **headers)


def everything_post(patient_id: object, secret: str, consent: Consent | None, recipient: str) -> Any:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueString": str(consent.pk if consent else 999999)},
            {"name": "recipient_name", "valueString": recipient},
            {"name": "purpose", "valueCode": "treatment"},
        ],
    }
    import json

    return Client().post(
        f"{FHIR}Patient/{patient_id}/$everything",
        data=json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT="application/fhir+json",
    )
