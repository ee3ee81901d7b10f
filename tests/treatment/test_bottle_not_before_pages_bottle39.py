"""Lane bottle39 (re-attack 38t finding 1): where tomorrow's bottle is shown after 80 mg at 23:00, it says
when she may take it ("Bottle for <day>: take it not before 11:00 on <day>."): the nurse's row after the dose,
the take-home plan on the medication page, her own page, the API's plan output and the FHIR
MedicationDispense (timing boundsPeriod start and text); Spanish too. A morning dose says nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import given_daily, pinned_at_last_five_pm_utc, two_bottle_plan
from tests.fhir_r4 import assert_valid_r4
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db
LINE = "take it not before 11:00 on"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _plan(world: World, day: date) -> TakeHomePlan:
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    return two_bottle_plan(world, at(day - timedelta(days=1), 14), day + timedelta(days=1))


def _row(world: World, when: datetime, language: str = "en") -> str:
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "80", "sequence": "1", "medication": "methadone"},
            HTTP_HX_REQUEST="true",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    assert response.status_code == 200
    return response.content.decode()


def test_the_nurses_row_after_the_23_00_dose_says_the_time(world: World) -> None:
    day = days_ago(3)
    _plan(world, day)
    html = _row(world, at(day, 23))
    assert LINE in html
    assert html.count(LINE) == 1  # only the first bottle (tomorrow's), not the day after's


def test_the_nurses_row_after_a_morning_dose_says_no_time(world: World) -> None:
    day = days_ago(3)
    _plan(world, day)
    assert "not before" not in _row(world, at(day, 9))


def test_spanish_row(world: World) -> None:
    day = days_ago(3)
    _plan(world, day)
    assert "no lo tome antes de las 11:00 del" in _row(world, at(day, 23), "es")


def test_the_medication_page_her_page_the_api_and_fhir_say_it(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    _row(world, at(day, 23))
    tomorrow = day + timedelta(days=1)
    moment = at(tomorrow, 11).astimezone(UTC).isoformat()
    with time_machine.travel(at(day, 23, 10), tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        page = nurse.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
        assert LINE in page
        api = nurse.get(f"/api/v1/patients/{world.alice.pk}/medication").json()
        assert api["take_homes"][0]["bottle_not_before"] == {tomorrow.isoformat(): moment}
    with time_machine.travel(at(tomorrow, 8), tick=False):
        own = sign_in(Client(), world.alice.user).get("/me/").content.decode()
        assert LINE in own
        rec = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), at(tomorrow, 8))
        found: dict[str, Any] = {d["id"]: d for d in rec.of_type("MedicationDispense")}
        first = found[f"bottle-{plan.pk}-{tomorrow.strftime('%Y%m%d')}"]["dosageInstruction"][0]
        assert first["timing"]["repeat"]["boundsPeriod"]["start"] == moment
        assert f"not before {moment}" in first["text"]
        later = found[f"bottle-{plan.pk}-{(tomorrow + timedelta(days=1)).strftime('%Y%m%d')}"]
        assert "repeat" not in later["dosageInstruction"][0]["timing"]
        assert_valid_r4(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": r} for r in found.values()],
            }
        )
    with time_machine.travel(at(tomorrow + timedelta(days=1), 8), tick=False):  # her bottle's day is past
        assert "not before" not in sign_in(Client(), world.alice.user).get("/me/").content.decode()
