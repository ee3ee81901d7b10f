"""Lane fix21f: review 21f's holes closed beyond the reviewer's own cases: one answer for a person the
consent basis does not cover (every basis shape of `$everything`, its next links, a consent of another
program on a search), one rule for parameters given twice, HEAD on `$everything` by its every path, dates
in 0-9 only, and one test of "the same recipient" for the consent check and the token binding."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.accounts.models import ApiToken
from keel.core import sharing
from keel.patients.models import CareTeamMember, local_today
from keel.sharing.models import Disclosure
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.orders import prescribe
from tests.factories import given_daily
from tests.review21f.conftest import FHIR, consent_for, system_get, token_of

MISSING = 987_654


def _post(patient_id: object, secret: str, params: dict[str, str], query: str = "") -> Any:
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": k, "valueString": v} for k, v in params.items()],
    }
    return Client().post(
        f"{FHIR}Patient/{patient_id}/$everything{query}",
        data=json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT="application/fhir+json",
    )


def _basis(consent: object, recipient: str = "Acme Health Information Exchange") -> dict[str, str]:
    return {"basis": "consent", "consent": str(consent), "recipient_name": recipient, "purpose": "treatment"}


@pytest.mark.parametrize(
    "params",
    [
        _basis(999_999),  # a consent nobody has
        {"basis": "patient_request"},  # not another system's basis
        {"recipient_name": "Acme", "purpose": "treatment"},  # no basis at all
    ],
)
def test_everything_answers_bob_as_no_one_whatever_the_basis(world: Any, params: dict[str, str]) -> None:
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["prescriber"])
    secret = token_of(world.staff["prescriber"])
    bob, nobody = _post(world.bob.pk, secret, params), _post(MISSING, secret, params)
    assert (bob.status_code, bob.json()) == (nobody.status_code, nobody.json())
    assert bob.status_code == 422


def test_everything_with_a_consent_of_another_program_is_an_unused_consent_id(world: Any) -> None:
    foreign = consent_for(world.charlie, "Acme Health Information Exchange")
    secret = token_of(world.staff["prescriber"])
    answers = [_post(world.alice.pk, secret, _basis(c)) for c in (foreign.pk, foreign.pk + 1000)]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()


def test_everything_for_bob_under_alices_consent_is_no_such_consent_and_writes_nothing(world: Any) -> None:
    """Superseded by review 25b H1/H5 (session 25): was "no token is left bound by the refused release" (a
    token then bound by its first release). The token is bound when issued, and the refusal changes it not."""
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["prescriber"])
    consent = consent_for(world.alice)
    secret = token_of(world.staff["prescriber"])
    bob = _post(world.bob.pk, secret, _basis(consent.pk))
    nobody = _post(MISSING, secret, _basis(consent.pk))
    assert (bob.status_code, bob.json()) == (nobody.status_code, nobody.json()) == (422, nobody.json())
    assert nobody.json()["issue"][0]["expression"] == ["consent"]
    assert not Disclosure.objects.exists()
    assert list(ApiToken.objects.values_list("recipient_name", flat=True)) == [
        "Acme Health Information Exchange"
    ]
    assert _post(world.alice.pk, secret, _basis(consent.pk)).status_code == 200


def test_a_next_link_moved_to_bob_is_answered_as_no_one(world: Any) -> None:
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["prescriber"])
    consent = consent_for(world.alice)
    secret = token_of(world.staff["prescriber"])
    first = _post(world.alice.pk, secret, _basis(consent.pk), "?_count=1")
    nxt = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    answers = []
    for pk in (world.bob.pk, MISSING):
        moved = nxt.replace(f"/Patient/{world.alice.pk}/", f"/Patient/{pk}/")
        answers.append(Client().get(moved, HTTP_AUTHORIZATION=f"Bearer {secret}"))
    assert [a.status_code for a in answers] == [404, 404]
    assert Client().get(nxt, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_a_search_naming_a_consent_of_another_program_is_an_unused_consent_id(world: Any) -> None:
    foreign = consent_for(world.charlie, "Lakeside Partner Clinic")
    secret = token_of(world.staff["prescriber"])
    search = f"Observation?patient={world.alice.pk}"
    answers = [system_get(search, secret, c) for c in (foreign.pk, foreign.pk + 1000)]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()


@pytest.mark.parametrize("name", ["_count", "_offset", "_id", "_format"])
@pytest.mark.parametrize("order", [("1", "2"), ("2", "1")])
def test_a_single_valued_parameter_given_twice_is_a_400_naming_it(
    world: Any, name: str, order: tuple[str, str]
) -> None:
    secret = accounts.create_token(user=world.alice.user, name="my phone").secret
    values = {"_format": ("json", "application/fhir+json")}.get(name, order)
    query = "&".join(f"{name}={v}" for v in values)
    response = Client().get(f"{FHIR}Observation?{query}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [name]


def test_a_next_links_page_token_given_twice_is_a_400(world: Any) -> None:
    secret = token_of(world.staff["prescriber"])
    response = system_get(f"Patient/{world.alice.pk}/$everything?_page=a&_page=b", secret)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_page"]


def test_head_on_everything_is_405_for_every_id_and_page(world: Any) -> None:
    secret = token_of(world.staff["prescriber"])
    paths = [f"Patient/{pk}/$everything{q}" for pk in (world.alice.pk, MISSING) for q in ("", "?_page=x")]
    assert {system_get(p, secret, method="head").status_code for p in paths} == {405}


ARABIC = str.maketrans("0123456789", "".join(chr(0x0660 + i) for i in range(10)))  # Arabic-Indic 0-9


@pytest.mark.parametrize(
    "search",
    [
        "Observation?date=" + "2026".translate(ARABIC),
        "Observation?date=ge2026-" + "11".translate(ARABIC) + "-20",
        "Patient?birthdate=" + "1980".translate(ARABIC),
    ],
)
def test_a_date_in_other_digits_is_a_400(world: Any, search: str) -> None:
    secret = accounts.create_token(user=world.alice.user, name="my phone").secret
    response = Client().get(f"{FHIR}{search}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 400, response.content[:300]


def test_the_same_recipient_is_one_test_with_letters_of_any_script() -> None:
    assert sharing.same_name("Clínica del Valle", "CLI\u0301NICA  del valle.")
    assert not sharing.same_name("مستشفى الأمل", "مستشفى النور")  # never folded to nothing
    assert not sharing.same_name("北京医院", "上海医院")
    assert sharing.same_name("Straße Klinik", "STRASSE KLINIK")


def test_a_token_bound_to_one_arabic_name_is_refused_for_another(world: Any) -> None:
    consent = consent_for(world.alice, "مستشفى النور")
    secret = token_of(world.staff["prescriber"], recipient="مستشفى الأمل")
    assert (
        system_get(f"Patient/{world.alice.pk}", secret, consent.pk).status_code == 422
    )  # review 31b H3 (was 403)
    assert not Disclosure.objects.exists()


def test_a_corrected_doses_typed_reason_never_leaves(world: Any) -> None:
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60")
    order = MedicationOrder.objects.filter(patient=world.alice).latest("id")
    given_daily(world, order, [local_today(world.alice, timezone.now()) - timedelta(days=1)], 60)
    dose = DoseRecord.objects.filter(patient=world.alice).latest("id")
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg="55",
        reason="Roberto Quintanilla took the other 5 mg, see his chart",
    )
    consent = consent_for(world.alice)
    response = system_get(
        f"MedicationAdministration/dose-{dose.pk}", token_of(world.staff["prescriber"]), consent.pk
    )
    assert response.status_code == 200
    assert [n["text"] for n in response.json()["note"]] == ["Dose corrected from 60 mg to 55 mg"]
