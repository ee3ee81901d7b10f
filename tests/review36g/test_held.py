"""Review 36g: attacks on /fhir/R4/ and the FHIR export that held (a hospital's or a drug court's system)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.sharing.models import Disclosure
from keel.treatment.models import DoseRecord
from tests.conftest import World, sign_in
from tests.factories import corrected, given_daily, methadone_with_qtc
from tests.review36g._setup import consent, everything, fhir, token

pytestmark = pytest.mark.django_db


def _issue(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    issue: dict[str, Any] = body["issue"][0]
    return issue


def test_a_consent_to_some_sections_releases_no_fhir_resource(world: World) -> None:
    """A consent naming the medication section only is no basis for the record's resources (42 CFR
    2.31(a)(3)): a MedicationAdministration is not read under it."""
    methadone_with_qtc(world, None, taken=True)
    dose = DoseRecord.objects.filter(patient=world.alice).get()
    narrow = consent(world, ["medication"])
    response = fhir(f"/fhir/R4/MedicationAdministration/dose-{dose.pk}", token(world), narrow.pk)
    assert response.status_code == 422


def test_a_consent_to_some_sections_writes_no_disclosure(world: World) -> None:
    narrow = consent(world, ["enrollment", "medication", "checkins", "screenings"])
    fhir(f"/fhir/R4/Condition?patient={world.alice.pk}", token(world), narrow.pk)
    assert not Disclosure.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize(
    "name", ["_include", "_revinclude", "_elements", "_summary", "_lastUpdated", "_sort"]
)
def test_an_unserved_search_parameter_is_a_400_outcome_never_dropped(world: World, name: str) -> None:
    whole = consent(world, ["record"])
    response = fhir("/fhir/R4/Observation", token(world), whole.pk, patient=world.alice.pk, **{name: "x"})
    assert (response.status_code, _issue(response)["expression"]) == (400, [name])


def test_another_programs_token_is_told_no_such_consent(world: World) -> None:
    whole = consent(world, ["record"])
    response = fhir(f"/fhir/R4/Patient/{world.alice.pk}", token(world, role="lakeside_nurse"), whole.pk)
    assert response.status_code == 422


def test_a_revoked_token_is_a_401_outcome(world: World) -> None:
    from keel.accounts.models import ApiToken
    from keel.accounts.services.tokens import revoke_token, token_id

    whole = consent(world, ["record"])
    secret = token(world)
    found = ApiToken.objects.get(pk=token_id(secret))
    revoke_token(user=world.staff["counselor"], token_id=found.pk)
    response = fhir(f"/fhir/R4/Patient/{world.alice.pk}", secret, whole.pk)
    assert (response.status_code, _issue(response)["code"]) == (401, "login")


def test_a_voided_dose_is_read_as_entered_in_error(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    dose = DoseRecord.objects.filter(patient=world.alice).get()
    corrected(world, dose, void=True)
    whole = consent(world, ["record"])
    response = fhir(f"/fhir/R4/MedicationAdministration/dose-{dose.pk}", token(world), whole.pk)
    assert response.json()["status"] == "entered-in-error"


def test_a_revocation_between_pages_stops_the_next_link(world: World) -> None:
    from keel.sharing.services.revocations import revoke_consent

    whole = consent(world, ["record"])
    secret = token(world)
    first = everything(world, secret, whole.pk)
    following = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    revoke_consent(by=world.alice.user, consent_id=whole.pk)
    response = Client().get(following, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 422


def test_each_page_of_everything_carries_the_notice(world: World) -> None:
    whole = consent(world, ["record"])
    secret = token(world)
    first = everything(world, secret, whole.pk)
    following = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    page = Client().get(following, HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert "part2-notice" in {t["code"] for t in page["meta"]["tag"]}


def test_a_search_under_a_consent_names_no_other_recipient(world: World) -> None:
    """Her consent to a drug court is not carried to Acme Health's system (review 32b H1)."""
    consent(world, ["record"], recipient="County Drug Court")
    whole = consent(world, ["record"])
    bundle = fhir("/fhir/R4/Consent", token(world), whole.pk, patient=world.alice.pk).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [f"consent-{whole.pk}"]


def test_a_session_search_with_a_malformed_date_is_a_400_outcome(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get("/fhir/R4/Observation", {"patient": world.alice.pk, "date": "ge2026-13-40"})
    assert (response.status_code, response["Content-Type"]) == (400, "application/fhir+json")


def test_given_daily_doses_page_without_a_dropped_row(world: World) -> None:
    """A hospital's system pages a nurse's MedicationAdministration search two at a time: every dose once."""
    from datetime import timedelta

    from keel.patients.models import local_today
    from keel.treatment.services.orders import prescribe

    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30"
    )
    today = local_today(world.alice)
    given_daily(world, order, [today - timedelta(days=n) for n in range(5, 0, -1)], 30)
    client = sign_in(Client(), world.staff["nurse"])
    seen: list[str] = []
    url: str | None = "/fhir/R4/MedicationAdministration?_count=2"
    while url:
        bundle = client.get(url).json()
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        url = next((x["url"] for x in bundle["link"] if x["relation"] == "next"), None)
    assert len(seen) == len(set(seen)) == 5
