"""Lane fix32c (review 32c H1): a release under a consent carries an imported questionnaire's Provenance
reduced (received from another system, when, which response), never the sending party's name, identifiers,
author or reference for her (42 CFR 2.13(a), 2.31(a)(3)), on every route that releases: `$everything` and
its next page, `Provenance?patient=` and `Provenance/<id>` under `Keel-Consent`, the JSON API's export. The
care team's own views, her own record and a release at her own request keep the whole Provenance."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.core import sharing
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.interop.models import ImportedResponse
from keel.patients.models import local_today
from keel.sharing.models import Consent
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4
from tests.interop.test_import import other_system_phq9

pytestmark = pytest.mark.django_db
ACME = "Acme Treatment Clinic"
COURT = "Harbor County Drug Court"
SOURCE = "https://monitoring.harbor-court.example/fhir"
CASE = "HC-DC-20931"
AUTHOR = "Case Manager Okafor"
THEIR_ID = "court-qr-5521"
R4 = "/fhir/R4"
SECRETS = (COURT, SOURCE, CASE, AUTHOR, THEIR_ID, "harbor-court")


def _import(world: World) -> ImportedResponse:
    """A PHQ-9 the court's monitoring system sent, filed by the counselor through the import API."""
    doc = other_system_phq9([1] * 9, authored=(timezone.now() - timedelta(days=2)).isoformat())
    doc["id"] = THEIR_ID
    doc["meta"] = {"source": SOURCE}
    doc["subject"] = {"reference": "#p1", "display": f"{COURT} case {CASE}"}
    doc["author"] = {"reference": "Practitioner/cm-9", "display": AUTHOR}
    path = f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses"
    client = sign_in(Client(), world.staff["counselor"])
    answer = client.post(path, json.dumps(doc), content_type="application/fhir+json")
    assert answer.status_code == 201, answer.content[:300]
    return ImportedResponse.objects.get()


def _setup(world: World) -> tuple[Consent, ImportedResponse, Client]:
    """Alice's whole-record consent to Acme, the court's PHQ-9, and a nurse's token bound to Acme."""
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
    imported = _import(world)
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr", recipient_name=ACME).secret
    return consent, imported, Client(HTTP_AUTHORIZATION=f"Bearer {secret}")  # type: ignore[arg-type]


def _everything(client: Client, world: World, consent: Consent, count: int = 200, **extra: Any) -> Any:
    params = {"basis": "consent", "consent": str(consent.pk), "recipient_name": ACME, "purpose": "treatment"}
    body = json.dumps(
        {
            "resourceType": "Parameters",
            "parameter": [{"name": k, "valueString": v} for k, v in params.items()],
        }
    )
    path = f"{R4}/Patient/{world.alice.pk}/$everything?_count={count}"
    return client.post(path, body, content_type="application/fhir+json", **extra)


