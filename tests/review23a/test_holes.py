"""Review 23a: an integration engineer's attack on session 23's orders_version and take-home bottle export.
Each test is one hole and fails until it is fixed; its docstring says the harm."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from keel.access.policy import Area
from keel.api import api
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.treatment.services.take_homes import end_take_home_plan
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan

BASE = Base("https://keel.example/fhir/R4/")


def _dispenses(world: World, now: datetime) -> dict[str, dict[str, Any]]:
    record = Record(world.alice, frozenset(Area), BASE, now)
    return {res["id"]: res for res in record.of_type("MedicationDispense")}


def test_ended_plan_leaves_earlier_preparation_bottles_standing(world: World) -> None:
    """Hole 1: a polling EHR or pharmacy system upserts each MedicationDispense by id. A standing plan's
    bottles are sent as `preparation` (they will go home); when the prescriber ends the plan (a relapse, a
    mistaken plan) before they leave the clinic, the next export simply drops them. Nothing tells the EHR
    that `bottle-<plan>-<day>` will never be handed out, so it keeps showing take-home bottles due for a
    person whose take-homes were stopped. (The same reasoning the export already applies to a bottle taken
    back: leaving it out leaves the earlier claim standing.) FHIR R4 has `cancelled`/`declined` for it."""
    now = timezone.now()
    plan, _first = methadone_with_take_home_plan(world, now)
    before = _dispenses(world, now)
    sent = {rid for rid, res in before.items() if res["status"] == "preparation"}
    assert sent, before  # the standing plan's two bottles, not yet handed out
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="relapse on fentanyl confirmed by urine drug screen today",
        now=now,
    )
    after = _dispenses(world, now)
    missing = sorted(sent - set(after))
    assert not missing, f"sent as preparation, then silently dropped after the plan ended: {missing}"
    assert all(after[rid]["status"] != "preparation" for rid in sent)


def test_openapi_declares_the_409_and_422_of_a_new_order() -> None:
    """Hole 2: `/api/v1/openapi.json` declares only 201 for POST /patients/{id}/orders. The 409 (an order
    changed since `orders_version`) and the 422 (missing, ill-formed or another person's version) are only
    in prose. A pharmacy or EHR client generated from the OpenAPI document has no type for the stale-order
    answer, so a generated client raises a generic error (or retries it as a transport failure) instead of
    re-reading the record: the guard's whole point, "read again before you prescribe", is not in the
    machine-readable contract."""
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    post = schema["paths"]["/api/v1/patients/{patient_id}/orders"]["post"]
    codes = {str(code) for code in post["responses"]}
    assert {"409", "422"} <= codes, codes


def test_start_page_order_ignores_a_methadone_order_written_since_the_page_was_read(
    world: World, signed_in: Any
) -> None:
    """Hole 3: the start page's order form sends only buprenorphine's `order_version`, not every
    medication's (the medication page sends each, and the API's `orders_version` covers all of them: review
    22n hole 2, session 23). A prescriber who opened the start page before a colleague (or an EHR through
    the API) wrote a methadone order saves a buprenorphine order on top of it without being told: two opioid
    agonist orders, each written by someone who never saw the other. The other route that writes orders
    walks around the whole-picture guard."""
    import re

    from django.urls import reverse

    from keel.treatment.models import MedicationOrder
    from keel.treatment.services.orders import prescribe

    client = signed_in("prescriber")
    page = client.get(reverse("treatment:start", args=[world.alice.pk])).content.decode()
    found = re.search(r'name="order_version" value="([0-9]+)"', page)
    assert found, "the start page's order form"
    prescribe(  # a colleague, meanwhile, on another screen
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30"
    )
    client.post(
        reverse("treatment:start_order", args=[world.alice.pk]),
        {"order_version": found.group(1), "dose_mg": "8"},
    )
    written = MedicationOrder.objects.filter(patient=world.alice, medication="buprenorphine")
    assert not written.exists(), "a buprenorphine order saved from a page read before the methadone order"
