"""Lane switch39 (review 38f): an order for another medication while one medication's order is active asks the
prescriber to choose (`other_order`): "stop" the other order (it ends the day the new one starts, superseded
by the switch, kept, audited) or "keep" both, only for the planned overlap the clinical reference names (a
low-dose buprenorphine start while methadone continues, Hammig 2016); otherwise a 422 naming `other_order`
with the reason and its sources. No choice when one applies: 422 naming `other_order`, on every route (the
API, the medication page, the start page). Runs on SQLite and PostgreSQL (KEEL_TEST_POSTGRES_URL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from keel.audit.models import AuditEvent
from keel.core.rules import switching
from keel.patients.models import local_today
from keel.recovery.common import StaleEdit
from keel.treatment import queries, services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder, OrderStatus
from tests.conftest import World, sign_in
from tests.factories import methadone_with_take_home_plan, page_versions, pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db

STEPS = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def write(world: World, medication: str, mg: str, **kw: Any) -> MedicationOrder:
    """An order as an adapter writes it: from a current read, the choice as sent (None: nothing sent)."""
    kw.setdefault("other_order", None)
    return services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        dose_mg=mg,
        orders_version=queries.orders_version(world.alice),
        **kw,
    )


def refused(world: World, medication: str, mg: str, **kw: Any) -> str:
    before = list(MedicationOrder.objects.filter(patient=world.alice).values_list("id", "status"))
    with pytest.raises(TreatmentInvalid) as caught:
        write(world, medication, mg, **kw)
    assert [e.field for e in caught.value.errors] == ["other_order"]
    assert list(MedicationOrder.objects.filter(patient=world.alice).values_list("id", "status")) == before
    return caught.value.errors[0].reason


def status(order: MedicationOrder) -> str:
    order.refresh_from_db()
    return order.status


def test_buprenorphine_to_methadone_stop_ends_the_buprenorphine_order(world: World) -> None:
    bup = write(world, "buprenorphine", "16")
    methadone = write(world, "methadone", "30", other_order="stop")
    assert status(bup) == OrderStatus.SUPERSEDED
    assert (bup.switched_to_id, bup.ends_on) == (methadone.pk, methadone.starts_on)
    today = local_today(world.alice)
    assert queries.active_order(world.alice, "buprenorphine", today) is None
    assert queries.active_order(world.alice, "methadone", today) == methadone
    assert queries.active_order(world.alice, "buprenorphine", today) is None
    stopped = AuditEvent.objects.filter(
        target_type="medication_order", target_id=str(bup.pk), action="update"
    )
    assert [e.reason for e in stopped] == ["stopped by a switch to another medication"]


def test_a_switch_written_to_start_later_keeps_the_old_order_in_force_until_then(world: World) -> None:
    bup = write(world, "buprenorphine", "16")
    today = local_today(world.alice)
    write(world, "methadone", "30", other_order="stop", starts_on=today + timedelta(days=2))
    assert queries.active_order(world.alice, "buprenorphine", today) == bup
    assert queries.active_order(world.alice, "buprenorphine", today + timedelta(days=1)) == bup
    assert queries.active_order(world.alice, "buprenorphine", today + timedelta(days=2)) is None


def test_methadone_then_a_low_dose_buprenorphine_start_keeps_both(world: World) -> None:
    methadone = write(world, "methadone", "60")
    bup = write(world, "buprenorphine", "8", schedule=STEPS, other_order="keep")
    assert status(methadone) == OrderStatus.ACTIVE
    assert status(bup) == OrderStatus.ACTIVE
    # a methadone dose change during the start: methadone continues beside the low-dose start
    lower = write(world, "methadone", "50", other_order="keep")
    assert status(lower) == OrderStatus.ACTIVE and status(bup) == OrderStatus.ACTIVE


def test_methadone_then_full_dose_buprenorphine_keep_both_is_refused(world: World) -> None:
    write(world, "methadone", "60")
    reason = refused(world, "buprenorphine", "16", other_order="keep")
    assert "not a planned overlap" in reason
    assert "hammig-2016" in reason and "reference-9.6" in reason


def test_naltrexone_active_then_methadone(world: World) -> None:
    ntx = write(world, "naltrexone_xr", "380")
    assert "not a planned overlap" in refused(world, "methadone", "30", other_order="keep")
    methadone = write(world, "methadone", "30", other_order="stop")
    assert status(ntx) == OrderStatus.SUPERSEDED and ntx.switched_to_id == methadone.pk


def test_the_choice_missing_or_not_one_is_422(world: World) -> None:
    write(world, "buprenorphine", "16")
    assert "active buprenorphine order" in refused(world, "methadone", "30")
    assert refused(world, "methadone", "30", other_order="switch") == "one of stop, keep"


def test_no_other_order_asks_no_choice(world: World) -> None:
    write(world, "methadone", "60")
    write(world, "methadone", "50")  # the same medication: superseded as before, nothing to choose


def test_a_double_submit_writes_one_switch(world: World) -> None:
    bup = write(world, "buprenorphine", "16")
    read = queries.orders_version(world.alice)
    sent = {"medication": "methadone", "dose_mg": "30", "other_order": "stop", "orders_version": read}
    services.prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, **sent)
    with pytest.raises(StaleEdit):
        services.prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, **sent)
    assert MedicationOrder.objects.filter(patient=world.alice, medication="methadone").count() == 1
    assert status(bup) == OrderStatus.SUPERSEDED


def test_the_stopped_orders_fhir_status_is_completed_with_its_last_day(world: World) -> None:
    bup = write(world, "buprenorphine", "16")
    today = local_today(world.alice)
    write(world, "methadone", "30", other_order="stop", starts_on=today + timedelta(days=2))
    bup.refresh_from_db()
    assert queries.order_fhir(bup, today=today)["status"] == "active"  # in force until the switch's day
    later = queries.order_fhir(bup, today=today + timedelta(days=2))
    assert later["status"] == "completed"  # as a superseded order no longer in force (`fhir_status`)
    period = later["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]  # type: ignore[index]
    assert period["end"] == (today + timedelta(days=1)).isoformat()


def test_a_superseded_orders_bottles_after_the_switch_are_not_handed_out(world: World) -> None:
    now = timezone.now()
    plan, tomorrow = methadone_with_take_home_plan(world, now - timedelta(hours=1))
    write(world, "buprenorphine", "16", other_order="stop", starts_on=tomorrow)
    services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", now=now)
    plan.refresh_from_db()
    assert tomorrow.isoformat() not in (plan.bottle_mg or {})
    assert plan.ended_on is not None  # kept back: the plan stops, as the window's keep back stops it


# The routes: the API, the medication page, the start page


def api_post(world: World, body: dict[str, Any]) -> Any:
    return sign_in(Client(), world.staff["prescriber"]).post(
        f"/api/v1/patients/{world.alice.pk}/orders", json.dumps(body), content_type="application/json"
    )


def test_the_api_names_other_order_when_it_is_missing(world: World) -> None:
    write(world, "buprenorphine", "16")
    body = {"medication": "methadone", "dose_mg": "30", "orders_version": queries.orders_version(world.alice)}
    response = api_post(world, body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["other_order"]
    response = api_post(world, {**body, "other_order": "stop"})
    assert response.status_code == 201, response.content
    bup = MedicationOrder.objects.get(patient=world.alice, medication="buprenorphine")
    assert bup.status == OrderStatus.SUPERSEDED


def test_the_openapi_shows_other_order(world: World) -> None:
    schema = sign_in(Client(), world.staff["prescriber"]).get("/api/v1/openapi.json").json()
    assert "other_order" in schema["components"]["schemas"]["OrderIn"]["properties"]


def test_the_medication_page_offers_the_choice_only_when_it_applies(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    page = f"/patients/{world.alice.pk}/medication/"
    assert 'name="other_order"' not in client.get(page).content.decode()
    write(world, "buprenorphine", "16")
    with translation.override("es"):
        body = client.get(page, headers={"accept-language": "es"}).content.decode()
    assert 'name="other_order" value="stop"' in body and "checked" not in body.split('name="other_order"')[1]
    assert "Detener la otra orden" in body


def test_the_medication_page_refuses_no_choice_and_writes_the_switch(world: World) -> None:
    bup = write(world, "buprenorphine", "16")
    client = sign_in(Client(), world.staff["prescriber"])
    sent = {**page_versions(world.alice), "medication": "methadone", "dose_mg": "30"}
    client.post(f"/patients/{world.alice.pk}/medication/orders/", sent)
    assert not MedicationOrder.objects.filter(patient=world.alice, medication="methadone").exists()
    client.post(f"/patients/{world.alice.pk}/medication/orders/", {**sent, "other_order": "stop"})
    assert status(bup) == OrderStatus.SUPERSEDED


def test_the_start_page_passes_the_choice(world: World) -> None:
    methadone = write(world, "methadone", "60")
    client = sign_in(Client(), world.staff["prescriber"])
    assert 'name="other_order"' in client.get(f"/patients/{world.alice.pk}/start/").content.decode()
    sent = {
        **page_versions(world.alice, "buprenorphine"),
        "dose_mg": "8",
        "schedule": "\n".join(f"{s['day']} {s['mg']}" for s in STEPS),
    }
    response = client.post(f"/patients/{world.alice.pk}/start/orders/", sent)
    assert response.status_code == 422
    client.post(f"/patients/{world.alice.pk}/start/orders/", {**sent, "other_order": "keep"})
    assert status(methadone) == OrderStatus.ACTIVE
    assert MedicationOrder.objects.get(patient=world.alice, medication="buprenorphine").schedule


def test_the_words_are_in_spanish() -> None:
    from django.utils.translation import gettext

    with translation.override("es"):
        for words in (switching.SWITCHED_AWAY, switching.NOT_A_CHOICE, switching.NOT_PLANNED):
            assert gettext(words) != words


def test_the_window_offers_only_the_new_medication_after_a_switch(world: World) -> None:
    write(world, "buprenorphine", "16")
    before = queries.dosing_list(world.staff["nurse"])
    assert [(r.patient.pk, r.medication) for r in before] == [(world.alice.pk, "buprenorphine")]
    write(world, "methadone", "30", other_order="stop")
    after = queries.dosing_list(world.staff["nurse"])
    assert [(r.patient.pk, r.medication) for r in after] == [(world.alice.pk, "methadone")]


def test_every_call_of_prescribe_in_keel_passes_other_order() -> None:
    """No adapter (the pages, the API; Keel has no CLI that writes an order) may leave the choice out: the
    service's default (`NOT_ASKED`) is for a test's setup."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "src" / "keel"
    missing, seen = [], 0
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = getattr(node, "func", None)
            name = getattr(func, "attr", None) or getattr(func, "id", None)
            if isinstance(node, ast.Call) and name == "prescribe":
                seen += 1
                if "other_order" not in {k.arg for k in node.keywords}:
                    missing.append(f"{path.relative_to(root)}:{node.lineno}")
    assert seen >= 3  # the medication page, the start page, the API
    assert missing == []


def test_the_fhir_record_says_when_the_switch_changed_the_stopped_order(world: World) -> None:
    from keel.access.policy import Area
    from keel.interop.fhir.base import Base, instant
    from keel.interop.fhir.record import record_bundle

    bup = write(world, "buprenorphine", "16")
    later = timezone.now() + timedelta(minutes=5)
    methadone = write(world, "methadone", "30", other_order="stop", now=later)
    bundle = record_bundle(world.alice, frozenset(Area), later, Base("https://keel.example/fhir/R4/"))
    found = {(e["resource"]["resourceType"], e["resource"]["id"]): e["resource"] for e in bundle["entry"]}
    stopped = found[("MedicationRequest", str(bup.pk))]
    assert stopped["meta"]["lastUpdated"] == instant(methadone.created_at)  # the switch, not the writing
    assert stopped["status"] == "completed"
