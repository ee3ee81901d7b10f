"""Lane priv31: a `$everything` next link re-checks its consent over HTTP. A consent that ends (its last day
passes), is revoked, or whose representative signer lost authority (a death recorded; lane priv31) between
the first page and the next stops the next page with the same refusal a first page gets under that consent
(422 naming `consent`, the same words), audited like it, and nothing more leaves."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.audit.models import AuditEvent, Outcome
from keel.core import sharing
from keel.patients.models import local_today, zone_of
from keel.sharing.models import Consent, ConsentRevocation, Disclosure
from keel.sharing.services.consents import record_paper_consent
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.patients.test_undo_death_dead29b import _record_death

pytestmark = pytest.mark.django_db
RECIPIENT = "Valley Primary Care"
R4 = "/fhir/R4"


def _consent(world: World, expires_on: date) -> Consent:
    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=RECIPIENT,
        purpose="treatment",
        categories=[sharing.RECORD],
        expires_on=expires_on,
        signature="Alicia Zamorano",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.alice.user,
        signed_at=timezone.now() - timedelta(days=1),
    )


def _guardians(world: World) -> Consent:
    raw = {
        "signer": "representative",
        "representative_name": "Teodora Salinas",
        "representative_relationship": "guardian",
        "representative_authority": "Letters of guardianship from the county probate court",
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "categories": [sharing.RECORD],
        "expires_on": (local_today(world.alice) + timedelta(days=90)).isoformat(),
        "signature": "Teodora Salinas",
        "understood": True,
    }
    return record_paper_consent(by=world.staff["counselor"], patient_id=world.alice.pk, raw=raw)


def _body(consent: Consent) -> str:
    params = {
        "basis": "consent",
        "consent": str(consent.pk),
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
    }
    parameter = [{"name": k, "valueString": v} for k, v in params.items()]
    return json.dumps({"resourceType": "Parameters", "parameter": parameter})


def _client(world: World) -> Client:
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=RECIPIENT).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")  # type: ignore[arg-type]


def _pull(client: Client, world: World, consent: Consent) -> Any:
    return client.post(
        f"{R4}/Patient/{world.alice.pk}/$everything?_count=1",
        _body(consent),
        content_type="application/fhir+json",
    )


def _first_page(world: World, consent: Consent) -> tuple[Client, str]:
    """Two pages at least (a medication order), the first pulled; the next link back."""
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60")
    client = _client(world)
    first = _pull(client, world, consent)
    assert first.status_code == 200, first.content[:300]
    following = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    return client, following.removeprefix("http://testserver")


def _said(answer: Any) -> tuple[int, list[str], str]:
    issue = answer.json()["issue"][0]
    return answer.status_code, issue["expression"], issue["diagnostics"]


def _denied(world: World) -> list[str]:
    rows = AuditEvent.objects.filter(patient_id=world.alice.pk, outcome=Outcome.DENIED, target_type="fhir")
    return list(rows.order_by("id").values_list("reason", flat=True))


def _evening(world: World) -> tuple[date, datetime]:
    """The consent's last day (ten days on) and 23:40 that evening in the program's zone."""
    last = local_today(world.alice) + timedelta(days=10)
    return last, datetime.combine(last, time(23, 40), tzinfo=zone_of(world.alice)).astimezone(UTC)


def _after_the_end(world: World) -> tuple[Any, Any]:
    """The next page and a first pull, both once the consent's last day has passed (the link still fresh)."""
    last, evening = _evening(world)
    with time_machine.travel(evening, tick=False) as clock:
        consent = _consent(world, last)
        client, following = _first_page(world, consent)
        clock.move_to(evening + timedelta(minutes=40))
        return client.get(following), _pull(client, world, consent)


def _after_revocation(world: World) -> tuple[Any, Any]:
    consent = _consent(world, local_today(world.alice) + timedelta(days=90))
    client, following = _first_page(world, consent)
    ConsentRevocation.objects.create(consent=consent, revoked_by=world.alice.user, revoked_at=timezone.now())
    return client.get(following), _pull(client, world, consent)


def _after_death(world: World) -> tuple[Any, Any]:
    consent = _guardians(world)
    client, following = _first_page(world, consent)
    _record_death(world)
    return client.get(following), _pull(client, world, consent)


CHANGES = {"ended": _after_the_end, "revoked": _after_revocation, "signer's authority ended": _after_death}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_next_page_is_refused_naming_the_consent(world: World, change: str) -> None:
    following, _first = CHANGES[change](world)
    assert _said(following)[:2] == (422, ["consent"])


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_next_page_says_what_a_first_page_says(world: World, change: str) -> None:
    following, first = CHANGES[change](world)
    assert _said(following) == _said(first)


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_next_pages_refusal_is_audited_as_a_first_pages(world: World, change: str) -> None:
    CHANGES[change](world)
    next_row, first_row = _denied(world)[-2:]
    assert next_row == first_row


@pytest.mark.parametrize("change", list(CHANGES))
def test_nothing_more_leaves(world: World, change: str) -> None:
    CHANGES[change](world)
    assert Disclosure.objects.filter(patient=world.alice).count() == 1


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_next_page_carries_nothing_of_the_record(world: World, change: str) -> None:
    following, _first = CHANGES[change](world)
    assert "methadone" not in following.content.decode()
