"""Session 22, item 1: a medication order names the version of the orders its writer read (`order_version`:
the id of the newest order of that medication, 0 for none), and an order written since refuses it. Two tabs
open the order page; one lowers the methadone dose after a high QTc; the other saves from the stale page:
refused (409 on the API with a body naming `order_version` and the newest order, in the request's language;
the page shown again with the current order; nothing written). A missing version: 422 naming it. The
PostgreSQL race (two submits at once) is tests/treatment/test_order_version_race.py."""

from __future__ import annotations

import ast
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import local_today
from keel.recovery.common import StaleEdit
from keel.treatment import queries, services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder
from tests.conftest import World, sign_in
from tests.factories import page_versions

pytestmark = pytest.mark.django_db


def write(world: World, mg: object, version: object, medication: str = "methadone", **kw: Any) -> Any:
    return services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        dose_mg=mg,
        order_version=version,
        **kw,
    )


def stale(world: World, mg: object, version: object, **kw: Any) -> StaleEdit:
    with pytest.raises(StaleEdit) as caught:
        write(world, mg, version, **kw)
    return caught.value


def version(world: World, medication: str = "methadone") -> int:
    return queries.order_version(world.alice, medication)


def orders(world: World) -> list[tuple[int, str, str]]:
    return [
        (o.pk, f"{o.dose_mg.normalize():f}", o.status)
        for o in MedicationOrder.objects.filter(patient=world.alice).order_by("id")
    ]


def lowered(world: World) -> tuple[int, int]:
    """80 mg, then both tabs read it, then one lowers it to 60: (the version both read, the lowering's id)."""
    first = write(world, "80", 0)
    read = version(world)
    assert read == first.pk
    lower = write(world, "60", read, note="QTc 510 ms: lowered")
    return read, lower.pk


# The version


def test_no_order_yet_is_version_0(world: World) -> None:
    assert version(world) == 0


def test_the_version_is_the_newest_orders_id(world: World) -> None:
    _read, newest = lowered(world)
    assert version(world) == newest


def test_each_medication_has_its_own_version(world: World) -> None:
    lowered(world)
    assert version(world, "buprenorphine") == 0


# The service: a stale raise after a lowering


def test_the_stale_tab_cannot_undo_the_lowering(world: World) -> None:
    read, _newest = lowered(world)
    stale(world, "80", read)
    assert MedicationOrder.objects.get(patient=world.alice, status="active").dose_mg == 60


def test_the_stale_tab_writes_nothing(world: World) -> None:
    read, _newest = lowered(world)
    before = orders(world)
    stale(world, "80", read)
    assert orders(world) == before


def test_the_refusal_names_order_version(world: World) -> None:
    read, _newest = lowered(world)
    assert stale(world, "80", read).field == "order_version"


def test_the_refusal_says_which_order_is_now_the_newest(world: World) -> None:
    read, _newest = lowered(world)
    text = str(stale(world, "80", read))
    assert "wrote a new order (today, " in text and "): 60 mg, starting today." in text  # lane words25


def test_the_refusal_is_not_audited_as_an_order(world: World) -> None:
    read, _newest = lowered(world)
    before = AuditEvent.objects.filter(target_type="medication_order").count()
    stale(world, "80", read)
    assert AuditEvent.objects.filter(target_type="medication_order").count() == before


def test_a_stale_lowering_is_refused_too(world: World) -> None:
    """Any change since the read refuses any write: the version says nothing of the direction."""
    read, _newest = lowered(world)
    stale(world, "40", read)


def test_an_order_written_to_start_later_changes_the_version(world: World) -> None:
    """A lowering written to start tomorrow leaves today's order in force; the stale tab is refused all the
    same (the order in force would not have told them apart)."""
    first = write(world, "80", 0)
    tomorrow = local_today(world.alice, timezone.now()) + timedelta(days=1)
    later = write(world, "60", first.pk, starts_on=tomorrow)
    assert later.deferred
    stale(world, "90", first.pk)


def test_the_current_version_writes(world: World) -> None:
    _read, newest = lowered(world)
    assert write(world, "55", newest).supersedes_id == newest


# Double submit


def test_a_double_submit_writes_one_order(world: World) -> None:
    write(world, "30", 0)
    read = version(world)
    write(world, "35", read)
    stale(world, "35", read)
    assert [mg for _pk, mg, _s in orders(world)] == ["30", "35"]


