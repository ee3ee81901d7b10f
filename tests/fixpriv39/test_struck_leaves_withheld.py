"""Lane fixpriv39 (review rev39b hole 1, the integrator's decision): a result struck as entered in error
leaves the program marked `entered-in-error` (so a recipient can retract an earlier copy) without its
answers, total, band or item values, on every route that releases (the JSON API's export, and /fhir/R4 read
by a token bound to a recipient: `$everything`, a read, a search), as in her own copy: one definition,
`policy.withholds_struck_content`. The care team reading inside the program still sees it, marked."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.core import sharing
from keel.patients.models import local_today
from keel.sharing.models import Consent
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev39b.test_hole_1 import _struck_screen

pytestmark = pytest.mark.django_db
ACME = "Acme Treatment Clinic"
R4 = "/fhir/R4"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def _bound(world: World) -> tuple[Consent, Client]:
    consent = Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=ACME,
        purpose="treatment",
        categories=[sharing.RECORD],
        expires_on=local_today(world.alice) + timedelta(days=365),
        signature="Alicia Zamorano",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.alice.user,
        signed_at=timezone.now() - timedelta(days=7),
    )
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=ACME).secret
    return consent, Client(HTTP_AUTHORIZATION=f"Bearer {secret}")  # type: ignore[arg-type]


def _struck_content(resources: list[dict[str, Any]], pk: int) -> list[str]:
    """What of the struck result is told: its answers, or an Observation with a value or a band."""
    mine = f"assessment-{pk}"
    out = [r["id"] for r in resources if r["id"] == mine and r.get("item")]
    out += [
        r["id"]
        for r in resources
        if r["resourceType"] == "Observation"
        and r["id"].startswith(mine + "-")
        and any(key.startswith(("value", "interpretation", "component")) for key in r)
    ]
    return out


def test_everything_by_a_bound_token_leaves_a_struck_result_marked_without_content(world: World) -> None:
    consent, client = _bound(world)
    struck = _struck_screen(world)
    params = {"basis": "consent", "consent": str(consent.pk), "recipient_name": ACME, "purpose": "treatment"}
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": k, "valueString": v} for k, v in params.items()],
    }
    answer = client.post(
        f"{R4}/Patient/{world.alice.pk}/$everything?_count=200",
        json.dumps(body),
        content_type="application/fhir+json",
    )
    assert answer.status_code == 200, answer.content[:300]
    resources = [e["resource"] for e in answer.json()["entry"]]
    kept = [r for r in resources if r["id"] == f"assessment-{struck.pk}"]
    assert [r["status"] for r in kept] == ["entered-in-error"]
    assert _struck_content(resources, struck.pk) == []


def test_a_read_by_a_bound_token_leaves_a_struck_response_without_its_answers(world: World) -> None:
    consent, client = _bound(world)
    struck = _struck_screen(world)
    answer = client.get(
        f"{R4}/QuestionnaireResponse/assessment-{struck.pk}", HTTP_KEEL_CONSENT=str(consent.pk)
    )
    assert answer.status_code == 200, answer.content[:300]
    found = answer.json()
    assert found["status"] == "entered-in-error"
    assert not found.get("item")


def test_a_search_by_a_bound_token_leaves_no_struck_score(world: World) -> None:
    consent, client = _bound(world)
    struck = _struck_screen(world)
    answer = client.get(f"{R4}/Observation?patient={world.alice.pk}", HTTP_KEEL_CONSENT=str(consent.pk))
    assert answer.status_code == 200, answer.content[:300]
    resources = [e["resource"] for e in answer.json().get("entry", [])]
    assert _struck_content(resources, struck.pk) == []


def test_the_care_team_inside_the_program_still_sees_it_marked(world: World) -> None:
    struck = _struck_screen(world)
    client = sign_in(Client(), world.staff["prescriber"])
    answer = client.get(f"{R4}/QuestionnaireResponse/assessment-{struck.pk}")
    assert answer.status_code == 200, answer.content[:300]
    found = answer.json()
    assert found["status"] == "entered-in-error"
    assert found.get("item"), "the care team's own view keeps the struck answers, marked"
