"""Lane words25: the API's 409 for an order written from a stale read of the person's orders, in words.

Before, it said "The methadone order changed since you read it (version 3): order 17 is now the newest, 40 mg
from 2026-12-05 (Activo)": a version number, an order id and a status word (in English, or a Spanish one in
brackets). Now it says who wrote which order, when, what it is now and what to do, in the request's language,
and carries what changed as a field (`changed`; no version now: lane api24's decision, kept by the lead). The
one API route that answers it is POST /api/v1/patients/{id}/orders (`services.prescribe`, the only writer
that raises `OrderChanged`; a discharge, a take-home plan's end and the other writes take no orders version),
through either of its versions (`orders_version`, `order_version`). The medication page and the start page
say the same words for the same change."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from keel.accounts.models import User
from keel.patients.models import local_today, zone_of
from keel.patients.schemas import DischargeIn
from keel.patients.services.episodes import discharge
from keel.treatment import queries, services
from keel.treatment.end_words import day_words
from keel.treatment.models import MedicationOrder, OrderStatus
from tests.conftest import World, sign_in
from tests.factories import page_versions

pytestmark = pytest.mark.django_db

ROUTE = "/api/v1/patients/{id}/orders"
LANGUAGES = ["en", "es"]
THEN = {
    "en": "Look at the current orders, then write yours again if it is still needed.",
    "es": "Revise las órdenes actuales y vuelva a escribir la suya si todavía hace falta.",
}
HEAD = {
    "en": "Not saved: the {m} order changed since you read it.",
    "es": "No se guardó: la orden de {m} cambió desde que la leyó.",
}
METHADONE = {"en": "methadone", "es": "metadona"}


def _client(world: World) -> Client:
    return sign_in(Client(), world.staff["prescriber"])


def post(world: World, body: dict[str, Any], language: str) -> Any:
    return _client(world).post(
        ROUTE.format(id=world.alice.pk),
        json.dumps(body),
        content_type="application/json",
        headers={"accept-language": language},
    )


def colleague(world: World, medication: str, mg: str, **more: Any) -> MedicationOrder:
    """Rosa Medina's order, written from a current read (another prescriber's screen)."""
    User.objects.filter(pk=world.staff["prescriber"].pk).update(first_name="Rosa", last_name="Medina")
    return services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        dose_mg=mg,
        orders_version=queries.orders_version(world.alice),
        **more,
    )


def refused(world: World, body: dict[str, Any], language: str) -> dict[str, Any]:
    response = post(world, body, language)
    assert response.status_code == 409, response.content
    out: dict[str, Any] = response.json()
    return out


def stale_after_a_new_order(world: World, language: str) -> tuple[dict[str, Any], MedicationOrder, str]:
    """A client reads the orders; Rosa Medina writes methadone 40 mg; the client writes methadone 60 mg from
    its read: the 409's body, her order, and the token the client read."""
    token = queries.orders_version(world.alice)
    order = colleague(world, "methadone", "40")
    return (
        refused(world, {"medication": "methadone", "dose_mg": "60", "orders_version": token}, language),
        order,
        token,
    )


def clock(order: MedicationOrder, world: World) -> str:
    return f"{timezone.localtime(order.created_at, zone_of(world.alice)):%H:%M}"


# What the 409 says


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_409_says_who_wrote_which_order_when_and_what_to_do(world: World, language: str) -> None:
    body, order, _token = stale_after_a_new_order(world, language)
    wrote = {
        "en": f"Rosa Medina wrote a new order (today, {clock(order, world)}): 40 mg, starting today.",
        "es": f"Rosa Medina escribió una orden nueva (hoy, {clock(order, world)}): 40 mg, a partir de hoy.",
    }[language]
    head = HEAD[language].format(m=METHADONE[language])
    assert body["message"] == f"{head} {wrote} {THEN[language]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_409_says_no_version_order_id_or_status_word(world: World, language: str) -> None:
    body, order, token = stale_after_a_new_order(world, language)
    numbers = set(re.findall(r"[0-9]+", body["message"]))
    assert numbers <= {"40", *clock(order, world).split(":")}, body["message"]
    assert "version" not in body["message"].lower() and "versión" not in body["message"].lower()
    assert token not in body["message"]
    for status in OrderStatus:
        assert f"({status.label})" not in body["message"]


def test_the_spanish_409_has_no_english_in_it(world: World) -> None:
    body, _order, _token = stale_after_a_new_order(world, "es")
    english = ["methadone", "order", "today", "Active", "Stopped", "Replaced", "Not saved", "Activo"]
    assert [w for w in english if w in body["message"]] == []
    assert body["errors"][0]["reason"] == body["message"]


