"""Lane fix32b (review 32b H1): a release carries the consent it is made under (and her other consents naming
its recipient, review 14's guardian consent) and no consent naming another recipient (42 CFR 2.13(a),
2.31(a)(3)), on every route that releases: FHIR `$everything`, reads and
searches under `Keel-Consent`, the JSON API's export by a token or a session, a next page of `$everything`.
The care team's own views, the patient's own record and a release on her own request keep every consent;
the words she reads for the `record` category say so, in English and in Spanish."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.core import sharing
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import local_today
from keel.sharing.models import Consent, ConsentRevocation
from keel.treatment.services.orders import prescribe
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
ACME = "Acme Treatment Clinic"
COURT = "Harbor Family Court Probation"
R4 = "/fhir/R4"


def _consent(world: World, recipient: str, categories: list[str], days_ago: int = 7) -> Consent:
    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=recipient,
        purpose="treatment",
        categories=categories,
        expires_on=local_today(world.alice) + timedelta(days=365),
        signature="Alicia Zamorano",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.alice.user,
        signed_at=timezone.now() - timedelta(days=days_ago),
    )


def _two(world: World) -> tuple[Consent, Consent, Client]:
    """Alice's whole-record consent to Acme, her medication consent to a court program, and a nurse's token
    bound to Acme."""
    mine = _consent(world, ACME, [sharing.RECORD], days_ago=7)
    other = _consent(world, COURT, ["medication"], days_ago=3)
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=ACME).secret
    return mine, other, Client(HTTP_AUTHORIZATION=f"Bearer {secret}")  # type: ignore[arg-type]


def _id(consent: Consent) -> str:
    return f"consent-{consent.pk}"


def _body(consent: Consent) -> str:
    params = {"basis": "consent", "consent": str(consent.pk), "recipient_name": ACME, "purpose": "treatment"}
    parameter = [{"name": k, "valueString": v} for k, v in params.items()]
    return json.dumps({"resourceType": "Parameters", "parameter": parameter})


def _everything(client: Client, world: World, consent: Consent, count: int = 200) -> Any:
    path = f"{R4}/Patient/{world.alice.pk}/$everything?_count={count}"
    return client.post(path, _body(consent), content_type="application/fhir+json")


def _consent_ids(bundle: dict[str, Any]) -> list[str]:
    found = [e["resource"] for e in bundle.get("entry", [])]
    return [x["id"] for x in found if x["resourceType"] == "Consent"]


def test_everything_carries_its_own_consent_only(world: World) -> None:
    mine, _other, client = _two(world)
    assert _consent_ids(_everything(client, world, mine).json()) == [_id(mine)]


def test_everything_carries_her_other_consent_to_the_same_recipient(world: World) -> None:
    mine, _other, client = _two(world)
    again = _consent(world, "  acme   treatment CLINIC ", ["medication"], days_ago=1)
    assert _consent_ids(_everything(client, world, mine).json()) == [_id(mine), _id(again)]


def test_everything_counts_no_other_recipients_consent_in_its_total(world: World) -> None:
    mine, _other, client = _two(world)
    whole = _everything(client, world, mine).json()
    assert whole["total"] == len(whole["entry"])


def test_a_read_of_another_recipients_consent_is_not_found(world: World) -> None:
    mine, other, client = _two(world)
    answer = client.get(f"{R4}/Consent/{_id(other)}", HTTP_KEEL_CONSENT=str(mine.pk))
    assert answer.status_code == 404


def test_a_read_of_its_own_consent_is_released(world: World) -> None:
    mine, _other, client = _two(world)
    answer = client.get(f"{R4}/Consent/{_id(mine)}", HTTP_KEEL_CONSENT=str(mine.pk))
    assert (answer.status_code, answer.json()["id"]) == (200, _id(mine))


def test_a_consent_search_finds_its_own_consent_only(world: World) -> None:
    mine, _other, client = _two(world)
    answer = client.get(f"{R4}/Consent?patient={world.alice.pk}", HTTP_KEEL_CONSENT=str(mine.pk))
    assert _consent_ids(answer.json()) == [_id(mine)]


def _export(world: World, **body: Any) -> Any:
    client = sign_in(Client(), world.staff["prescriber"])
    path = f"/api/v1/patients/{world.alice.pk}/fhir/export"
    return client.post(path, json.dumps({"password": PASSWORD, **body}), content_type="application/json")


def test_a_staff_sessions_export_under_a_consent_carries_that_consent_only(world: World) -> None:
    mine, _other, _client = _two(world)
    answer = _export(world, basis="consent", consent=mine.pk, recipient_name=ACME, purpose="treatment")
    assert _consent_ids(answer.json()) == [_id(mine)]


def test_an_export_at_her_own_request_carries_every_consent_she_signed(world: World) -> None:
    mine, other, _client = _two(world)
    answer = _export(world, basis="patient_request")
    assert _consent_ids(answer.json()) == [_id(mine), _id(other)]


def test_her_own_record_carries_every_consent_she_signed(world: World) -> None:
    mine, other, _client = _two(world)
    answer = sign_in(Client(), world.alice.user).get("/api/v1/me/fhir")
    assert _consent_ids(answer.json()) == [_id(mine), _id(other)]


def test_the_care_teams_own_search_shows_every_consent(world: World) -> None:
    mine, other, _client = _two(world)
    answer = sign_in(Client(), world.staff["counselor"]).get(f"{R4}/Consent?patient={world.alice.pk}")
    assert _consent_ids(answer.json()) == [_id(mine), _id(other)]


def test_a_release_leaves_the_next_record_built_whole(world: World) -> None:
    mine, other, client = _two(world)
    _everything(client, world, mine)
    built = Record(world.alice, frozenset(Area), Base("http://testserver/fhir/R4/"), timezone.now())
    assert [x["id"] for x in built.of_type("Consent")] == [_id(mine), _id(other)]


def _first_page(world: World) -> tuple[Consent, Consent, Client, str]:
    """Two pages at least (a medication order), the first pulled under Acme's consent; the next link."""
    mine, other, client = _two(world)
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60")
    first = _everything(client, world, mine, count=1)
    assert first.status_code == 200, first.content[:300]
    following = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    return mine, other, client, following.removeprefix("http://testserver")


