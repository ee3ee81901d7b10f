"""Review 33b: what held (fix32b, fix32c on other routes): a read by id of the imported response's Provenance,
a next page of `$everything` after a consent to another recipient is signed, and that next page replayed with
the same staff member's token bound to that other recipient."""

from __future__ import annotations

import json

from django.test import Client

from keel.accounts.services.tokens import create_token
from tests.conftest import World, sign_in
from tests.review33b._setup import COURT, acme_token, consent_for_alice, court_phq9, everything_basis

HARBOR = "Harbor Family Court Probation"


def test_provenance_read_by_id_names_no_court(world: World) -> None:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    filed = court_phq9(world, sign_in(Client(), world.staff["counselor"]))
    read = Client().get(
        f"/fhir/R4/Provenance/{filed.json()['provenance']['id']}",
        HTTP_AUTHORIZATION=f"Bearer {acme_token(world)}",
        HTTP_KEEL_CONSENT=str(acme.pk),
    )
    assert read.status_code == 200
    assert COURT not in read.content.decode()


def _next_link(world: World, secret: str) -> str:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    first = Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count=2",
        json.dumps(everything_basis(acme)),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    return str(next(link["url"] for link in first.json()["link"] if link["relation"] == "next"))


def test_next_page_after_a_consent_to_another_carries_none(world: World) -> None:
    secret = acme_token(world)
    link = _next_link(world, secret)
    consent_for_alice(world, HARBOR, ["record"])
    page = Client().get(link, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert page.status_code == 200
    assert HARBOR not in page.content.decode()


def test_next_link_replayed_by_a_token_for_another_recipient_is_refused(world: World) -> None:
    link = _next_link(world, acme_token(world))
    other = create_token(user=world.staff["counselor"], recipient_name=HARBOR).secret
    assert Client().get(link, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 403
