"""Review 19b: a registration refused because it found someone already in the program (the same name and
birth date, or the record number) tells the registrar that person is in care here: the refusal is audited
about the person found (outcome denied, a fixed reason), on the API and the page, and the row stays though
the registration's transaction wrote nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db
DUPLICATE = "registration: this person is already registered"
NUMBER = "registration: the record number is this person's"


def _bob(world: World, **more: Any) -> dict[str, Any]:
    return {
        "given_name": world.bob.given_name,
        "family_name": world.bob.family_name,
        "date_of_birth": world.bob.date_of_birth.isoformat(),
        "episode_kind": "otp",
        "notice_given": True,
        "consented": True,
        **more,
    }


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/patients", json.dumps(body), content_type="application/json")


def _rows(world: World) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(patient_id=world.bob.pk, outcome="denied").order_by("id"))


def test_a_duplicate_found_through_the_api_is_audited_about_the_person(world: World, signed_in: Any) -> None:
    response = _post(signed_in("nurse"), _bob(world))
    assert response.status_code == 422
    assert [(r.actor_id, r.reason) for r in _rows(world)] == [(world.staff["nurse"].pk, DUPLICATE)]


def test_a_record_number_found_through_the_api_is_audited_about_the_person(
    world: World, signed_in: Any
) -> None:
    body = _bob(world, given_name="Someone", family_name="Else", record_number=world.bob.record_number)
    response = _post(signed_in("nurse"), body)
    assert [e["field"] for e in response.json()["errors"]] == ["record_number"]
    assert [r.reason for r in _rows(world)] == [NUMBER]


def test_a_duplicate_found_on_the_page_is_audited_about_the_person(world: World, signed_in: Any) -> None:
    body = {**_bob(world), "notice_given": "on", "consented": "on"}
    response = signed_in("nurse").post("/patients/new/", body)
    assert response.status_code == 422
    assert [r.reason for r in _rows(world)] == [DUPLICATE]


def test_the_refused_registration_writes_no_one(world: World, signed_in: Any) -> None:
    before = Patient.objects.count()
    _post(signed_in("nurse"), _bob(world))
    assert Patient.objects.count() == before


def test_a_registration_that_finds_no_one_writes_no_denied_row(world: World, signed_in: Any) -> None:
    body = _bob(world, given_name="Someone", family_name="Else")
    assert _post(signed_in("nurse"), body).status_code == 201
    assert not AuditEvent.objects.filter(outcome="denied").exists()


@pytest.mark.parametrize("reason", [DUPLICATE, NUMBER])
def test_the_reasons_have_spanish_words(reason: str) -> None:
    from django.utils import translation

    from keel.web.audit_words import reason_words

    with translation.override("es"):
        assert reason_words(reason) != reason
