"""Lane fix30c (review 30c H2): a disclosure's refusals that do not read the record (a token's: an emergency
basis is never a token's, review 22g; a wrong password) come before the death is asked
(`refuse_after_death`), so they answer the same for the living and the dead (42 CFR 2.13(a)); a session
user with the password is still told the death (review 28a H8), on the API, the page and the FHIR export."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.patients import services as patient_services
from keel.patients.models import local_today
from keel.patients.schemas import DischargeIn
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


def _record_death(world: World) -> None:
    patient_services.discharge(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted(
            {"ended_on": (local_today(world.alice) - timedelta(days=1)).isoformat(), "reason": "deceased"}
        ),
    )


def _emergency(password: str) -> dict[str, Any]:
    return {
        "basis": "emergency",
        "categories": ["medication"],
        "recipient_name": "Dr. Renata Oyelaran",
        "recipient_role": "physician",
        "recipient_affiliation": "County General Hospital emergency department",
        "nature": "Unresponsive on arrival, suspected opioid overdose; needs current medication",
        "password": password,
    }


def _post(client: Client, url: str, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
    answer = client.post(url, json.dumps(body), content_type="application/json", **headers)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("password", [PASSWORD, "not-the-password"])
def test_an_unbound_token_is_answered_alike_alive_and_dead(world: World, password: str) -> None:
    secret = accounts.create_token(user=world.staff["nurse"], name="ehr").secret
    url, bearer = f"/api/v1/patients/{world.alice.pk}/disclosures", f"Bearer {secret}"
    living = _post(Client(), url, _emergency(password), HTTP_AUTHORIZATION=bearer)
    assert living[0] in (403, 422), living
    _record_death(world)
    assert _post(Client(), url, _emergency(password), HTTP_AUTHORIZATION=bearer) == living
    assert not Disclosure.objects.filter(patient=world.alice).exists()


def test_a_wrong_password_is_said_before_the_death(world: World) -> None:
    _record_death(world)
    client = sign_in(Client(), world.staff["nurse"])
    status, said = _post(client, f"/api/v1/patients/{world.alice.pk}/disclosures", _emergency("wrong-one"))
    assert status == 422
    assert [e["field"] for e in said["errors"]] == ["password"]
    status, said = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        {"basis": "patient_request", "password": "wrong-one"},
    )
    assert status == 422
    assert [e["field"] for e in said["errors"]] == ["password"]


def test_with_the_password_a_session_is_still_told_the_death(world: World) -> None:
    _record_death(world)
    client = sign_in(Client(), world.staff["nurse"])
    status, said = _post(client, f"/api/v1/patients/{world.alice.pk}/disclosures", _emergency(PASSWORD))
    assert (status, [e["field"] for e in said["errors"]]) == (422, ["basis"])
    status, said = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        {"basis": "patient_request", "password": PASSWORD},
    )
    assert (status, [e["field"] for e in said["errors"]]) == (422, ["basis"])
    assert not Disclosure.objects.filter(patient=world.alice).exists()
