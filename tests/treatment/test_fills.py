"""Pharmacy fills: medicine taken at home counts as covered days in the program's measures; recorded by
nurses and prescribers, voided (never edited) with a reason."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.audit.models import AuditEvent
from keel.measures import queries
from keel.treatment.models import MedicationFill, MedicationOrder
from keel.web.templatetags.keel_dates import shown_date
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def order(world: World) -> MedicationOrder:
    return MedicationOrder.objects.create(
        patient=world.alice,
        medication="buprenorphine",
        rxnorm="1819",
        dose_mg=Decimal(16),
        starts_on=date(2026, 1, 5),
        prescriber=world.staff["prescriber"],
        created_at=datetime(2026, 1, 5, 15, tzinfo=UTC),
    )


def _retention_90(world: World) -> tuple[int, int]:
    report = queries.report(world.staff["program_admin"], program_slug=None, raw={"start": "2026-01-01"})
    m = report.measure("retention_90")
    return m.numerator, m.denominator


@time_machine.travel(NOW, tick=False)
def test_fills_count_as_days_on_medication_and_a_void_takes_them_back(
    world: World, order: MedicationOrder
) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/fills"
    ids = []
    for day in ("2026-01-05", "2026-02-04", "2026-03-06"):  # 3 x 30 days: Jan 5 to Apr 4, 90 days
        response = _post(
            nurse, path, {"order": order.pk, "filled_on": day, "days_supply": 30, "source": "pharmacy"}
        )
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert (last.action, last.target_type) == ("create", "medication_fill")
    assert _retention_90(world) == (1, 1)
    void = _post(nurse, f"{path}/{ids[2]}/void", {"reason": "pharmacy reversed the claim"})
    assert void.status_code == 201
    assert void.json()["voids"] == ids[2]
    assert _retention_90(world) == (0, 1)  # 60 days left
    again = _post(nurse, f"{path}/{ids[2]}/void", {"reason": "twice"})
    assert again.status_code == 422
    assert again.json()["errors"][0] == {
        "field": "fill",
        "reason": "is already voided",
    }
    assert MedicationFill.objects.get(pk=ids[2]).days_supply == 30  # never edited


@time_machine.travel(NOW, tick=False)
def test_bad_fills_are_named(world: World, order: MedicationOrder) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/fills"
    bad = _post(
        nurse, path, {"order": 999999, "filled_on": "2026-12-01", "days_supply": 0, "source": "friend"}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"order", "filled_on", "days_supply", "source"}
    early = _post(
        nurse, path, {"order": order.pk, "filled_on": "2025-12-01", "days_supply": 30, "source": "pdmp"}
    )
    assert early.json()["errors"] == [
        {"field": "filled_on", "reason": "cannot be before the order starts (2026-01-05)"}
    ]
    counselor = sign_in(Client(), world.staff["counselor"])
    ok = {"order": order.pk, "filled_on": "2026-11-20", "days_supply": 7, "source": "patient"}
    assert _post(counselor, path, ok).status_code == 403
    assert not MedicationFill.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_medication_page_records_and_lists_fills(world: World, order: MedicationOrder) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    page = f"/patients/{world.alice.pk}/medication/"
    response = client.post(
        page + "fills/",
        {
            "order": str(order.pk),
            "filled_on": "2026-11-20",
            "days_supply": "14",
            "source": "pharmacy",
        },
    )
    assert response.status_code == 302
    html = client.get(page).content.decode()
    with translation.override("en"):
        filled = shown_date(date(2026, 11, 20))
    assert f"{filled}: Buprenorphine, 14 days · The pharmacy" in html
    fill = MedicationFill.objects.get()
    client.post(page + f"fills/{fill.pk}/void/", {"reason": "wrong patient"})
    assert f"Fill of {filled} voided: wrong patient" in client.get(page).content.decode()
