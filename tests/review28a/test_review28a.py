"""Review 28a (a privacy officer with a penetration tester): a death recorded, a staff token's refusals, the
patient's accounting of disclosures. Each test fails on the code as reviewed, for the hole it names."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.patients import services as patient_services
from keel.patients.models import local_today
from keel.patients.schemas import DischargeIn
from keel.sharing.models import Disclosure
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db


def _record_death(world: World, days_ago: int = 0) -> None:
    """The prescriber records Alice's death (her episode discharged, reason deceased) as the page does."""
    alice = world.alice
    ended = local_today(alice) - timedelta(days=days_ago)
    patient_services.discharge(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        data=DischargeIn.posted({"ended_on": ended.isoformat(), "reason": "deceased"}),
    )


def test_fhir_patient_says_the_person_is_alive_after_her_death(world: World) -> None:
    """H1. A prescriber records Alice's death. Her nurse (or a receiving program, an HIE, any FHIR client that
    reads the record) then reads `GET /fhir/R4/Patient/{id}`: the resource still says `"active": true` and
    carries no `deceasedBoolean` / `deceasedDateTime`, so every system fed from Keel's FHIR believes she is
    alive (and may keep messaging, billing or dosing her). Correct: after a death is recorded (the one
    `death_recorded`) the Patient resource says it (`deceasedDateTime` the death's date, or
    `deceasedBoolean: true`), and is no longer `active: true`."""
    _record_death(world)
    client = sign_in(Client(), world.staff["nurse"])
    answer = client.get(f"/fhir/R4/Patient/{world.alice.pk}")
    assert answer.status_code == 200
    resource = answer.json()
    assert resource.get("deceasedBoolean") is True or "deceasedDateTime" in resource, resource
    assert resource.get("active") is not True, resource


def test_staff_token_hears_a_conflict_for_a_malformed_amount(world: World) -> None:
    """H2. A dispensing system (the pump, a nurse's API token: `token_may_write`) posts a dose whose
    `amount_mg` is the text "abc" (a driver bug). It is told 409 "Not recorded: a check of the record refused
    it", as if the record had refused it, and retries or pages a nurse; the field is never named. The
    amount's shape says nothing of the record (the same "abc" is malformed for every person), and the house
    rule is "bad input is a 422 naming the field"; `on_fields_invalid`'s own docstring promises the body's
    shape is said whole to everyone. Correct: 422 naming `amount_mg` (the malformed text checked before the
    record is read, `FieldsInvalid.body_alone`), the same for a person with an order and one without."""
    methadone_with_qtc(world, None)
    secret = accounts.create_token(user=world.staff["nurse"], name="pump").secret
    client = Client()
    body = json.dumps({"sequence": 1, "amount_mg": "abc", "medication": "methadone"})
    answer = client.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 422, answer.content
    assert [e["field"] for e in answer.json()["errors"]] == ["amount_mg"]
