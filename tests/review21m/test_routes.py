"""Review 21m's fixes by the other routes to the same actions (the API and the pages; no CLI writes an order,
a dose or a correction): each route calls the one service, so each meets the same fix. The clock as in
test_holes.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.core.rules.buprenorphine import NOT_READY_TO_DOSE
from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder, QtcRecord
from keel.treatment.queries import order_version, orders_version
from keel.treatment.services.orders import prescribe
from keel.treatment.services.overrides import add_override
from tests.conftest import World, sign_in
from tests.factories import given_on, page_versions
from tests.review21m.test_holes import _dose, _methadone, _on_sixty, _qtc

pytestmark = pytest.mark.django_db


def _post_order(client: Client, world: World, mg: str) -> object:
    """An order written after reading the current orders (session 22: `order_version`; the same body sent
    twice from one read is refused, tests/treatment/test_order_versions.py)."""
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        json.dumps(
            {
                "medication": "methadone",
                "dose_mg": mg,
                "order_version": order_version(world.alice, "methadone"),
                "orders_version": orders_version(world.alice),
            }
        ),
        "application/json",
    )


def _orders(world: World) -> list[MedicationOrder]:
    return list(MedicationOrder.objects.filter(patient=world.alice, medication="methadone").order_by("id"))


# --- 1. A raise submitted twice ---


def test_the_order_api_submitted_twice_raises_from_the_level_given(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    with time_machine.travel(now - timedelta(hours=3), tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        assert _post_order(client, world, "70").status_code == 201
        assert _post_order(client, world, "70").status_code == 201
    assert [o.raised_from_mg for o in _orders(world)][-2:] == [60, 60]


def test_the_order_page_submitted_twice_raises_from_the_level_given(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    with time_machine.travel(now - timedelta(hours=3), tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        for _ in range(2):
            client.post(  # each after reading the current orders (session 22: `order_version`)
                f"/patients/{world.alice.pk}/medication/orders/",
                {
                    "medication": "methadone",
                    "dose_mg": "70",
                    **page_versions(world.alice),
                    "order_version_methadone": str(order_version(world.alice, "methadone")),
                },
            )
    assert [o.raised_from_mg for o in _orders(world)][-2:] == [60, 60]


# --- 2. A blocked start re-written without the QTc reason ---


def _blocked_start(world: World) -> None:
    now = timezone.now()
    _methadone(world, "30", now - timedelta(hours=3))
    _qtc(world, 520, now - timedelta(hours=2))


def test_the_order_api_refuses_the_re_written_start_naming_override_reason(world: World) -> None:
    _blocked_start(world)
    response = _post_order(sign_in(Client(), world.staff["prescriber"]), world, "30")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["override_reason"]
    assert len(_orders(world)) == 1


def test_the_order_page_saves_no_re_written_start(world: World) -> None:
    _blocked_start(world)
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/patients/{world.alice.pk}/medication/orders/",
        {
            "medication": "methadone",
            "dose_mg": "30",
            **page_versions(world.alice),
            "order_version_methadone": str(order_version(world.alice, "methadone")),
        },
        follow=True,
    )
    assert response.status_code == 200 and "520" in response.content.decode()
    assert len(_orders(world)) == 1


# --- 3. A correction up after today's QTc of 520 ---


def _yesterday_under_a_raise(world: World) -> DoseRecord:
    now = timezone.now()
    today = local_today(world.alice, now)
    _on_sixty(world, now, days=5)
    DoseRecord.objects.filter(patient=world.alice, local_date=today - timedelta(days=1)).delete()
    raised = _methadone(world, "70", now - timedelta(days=1, hours=5))
    yesterday = given_on(world, raised, today - timedelta(days=1), 60, 5)
    _qtc(world, 520, now - timedelta(hours=3))
    return yesterday


def test_the_correction_api_refuses_the_raise_naming_corrected_mg(world: World) -> None:
    yesterday = _yesterday_under_a_raise(world)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses/{yesterday.pk}/amendments",
        json.dumps(
            {
                "corrected_mg": "70",
                "reason": "typed 60 by mistake, the pump log shows 70 mg",
                "correction_version": 0,
            }
        ),
        "application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["corrected_mg"]
    assert not DoseAmendment.objects.filter(dose=yesterday).exists()


def test_the_correction_page_saves_no_raise(world: World) -> None:
    yesterday = _yesterday_under_a_raise(world)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/patients/{world.alice.pk}/medication/doses/{yesterday.pk}/amendments/",
        {"corrected_mg": "70", "reason": "typed 60 by mistake, the pump log shows 70 mg"},
        follow=True,
    )
    assert response.status_code == 200 and "520" in response.content.decode()
    assert not DoseAmendment.objects.filter(dose=yesterday).exists()


# --- 4. A full buprenorphine dose on a low-dose step day after methadone ---


def _low_dose_with_a_limit_override(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="4",
        schedule=[{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}, {"day": 3, "mg": 2}, {"day": 4, "mg": 4}],
        now=now - timedelta(hours=4),
    )
    _dose(world, "60", now - timedelta(hours=2))
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        kind="limit",
        max_total_mg="8",
        reason="cravings are high today, give more than the schedule's first step",
        now=now - timedelta(hours=1),
    )


def _buprenorphine_given(world: World) -> bool:
    return DoseRecord.objects.filter(patient=world.alice, medication="buprenorphine").exists()


def test_the_dose_api_blocks_the_full_dose(world: World) -> None:
    _low_dose_with_a_limit_override(world)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"medication": "buprenorphine", "amount_mg": "8", "sequence": 1}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["decision"]["decision"] == NOT_READY_TO_DOSE
    assert not _buprenorphine_given(world)


def test_the_start_page_blocks_the_full_dose(world: World) -> None:
    _low_dose_with_a_limit_override(world)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/patients/{world.alice.pk}/start/doses/", {"amount_mg": "8", "sequence": "1"}
    )
    assert response.status_code == 422
    assert not _buprenorphine_given(world)


# --- 5. The QTc the gate saw, kept by the API's order ---


def test_the_order_api_keeps_the_newest_qtc_its_gate_saw(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    _qtc(world, 440, now - timedelta(hours=1))
    assert _post_order(sign_in(Client(), world.staff["prescriber"]), world, "70").status_code == 201
    assert _orders(world)[-1].qtc_seen_id == QtcRecord.objects.get(patient=world.alice).pk
