"""Review 20c fix: the JSON API's export by an API token follows the one token, one recipient rule too."""

from __future__ import annotations

import json
from typing import Any

from keel.sharing.models import Disclosure
from tests.review20c_fixes.helpers import client_for, consent


def _export(client: Any, w: dict[str, Any], c: Any) -> Any:
    body = {
        "basis": "consent",
        "consent": c.pk,
        "recipient_name": c.recipient_name,
        "purpose": c.purpose,
        "password": "x-Long-pass-123!",
    }
    return client.post(
        f"/api/v1/patients/{w['patient'].pk}/fhir/export", json.dumps(body), content_type="application/json"
    )


def test_a_bound_token_exports_under_its_recipients_consent(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="County HIE")
    assert _export(client, world, consent(world)).status_code == 200


def test_a_bound_token_cannot_export_under_another_recipients_consent(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="County HIE")
    assert (
        _export(client, world, consent(world, "Acme Employer", "employment")).status_code == 404
    )  # review 31b H2-H3 (was 403)


def test_the_refused_export_writes_no_disclosure(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"], recipient_name="County HIE")
    _export(client, world, consent(world, "Acme Employer", "employment"))
    assert not Disclosure.objects.exists()


def test_a_fhir_read_then_an_api_export_to_another_recipient_is_refused(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    hie = consent(world)
    client.get(f"/fhir/R4/Patient/{world['patient'].pk}", HTTP_KEEL_CONSENT=str(hie.pk))
    assert (
        _export(client, world, consent(world, "Acme Employer", "employment")).status_code == 404
    )  # review 31b H2-H3 (was 403)
