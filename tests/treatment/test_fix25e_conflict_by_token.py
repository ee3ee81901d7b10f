"""Lane fix25e (review 25d H4): a stale order's 409 tells a caller who may not read the person's orders (a
staff member's token) only that the orders changed and to read them again: no `changed`, no dose, no writer.
Lane tok26: a token's order is now refused (403) before any conflict; the session's 409 is unchanged.
Lane fix26a (review 26a): a staff token writes no order at all now, refused before the version is compared.
A signed-in prescriber still gets the whole answer. Attacked with: a forged version, an unbound and a bound
token, Spanish, a session beside it; nothing written either way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.treatment.models import Medication, MedicationOrder
from keel.treatment.services import prescribe
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _token(user: Any, recipient: str = "") -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="ehr", recipient_name=recipient).secret


def _forged_write(world: World, client: Client, **extra: str) -> Any:
    forged = "-".join([str(world.alice.pk)] + ["0"] * len(Medication.values))
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        data=json.dumps({"medication": "methadone", "dose_mg": "45", "orders_version": forged}),
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def ordered(world: World) -> World:
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        order_version=0,
    )
    return world


def test_a_staff_token_learns_nothing_of_the_orders(ordered: World) -> None:
    """Lane tok26 (superseding this lane's bare 409): a token's order is refused before the person or the
    version is read (`api_auth.versioned_write`): 403, no `changed`, no dose, no writer, nothing written."""
    world = ordered
    secret = _token(world.staff["prescriber"])
    response = _forged_write(world, Client(), HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = response.json()
    assert response.status_code == 403
    assert "changed" not in body
    text = response.content.decode()
    assert "40" not in text and "r-prescriber" not in text
    assert "cannot write a medication order" in body["message"]
    assert MedicationOrder.objects.filter(patient=world.alice).count() == 1


def test_the_token_answer_is_said_in_spanish(ordered: World) -> None:
    world = ordered
    secret = _token(world.staff["prescriber"])
    response = _forged_write(
        world, Client(), HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "no puede escribir una orden de medicamento" in response.json()["message"]


def test_a_bound_token_is_refused_before_any_conflict(ordered: World) -> None:
    world = ordered
    secret = _token(world.staff["prescriber"], recipient="County ED")
    response = _forged_write(world, Client(), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403 and "40" not in response.content.decode()


def test_a_signed_in_prescriber_still_reads_what_changed(ordered: World) -> None:
    world = ordered
    response = _forged_write(world, sign_in(Client(), world.staff["prescriber"]))
    assert response.status_code == 409
    assert response.json()["changed"]["newest_order"]["dose_mg"] == "40.00"
