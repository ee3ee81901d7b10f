"""Lane priv34: a search under a consent by another system's token that releases nothing of hers (it matches
nothing, or only what the release does not carry, or it is a page past the last match) writes no Disclosure
row, so her "who saw my record" page never says a recipient received her record when nothing left; the
access is still audited (a read, naming the consent). A search that releases something is accounted as
before, on every search route."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from keel.audit.models import Action, AuditEvent
from keel.core import disclosure_words as words
from keel.interop.rest.params import SEARCH_PARAMS
from keel.sharing.models import Consent, Disclosure
from keel.sharing.services.releases import NOTHING_RELEASED
from tests.conftest import World, sign_in
from tests.review33b._setup import acme_token, consent_for_alice

pytestmark = pytest.mark.django_db
R4 = "/fhir/R4"
BY_PATIENT = sorted(t for t in SEARCH_PARAMS if t != "Patient")


def _search(world: World, consent: Consent, path: str) -> Any:
    return Client().get(
        f"{R4}/{path}",
        HTTP_AUTHORIZATION=f"Bearer {acme_token(world)}",
        HTTP_KEEL_CONSENT=str(consent.pk),
    )


def _acme(world: World) -> Consent:
    return consent_for_alice(world, "Acme Health", ["record"])


def _looked(world: World) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(patient_id=world.alice.pk, reason=NOTHING_RELEASED))


@pytest.mark.parametrize("kind", BY_PATIENT)
def test_a_search_matching_nothing_writes_no_disclosure(world: World, kind: str) -> None:
    acme = _acme(world)
    answer = _search(world, acme, f"{kind}?patient={world.alice.pk}&_id=none-such")
    assert answer.status_code == 200
    assert (answer.json().get("entry"), answer.json()["total"]) == (None, 0)
    assert not Disclosure.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize("kind", BY_PATIENT)
def test_a_search_matching_nothing_is_audited_as_a_read_under_the_consent(world: World, kind: str) -> None:
    acme = _acme(world)
    _search(world, acme, f"{kind}?patient={world.alice.pk}&_id=none-such")
    (row,) = _looked(world)
    assert (row.action, row.target_type, row.outcome) == (Action.READ, "fhir", "success")
    assert (row.detail["consent_id"], row.detail["disclosure_id"], row.detail["resources"]) == (
        acme.pk,
        None,
        [],
    )
    assert not AuditEvent.objects.filter(patient_id=world.alice.pk, action=Action.EXPORT).exists()


def test_a_patient_search_matching_nothing_writes_no_disclosure(world: World) -> None:
    acme = _acme(world)
    answer = _search(world, acme, f"Patient?_id={world.alice.pk}&family=Nobody")
    assert (answer.status_code, answer.json()["total"]) == (200, 0)
    assert not Disclosure.objects.filter(patient=world.alice).exists()
    assert len(_looked(world)) == 1


def test_a_patient_search_finding_her_is_a_disclosure(world: World) -> None:
    acme = _acme(world)
    answer = _search(world, acme, f"Patient?_id={world.alice.pk}")
    assert len(answer.json()["entry"]) == 1
    (row,) = Disclosure.objects.filter(patient=world.alice)
    assert row.description == words.read_by_a_system("Patient")
    assert not _looked(world)


def test_a_search_matching_only_what_the_release_does_not_carry_writes_no_disclosure(world: World) -> None:
    acme = _acme(world)
    court = consent_for_alice(world, "Harbor Family Court Probation", ["medication"])
    answer = _search(world, acme, f"Consent?patient={world.alice.pk}&_id=consent-{court.pk}")
    assert (answer.status_code, answer.json()["total"]) == (200, 0)
    assert not Disclosure.objects.filter(patient=world.alice).exists()


def test_a_search_that_releases_her_consent_is_a_disclosure(world: World) -> None:
    acme = _acme(world)
    answer = _search(world, acme, f"Consent?patient={world.alice.pk}")
    assert len(answer.json()["entry"]) == 1
    (row,) = Disclosure.objects.filter(patient=world.alice)
    assert row.description == words.read_by_a_system("Consent")


def test_asking_only_how_many_she_has_is_a_disclosure(world: World) -> None:
    acme = _acme(world)
    answer = _search(world, acme, f"Consent?patient={world.alice.pk}&_count=0")
    assert (answer.json().get("entry"), answer.json()["total"]) == (None, 1)
    assert Disclosure.objects.filter(patient=world.alice).count() == 1


def test_a_page_past_the_last_match_writes_nothing_and_says_no_total(world: World) -> None:
    acme = _acme(world)
    first = _search(world, acme, f"Consent?patient={world.alice.pk}&_count=1")
    past = _search(world, acme, f"Consent?patient={world.alice.pk}&_count=1&_offset=1")
    assert len(first.json()["entry"]) == 1
    assert past.status_code == 200
    assert "entry" not in past.json() and "total" not in past.json()
    assert Disclosure.objects.filter(patient=world.alice).count() == 1
    assert len(_looked(world)) == 1


def test_a_page_with_matches_keeps_its_total(world: World) -> None:
    acme = _acme(world)
    consent_for_alice(world, "acme health", ["medication"])  # her other consent to the same recipient
    second = _search(world, acme, f"Consent?patient={world.alice.pk}&_count=1&_offset=1")
    assert (len(second.json()["entry"]), second.json()["total"]) == (1, 2)
    assert Disclosure.objects.filter(patient=world.alice).count() == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_her_page_says_nobody_received_her_record(world: World, language: str) -> None:
    acme = _acme(world)
    _search(world, acme, f"Consent?patient={world.alice.pk}&_id=none-such")
    page = sign_in(Client(), world.alice.user).get("/me/sharing/", HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        said = gettext(words.read_by_a_system("Consent"))
    assert page.status_code == 200
    assert said not in page.content.decode()


@pytest.mark.parametrize("language", ["en", "es"])
def test_her_page_still_says_what_a_search_released(world: World, language: str) -> None:
    acme = _acme(world)
    _search(world, acme, f"Consent?patient={world.alice.pk}")
    page = sign_in(Client(), world.alice.user).get("/me/sharing/", HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        said = gettext(words.read_by_a_system("Consent"))
    assert said in page.content.decode()


def test_the_audit_page_says_nothing_was_sent_in_spanish() -> None:
    from keel.web.audit_words import REASONS

    with translation.override("es"):
        spanish = str(REASONS[NOTHING_RELEASED])
    assert "no se envió nada" in spanish