def test_the_409_names_the_first_day_of_an_order_to_start_later(world: World) -> None:
    later = local_today(world.alice) + timedelta(days=2)
    token = queries.orders_version(world.alice)
    colleague(world, "methadone", "40", starts_on=later)
    body = refused(world, {"medication": "methadone", "dose_mg": "60", "orders_version": token}, "en")
    with translation.override("en"):
        assert f"40 mg, starting {day_words(later, local_today(world.alice))}." in body["message"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_409_names_the_other_medication_that_changed(world: World, language: str) -> None:
    token = queries.orders_version(world.alice)
    colleague(world, "naltrexone_xr", "380")
    body = refused(world, {"medication": "methadone", "dose_mg": "30", "orders_version": token}, language)
    name = {"en": "extended-release naltrexone", "es": "naltrexona de liberación prolongada"}[language]
    assert body["message"].startswith(HEAD[language].format(m=name)), body["message"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_409_through_order_version_says_the_same_words(world: World, language: str) -> None:
    """The per-medication `order_version` (optional beside `orders_version`) stale, the whole one current:
    the same words, naming `order_version`."""
    read = queries.order_version(world.alice, "methadone")
    order = colleague(world, "methadone", "40")
    current = queries.orders_version(world.alice)
    body = refused(
        world,
        {"medication": "methadone", "dose_mg": "60", "orders_version": current, "order_version": read},
        language,
    )
    assert [e["field"] for e in body["errors"]] == ["order_version"]
    assert clock(order, world) in body["message"] and THEN[language] in body["message"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_409_after_a_discharge_says_the_order_was_stopped(world: World, language: str) -> None:
    colleague(world, "methadone", "30")
    token = queries.orders_version(world.alice)
    discharge(
        by=world.staff["prescriber"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    body = refused(world, {"medication": "methadone", "dose_mg": "20", "orders_version": token}, language)
    today = local_today(world.alice)
    with translation.override(language):
        day = day_words(today, today)
    stopped = {
        "en": f"The order of 30 mg was stopped when this person was discharged ({day}).",
        "es": f"La orden de 30 mg se suspendió cuando esta persona recibió el alta ({day}).",
    }[language]
    assert stopped in body["message"], body["message"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_409_for_a_medication_with_no_order_says_so(world: World, language: str) -> None:
    """A version that names naltrexone orders the person does not have (a client's own record of another
    read): no order to describe."""
    versions = queries.order_versions(world.alice)
    token = "-".join(str(n) for n in (world.alice.pk, *(v + 5 for v in versions.values())))
    body = refused(world, {"medication": "methadone", "dose_mg": "30", "orders_version": token}, language)
    said = {
        "en": "Not saved: the methadone orders changed since you read them, and there is no methadone "
        "order now.",
        "es": "No se guardó: las órdenes de metadona cambiaron desde que las leyó y ahora no hay ninguna "
        "orden de metadona.",
    }[language]
    assert body["message"] == f"{said} {THEN[language]}"
    assert body["changed"]["newest_order"] is None


# What the 409 carries as fields


def test_the_409_carries_no_version_now(world: World) -> None:
    """A refusal is never a token to re-send the same write blindly (lane api24): the client reads again."""
    body, _order, _token = stale_after_a_new_order(world, "en")
    assert {"orders_version", "order_versions"} & set(body) == set()


def test_the_409_carries_what_changed(world: World) -> None:
    read = queries.order_version(world.alice, "methadone")
    body, written, _token = stale_after_a_new_order(world, "es")
    order = MedicationOrder.objects.get(pk=written.pk)  # as stored (dose_mg "40.00", as OrderOut gives it)
    assert body["changed"] == {
        "medication": "methadone",
        "version_read": read,
        "newest_order": {
            "id": order.pk,
            "dose_mg": str(order.dose_mg),
            "starts_on": order.starts_on.isoformat(),
            "status": "active",
            "written_at": order.created_at.isoformat(),
            "written_by": "Rosa Medina",
            "written_by_name": "Rosa Medina",  # lane words34: as a person reads it, beside
            "stopped_on": None,
        },
    }


def test_the_409_after_a_discharge_carries_the_day_it_stopped(world: World) -> None:
    colleague(world, "methadone", "30")
    token = queries.orders_version(world.alice)
    discharge(
        by=world.staff["prescriber"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    body = refused(world, {"medication": "methadone", "dose_mg": "20", "orders_version": token}, "en")
    newest = body["changed"]["newest_order"]
    assert (newest["status"], newest["stopped_on"]) == ("stopped", local_today(world.alice).isoformat())


def test_the_409_keeps_the_apis_error_shape(world: World) -> None:
    body, _order, _token = stale_after_a_new_order(world, "en")
    assert [e["field"] for e in body["errors"]] == ["orders_version"]
    assert body["errors"][0]["reason"] == body["message"]


def test_an_order_sent_again_after_reading_the_orders_again_is_written(world: World) -> None:
    _body, _order, _token = stale_after_a_new_order(world, "en")
    now = _client(world).get(f"/api/v1/patients/{world.alice.pk}/medication").json()["orders_version"]
    again = {"medication": "methadone", "dose_mg": "60", "orders_version": now}
    assert post(world, again, "en").status_code == 201


def test_the_409_writes_nothing(world: World) -> None:
    token = queries.orders_version(world.alice)
    colleague(world, "methadone", "40")
    before = list(MedicationOrder.objects.filter(patient=world.alice).values_list("id", "status"))
    refused(world, {"medication": "methadone", "dose_mg": "60", "orders_version": token}, "en")
    assert list(MedicationOrder.objects.filter(patient=world.alice).values_list("id", "status")) == before


# The pages say the same


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("where", ["medication", "start"])
def test_the_pages_say_what_the_api_says(world: World, where: str, language: str) -> None:
    page_read = page_versions(world.alice, "buprenorphine" if where == "start" else "")
    token = queries.orders_version(world.alice)
    colleague(world, "methadone", "40")
    if where == "start":
        url, data = reverse("treatment:start_order", args=[world.alice.pk]), {"dose_mg": "4"}
    else:
        url = reverse("treatment:create_order", args=[world.alice.pk])
        data = {"medication": "buprenorphine", "dose_mg": "8"}
    page = _client(world).post(url, {**page_read, **data}, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 409
    api = refused(world, {"medication": "buprenorphine", "dose_mg": "8", "orders_version": token}, language)
    assert html.escape(api["message"]) in page.content.decode()