def test_a_first_order_double_submitted_writes_one(world: World) -> None:
    write(world, "30", 0)
    stale(world, "30", 0)
    assert len(orders(world)) == 1


# A missing or bad version (an adapter passes what it was sent)


@pytest.mark.parametrize("bad", [None, "", "x", "-1", "1.5", True, -3, "١٢"])
def test_a_missing_or_bad_version_is_named(world: World, bad: object) -> None:
    with pytest.raises(TreatmentInvalid) as caught:
        write(world, "30", bad)
    assert [e.field for e in caught.value.errors] == ["order_version"]


def test_a_version_as_text_is_read(world: World) -> None:
    assert write(world, "30", "0").dose_mg == 30


def test_an_unknown_medication_is_named_not_the_version(world: World) -> None:
    with pytest.raises(TreatmentInvalid) as caught:
        write(world, "30", None, medication="Methadone")
    assert "medication" in [e.field for e in caught.value.errors]


# The API


def api(world: World, body: dict[str, Any], language: str = "en") -> Any:
    """The body with the version of all the person's orders now (`orders_version`, session 23: required, see
    tests/treatment/test_orders_version.py) unless it names one: these tests are of `order_version`."""
    body = {"orders_version": queries.orders_version(world.alice), **body}
    client = sign_in(Client(), world.staff["prescriber"])
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        json.dumps(body),
        content_type="application/json",
        headers={"accept-language": language},
    )


def test_the_api_writes_with_the_version(world: World) -> None:
    assert api(world, {"medication": "methadone", "dose_mg": "30", "order_version": 0}).status_code == 201


def test_the_api_writes_with_orders_version_alone(world: World) -> None:
    """Session 23: `order_version` is optional beside `orders_version`, which covers it."""
    assert api(world, {"medication": "methadone", "dose_mg": "30"}).status_code == 201


