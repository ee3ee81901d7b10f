"""Review 14a: a transfer discharge (DischargeIn) with a live consent, then with the same consent revoked:
the revoked one is refused naming the consent, the episode stays open and no disclosure is written."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.test import Client

from keel.core import sharing as core
from tests.conftest import PASSWORD, World, sign_in


def _consent(world: World) -> Any:
    from keel.sharing import services

    return services.sign_consent(
        by=world.alice.user,
        raw={
            "recipient_name": "Valley Clinic",
            "purpose": "treatment",
            "categories": sorted({*core.CATEGORIES, core.RECORD}),
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
            "signature": f"{world.alice.given_name} {world.alice.family_name}",
            "understood": True,
        },
    )


def _discharge(c: Client, world: World, body: dict[str, Any]) -> Any:
    return c.post(
        f"/api/v1/patients/{world.alice.pk}/discharge", data=json.dumps(body), content_type="application/json"
    )


def _body(consent: Any) -> dict[str, Any]:
    return {
        "reason": "transferred",
        "consent": consent,
        "recipient_name": "Valley Clinic",
        "password": PASSWORD,
    }


def test_transfer_with_revoked_consent_refused_nothing_written(world: World) -> None:
    from keel.patients.models import Enrollment
    from keel.sharing import services
    from keel.sharing.models import Disclosure

    consent = _consent(world)
    services.revoke_consent(by=world.alice.user, consent_id=consent.pk)
    before = Disclosure.objects.count()
    r = _discharge(sign_in(Client(), world.staff["nurse"]), world, _body(consent.pk))
    assert r.status_code == 422, r.content
    assert "consent" in [e["field"] for e in r.json()["errors"]]
    assert Disclosure.objects.count() == before
    assert Enrollment.objects.filter(patient=world.alice, status="active").exists()


def test_transfer_consent_id_as_text_or_float(world: World) -> None:
    """The published schema says consent is an integer: "7" or 7.0 is refused by name, not read as 7."""
    from keel.patients.models import Enrollment

    consent = _consent(world)
    c = sign_in(Client(), world.staff["nurse"])
    for value in (str(consent.pk), float(consent.pk) + 0.4):
        r = _discharge(c, world, _body(value))
        assert r.status_code == 422, (value, r.status_code, r.content[:300])
        assert "consent" in [e["field"] for e in r.json()["errors"]]
        assert Enrollment.objects.filter(patient=world.alice, status="active").exists()


def test_transfer_with_live_consent_accepted(world: World) -> None:
    consent = _consent(world)
    r = _discharge(sign_in(Client(), world.staff["nurse"]), world, _body(consent.pk))
    assert r.status_code == 200, r.content
    assert r.json()["end_reason"] == "transferred"
