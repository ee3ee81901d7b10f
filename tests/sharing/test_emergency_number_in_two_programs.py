"""Review 19b: record numbers are unique only inside a program. A break-the-glass whose number is in more
than one of the caller's programs opens no one and asks which program (422 naming `program` on the API, a
form error on the page); a program chosen among the caller's own opens that program's person; a program that
is not the caller's is refused by name."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import EmergencyAccess, Patient
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
REASON = "found unresponsive in the lobby"


@pytest.fixture
def twin(world: World) -> Patient:
    """The nurse works in Riverside and Lakeside; Lakeside has its own person numbered as Bob is."""
    from keel.accounts.models import ProgramMembership

    ProgramMembership.objects.create(user=world.staff["nurse"], program=world.lakeside)
    return Patient.objects.create(
        program=world.lakeside,
        record_number=world.bob.record_number,
        given_name="Wilhelmina",
        family_name="Oyelaran",
        date_of_birth=date(1984, 2, 3),
    )


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/emergency-access", json.dumps(body), content_type="application/json")


def _body(world: World, **more: Any) -> dict[str, Any]:
    return {"record_number": world.bob.record_number, "reason": REASON, "password": PASSWORD, **more}


def test_the_api_asks_for_the_program(world: World, twin: Patient) -> None:
    response = _post(sign_in(Client(), world.staff["nurse"]), _body(world))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["program"]
    assert not EmergencyAccess.objects.exists()


def test_the_ambiguous_number_is_audited_as_a_refusal(world: World, twin: Patient) -> None:
    _post(sign_in(Client(), world.staff["nurse"]), _body(world))
    row = AuditEvent.objects.order_by("-id").first()
    assert row is not None
    assert (row.outcome, row.reason) == ("denied", "record number in more than one of the caller's programs")
    assert row.patient_id is None


def test_a_program_chosen_opens_that_programs_person(world: World, twin: Patient) -> None:
    response = _post(sign_in(Client(), world.staff["nurse"]), _body(world, program=world.lakeside.pk))
    assert response.status_code == 201
    assert response.json()["patient"] == twin.pk


def test_the_other_program_chosen_opens_the_other_person(world: World, twin: Patient) -> None:
    response = _post(sign_in(Client(), world.staff["nurse"]), _body(world, program=world.riverside.pk))
    assert response.json()["patient"] == world.bob.pk


def test_a_program_not_mine_is_refused_by_name(world: World) -> None:
    response = _post(sign_in(Client(), world.staff["nurse"]), _body(world, program=world.lakeside.pk))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["program"]
    assert not EmergencyAccess.objects.exists()


@pytest.mark.parametrize("program", [True, "x", -1, 2**70, "٣"])
def test_a_program_that_is_no_id_is_refused_by_name(world: World, program: Any) -> None:
    from keel.sharing import services

    with pytest.raises(services.SharingInvalid) as refused:
        services.emergency_access(
            by=world.staff["nurse"],
            record_number=world.bob.record_number,
            reason=REASON,
            password=PASSWORD,
            program=program,
        )
    assert [e.field for e in refused.value.errors] == ["program"]


def test_the_page_asks_for_the_program_in_spanish(world: World, twin: Patient) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = {"record_number": world.bob.record_number, "reason": REASON, "password": PASSWORD}
    response = client.post("/emergency-access/", body, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 422
    assert "elija el programa" in response.content.decode()
    assert not EmergencyAccess.objects.exists()


def test_the_page_offers_the_nurses_programs(world: World, twin: Patient) -> None:
    page = sign_in(Client(), world.staff["nurse"]).get("/emergency-access/").content.decode()
    assert f'<option value="{world.lakeside.pk}"' in page


def test_the_page_with_a_program_chosen_opens_the_record(world: World, twin: Patient) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = {**_body(world), "program": str(world.lakeside.pk)}
    response = client.post("/emergency-access/", body)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/patients/{twin.pk}/")