def _provenances(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    found = [e["resource"] for e in bundle.get("entry", [])]
    return [x for x in found if x["resourceType"] == "Provenance"]


def _unlabelled(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resources without `meta` (the Part 2 labels every route adds)."""
    return [{k: v for k, v in x.items() if k != "meta"} for x in resources]


def _named(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _whole(world: World, imported: ImportedResponse) -> dict[str, Any]:
    built = Record(world.alice, frozenset(Area), Base("http://testserver/fhir/R4/"), timezone.now())
    return next(x for x in built.of_type("Provenance") if x["id"] == f"import-{imported.pk}")


def test_the_whole_provenance_names_the_court(world: World) -> None:
    _consent, imported, _client = _setup(world)
    assert _named(json.dumps(_whole(world, imported))) != []  # the tests below would prove nothing else


def test_everything_names_no_other_party(world: World) -> None:
    consent, _imported, client = _setup(world)
    assert _named(_everything(client, world, consent).content.decode()) == []


def test_everything_still_carries_the_provenance(world: World) -> None:
    consent, imported, client = _setup(world)
    found = _provenances(_everything(client, world, consent).json())
    assert [x["id"] for x in found] == [f"import-{imported.pk}"]


def test_the_released_provenance_says_another_system(world: World) -> None:
    consent, _imported, client = _setup(world)
    (found,) = _provenances(_everything(client, world, consent).json())
    assert {"display": "another system"} in [a["who"] for a in found["agent"]]


def test_the_released_provenance_keeps_its_target(world: World) -> None:
    consent, imported, client = _setup(world)
    (found,) = _provenances(_everything(client, world, consent).json())
    assert found["target"] == _whole(world, imported)["target"]


def test_the_released_provenance_keeps_when_it_was_received(world: World) -> None:
    consent, imported, client = _setup(world)
    (found,) = _provenances(_everything(client, world, consent).json())
    assert found["recorded"] == _whole(world, imported)["recorded"]


def test_the_released_provenance_has_no_author_agent(world: World) -> None:
    consent, _imported, client = _setup(world)
    (found,) = _provenances(_everything(client, world, consent).json())
    codes = [a["type"]["coding"][0]["code"] for a in found["agent"]]
    assert codes == ["custodian", "enterer"]


def test_the_released_provenance_source_carries_no_identifier(world: World) -> None:
    consent, _imported, client = _setup(world)
    (found,) = _provenances(_everything(client, world, consent).json())
    assert "identifier" not in found["entity"][0]["what"]


def test_the_released_bundle_passes_both_r4_validators(world: World) -> None:
    consent, _imported, client = _setup(world)
    assert_valid_r4(_everything(client, world, consent).json())


def test_everything_in_spanish_names_no_other_party(world: World) -> None:
    consent, _imported, client = _setup(world)
    answer = _everything(client, world, consent, HTTP_ACCEPT_LANGUAGE="es")
    assert _named(answer.content.decode()) == []


def test_every_next_page_of_everything_names_no_other_party(world: World) -> None:
    consent, _imported, client = _setup(world)
    page = _everything(client, world, consent, count=1).json()
    seen = [json.dumps(page)]
    while nxt := next((x["url"] for x in page.get("link", []) if x["relation"] == "next"), None):
        answer = client.get(nxt.removeprefix("http://testserver"))
        assert answer.status_code == 200, answer.content[:300]
        page = answer.json()
        seen.append(json.dumps(page))
    assert (len(seen) > 2, _named("".join(seen))) == (True, [])


def test_a_provenance_search_under_keel_consent_names_no_other_party(world: World) -> None:
    consent, _imported, client = _setup(world)
    answer = client.get(f"{R4}/Provenance?patient={world.alice.pk}", HTTP_KEEL_CONSENT=str(consent.pk))
    assert (len(_provenances(answer.json())), _named(answer.content.decode())) == (1, [])


def test_a_provenance_read_under_keel_consent_names_no_other_party(world: World) -> None:
    consent, imported, client = _setup(world)
    answer = client.get(f"{R4}/Provenance/import-{imported.pk}", HTTP_KEEL_CONSENT=str(consent.pk))
    assert (answer.status_code, _named(answer.content.decode())) == (200, [])


def _export(world: World, **body: Any) -> Any:
    client = sign_in(Client(), world.staff["prescriber"])
    path = f"/api/v1/patients/{world.alice.pk}/fhir/export"
    return client.post(path, json.dumps({"password": PASSWORD, **body}), content_type="application/json")


def test_a_staff_sessions_export_under_a_consent_names_no_other_party(world: World) -> None:
    consent, _imported, _client = _setup(world)
    answer = _export(world, basis="consent", consent=consent.pk, recipient_name=ACME, purpose="treatment")
    assert (len(_provenances(answer.json())), _named(answer.content.decode())) == (1, [])


def test_an_export_at_her_own_request_keeps_the_whole_provenance(world: World) -> None:
    _consent, imported, _client = _setup(world)
    answer = _export(world, basis="patient_request")
    assert _unlabelled(_provenances(answer.json())) == _unlabelled([_whole(world, imported)])


def test_her_own_record_keeps_the_whole_provenance(world: World) -> None:
    _consent, imported, _client = _setup(world)
    answer = sign_in(Client(), world.alice.user).get("/api/v1/me/fhir")
    assert _unlabelled(_provenances(answer.json())) == _unlabelled([_whole(world, imported)])


def test_the_care_teams_own_read_keeps_the_whole_provenance(world: World) -> None:
    _consent, imported, _client = _setup(world)
    answer = sign_in(Client(), world.staff["counselor"]).get(f"{R4}/Provenance/import-{imported.pk}")
    assert _unlabelled([answer.json()]) == _unlabelled([_whole(world, imported)])


def test_a_release_leaves_the_next_record_built_whole(world: World) -> None:
    consent, imported, client = _setup(world)
    _everything(client, world, consent)
    assert _named(json.dumps(_whole(world, imported))) != []