def test_a_next_page_holds_when_another_recipients_consent_is_revoked(world: World) -> None:
    _mine, other, client, following = _first_page(world)
    ConsentRevocation.objects.create(consent=other, revoked_by=world.alice.user, revoked_at=timezone.now())
    assert client.get(following).status_code == 200


def test_a_next_page_holds_when_she_signs_a_consent_to_another_recipient(world: World) -> None:
    _mine, _other, client, following = _first_page(world)
    _consent(world, "Lakeview Employer Program", [sharing.RECORD], days_ago=0)
    assert client.get(following).status_code == 200


def test_a_next_page_still_stops_when_the_record_itself_changed(world: World) -> None:
    _mine, _other, client, following = _first_page(world)
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="70")
    assert client.get(following).status_code == 409


def test_the_record_category_says_her_consents_to_its_recipient_go_with_it() -> None:
    assert "my consents to this recipient" in sharing.CONSENT_CATEGORIES[sharing.RECORD]


def test_the_record_category_says_no_other_consent_goes_with_it() -> None:
    assert "never my consents to anyone else" in sharing.CONSENT_CATEGORIES[sharing.RECORD]


def test_the_record_category_says_it_in_spanish() -> None:
    with translation.override("es"):
        said = translation.gettext(sharing.CONSENT_CATEGORIES[sharing.RECORD])
    assert "nunca mis consentimientos a otra persona" in said


def test_her_consent_form_in_spanish_says_it(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    page = client.get("/me/sharing/new/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "nunca mis consentimientos a otra persona" in page
