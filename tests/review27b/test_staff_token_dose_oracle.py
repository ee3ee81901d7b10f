"""Review 27b: what a staff member's API token (a dispensing system) hears from `POST .../doses` (lane tok27,
fix26a: such a token reads no person; a refusal that depends on the record is said as REFUSED_UNREAD)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from keel.accounts import services as accounts


def test_a_staff_tokens_dose_refused_for_want_of_an_order_does_not_say_so(world: Any) -> None:
    """`may_hear_the_record` promises a staff token never hears "a 422 naming what the record holds". A
    dose posted for a person with no active order answers the token 422 "no active order for this
    medication: a prescriber writes one first" (field `order`): posting methadone then buprenorphine for
    each patient id reads who is on which medication (who is in opioid treatment at all: 42 CFR Part 2)
    with a credential that may read no one. It should hear the same REFUSED_UNREAD as any other refusal
    that depends on the record."""
    secret = accounts.create_token(user=world.staff["nurse"]).secret
    response = Client().post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": 30, "sequence": 1, "medication": "buprenorphine"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code in (409, 422)
    body = response.content.decode()
    assert "order" not in body, body