def test_the_api_refuses_a_body_with_no_version_with_422(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        json.dumps({"medication": "methadone", "dose_mg": "30"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["orders_version"]
    assert orders(world) == []


@pytest.mark.parametrize("bad", ["3", None, -1, 1.5, True])
def test_the_api_refuses_a_version_that_is_not_a_whole_number(world: World, bad: object) -> None:
    response = api(world, {"medication": "methadone", "dose_mg": "30", "order_version": bad})
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["order_version"])


def test_the_api_refuses_the_stale_tab_with_409(world: World) -> None:
    read, _newest = lowered(world)
    response = api(world, {"medication": "methadone", "dose_mg": "80", "order_version": read})
    assert response.status_code == 409


def test_the_api_409_names_order_version_and_the_newest_order(world: World) -> None:
    read, newest = lowered(world)
    body = api(world, {"medication": "methadone", "dose_mg": "80", "order_version": read}).json()
    assert [e["field"] for e in body["errors"]] == ["order_version"]
    assert "): 60 mg, starting today." in body["message"]  # lane words25: no order id in the words
    assert body["changed"]["newest_order"]["id"] == newest  # the id is a field


def test_the_api_409_is_in_spanish_for_a_spanish_request(world: World) -> None:
    read, newest = lowered(world)
    body = api(world, {"medication": "methadone", "dose_mg": "80", "order_version": read}, "es").json()
    assert "escribió una orden nueva (hoy, " in body["message"]  # lane words25: no order id in the words
    assert "): 60 mg, a partir de hoy." in body["message"]
    assert body["changed"]["newest_order"]["id"] == newest
    assert body["errors"][0]["reason"] == body["message"]


def test_the_api_stale_tab_writes_nothing(world: World) -> None:
    read, _newest = lowered(world)
    before = orders(world)
    api(world, {"medication": "methadone", "dose_mg": "80", "order_version": read})
    assert orders(world) == before


def test_the_openapi_document_requires_orders_version(world: World) -> None:
    """Session 23: `orders_version` (every medication's) is required; `order_version` optional beside it."""
    schema = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]["OrderIn"]
    assert "orders_version" in schema["required"]
    assert "order_version" not in schema["required"]
    assert schema["properties"]["order_version"]["anyOf"][0]["minimum"] == 0


# The medication page


def page_post(world: World, data: dict[str, str]) -> Any:
    """The page's form: every medication's version as the page renders it now (review 23a hole 3), then
    what the test says it read (a stale one, or none: `order_version_<m>` left out when the test sends no
    version at all)."""
    client = sign_in(Client(), world.staff["prescriber"])
    sent = (
        {**page_versions(world.alice), **data} if any(k.startswith("order_version") for k in data) else data
    )
    return client.post(f"/patients/{world.alice.pk}/medication/orders/", sent)


def test_the_page_carries_each_medications_version(world: World) -> None:
    _read, newest = lowered(world)
    client = sign_in(Client(), world.staff["prescriber"])
    body = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
    assert f'name="order_version_methadone" value="{newest}"' in body
    assert 'name="order_version_buprenorphine" value="0"' in body


def test_the_page_writes_with_the_version_it_showed(world: World) -> None:
    response = page_post(world, {"medication": "methadone", "dose_mg": "30", "order_version_methadone": "0"})
    assert response.status_code == 302
    assert [mg for _pk, mg, _s in orders(world)] == ["30"]


def test_the_page_refuses_the_stale_tab_with_409(world: World) -> None:
    read, _newest = lowered(world)
    data = {"medication": "methadone", "dose_mg": "80", "order_version_methadone": str(read)}
    assert page_post(world, data).status_code == 409


def test_the_page_shows_the_current_order_and_why(world: World) -> None:
    read, newest = lowered(world)
    data = {"medication": "methadone", "dose_mg": "80", "order_version_methadone": str(read)}
    body = page_post(world, data).content.decode()
    assert 'id="order-error"' in body
    assert "): 60 mg, starting today." in body  # no order id on a page (lane words24; words25's words)
    assert f'name="order_version_methadone" value="{newest}"' in body  # a fresh form, the new version


def test_the_page_stale_tab_writes_nothing(world: World) -> None:
    read, _newest = lowered(world)
    before = orders(world)
    page_post(world, {"medication": "methadone", "dose_mg": "80", "order_version_methadone": str(read)})
    assert orders(world) == before


def test_the_page_without_a_version_writes_nothing(world: World) -> None:
    page_post(world, {"medication": "methadone", "dose_mg": "30"})
    assert orders(world) == []


def test_the_page_without_a_version_says_so(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/patients/{world.alice.pk}/medication/orders/",
        {"medication": "methadone", "dose_mg": "30"},
        follow=True,
    )
    assert "order_version" in response.content.decode()


def test_the_page_reads_the_chosen_medications_version(world: World) -> None:
    lowered(world)
    data = {"medication": "buprenorphine", "dose_mg": "8", "order_version_buprenorphine": "0"}
    data["other_order"] = "stop"  # lane switch39: methadone is active: the prescriber's choice
    assert page_post(world, data).status_code == 302
    assert version(world, "buprenorphine") != 0


# The start page (buprenorphine): another route that writes an order


def test_the_start_page_refuses_an_order_written_since(world: World) -> None:
    write(world, "8", 0, medication="buprenorphine")
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/patients/{world.alice.pk}/start/orders/",
        {**page_versions(world.alice, "buprenorphine"), "dose_mg": "4", "order_version": "0"},
    )
    assert response.status_code == 409
    assert "): 8 mg, starting today." in response.content.decode()  # lane words25's words
    assert version(world, "buprenorphine") == MedicationOrder.objects.get(patient=world.alice).pk


def test_the_start_page_carries_the_version(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    body = client.get(f"/patients/{world.alice.pk}/start/").content.decode()
    assert 'name="order_version" value="0"' in body


def test_the_start_page_writes_with_the_version(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/patients/{world.alice.pk}/start/orders/",
        {**page_versions(world.alice, "buprenorphine"), "dose_mg": "4", "order_version": "0"},
    )
    assert response.status_code == 302


# Every adapter passes what its writer read


def _calls_of_prescribe(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "prescribe")
            or (isinstance(node.func, ast.Name) and node.func.id == "prescribe")
        )
    ]


def test_every_call_of_prescribe_in_keel_passes_order_version() -> None:
    """No adapter (page, API, CLI) may leave the version out: the service's default is for a test's setup.
    An API adapter passes `orders_version` too (session 23: every medication's)."""
    root = Path(__file__).resolve().parents[2] / "src" / "keel"
    missing, seen = [], 0
    for path in root.rglob("*.py"):
        for call in _calls_of_prescribe(ast.parse(path.read_text(encoding="utf-8"))):
            seen += 1
            named = {k.arg for k in call.keywords}
            if "order_version" not in named or ("api" in path.parts and "orders_version" not in named):
                missing.append(f"{path.relative_to(root)}:{call.lineno}")
    assert seen >= 3  # the medication page, the start page, the API
    assert missing == []
