"""Session 19q: the QTc's warnings are shown. Prescribing methadone on a recent QTc over 450 ms answers with
`warnings` (reasons with source ids) on the API and shows the warning on the order page; a recent QTc of 500
ms or more puts a plain notice on the person's record ("review the methadone dose"), in Spanish too."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.treatment.queries import order_version, orders_version
from keel.treatment.services.qtc import record_qtc
from keel.web.templatetags.keel_dates import shown_date
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York
TODAY = date(2026, 11, 25)
NOTICE = "QTc of 500 ms or more on {day}: review the methadone dose"


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def _prescribe(world: World, medication: str = "methadone", dose: str = "90") -> Any:
    client = sign_in(Client(), world.staff["prescriber"])
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        json.dumps(
            {
                "medication": medication,
                "dose_mg": dose,
                "order_version": order_version(world.alice, medication),
                "orders_version": orders_version(world.alice),
                "other_order": "stop",  # lane switch39: read only when another medication's order is active
            }
        ),
        "application/json",
    )


def test_a_raise_on_a_qtc_over_450_answers_with_a_warning(world: World) -> None:
    methadone_with_qtc(world, 470)
    response = _prescribe(world)
    assert response.status_code == 201
    (warning,) = response.json()["warnings"]
    assert "470 ms" in warning["text"] and "monitor more often" in warning["text"]


def test_the_warning_names_its_source(world: World) -> None:
    methadone_with_qtc(world, 470)
    (warning,) = _prescribe(world).json()["warnings"]
    assert warning["sources"] == ["krantz-2009"]


def test_no_warning_at_450(world: World) -> None:
    methadone_with_qtc(world, 450)
    assert _prescribe(world).json()["warnings"] == []


def test_no_warning_without_a_qtc(world: World) -> None:
    methadone_with_qtc(world, None)
    assert _prescribe(world).json()["warnings"] == []


def test_no_warning_on_a_qtc_older_than_the_recent_window(world: World) -> None:
    methadone_with_qtc(world, 470, measured_on=TODAY - timedelta(days=31))
    assert _prescribe(world).json()["warnings"] == []


def test_a_lowering_on_a_qtc_of_520_warns_to_consider_reducing(world: World) -> None:
    methadone_with_qtc(world, 520, taken=True)
    (warning,) = _prescribe(world, dose="60").json()["warnings"]
    assert "consider reducing or stopping methadone" in warning["text"]


def test_a_buprenorphine_order_has_no_qtc_warning(world: World) -> None:
    methadone_with_qtc(world, 470)
    assert _prescribe(world, medication="buprenorphine", dose="8").json()["warnings"] == []


def _page(world: World, path: str, role: str = "prescriber", lang: str = "en") -> str:
    client = sign_in(Client(), world.staff[role])
    response = client.get(path, headers={"accept-language": lang})
    assert response.status_code == 200
    return response.content.decode()


def test_the_order_page_shows_the_warning_over_450(world: World) -> None:
    methadone_with_qtc(world, 470)
    page = _page(world, f"/patients/{world.alice.pk}/medication/")
    assert "QTc 470 ms (over 450, under 500): discuss risks and benefits and monitor more often." in page


def test_the_order_page_shows_it_in_spanish(world: World) -> None:
    methadone_with_qtc(world, 470)
    page = _page(world, f"/patients/{world.alice.pk}/medication/", lang="es")
    assert "QTc 470 ms (más de 450, menos de 500)" in page


def test_the_order_page_shows_no_warning_at_450(world: World) -> None:
    methadone_with_qtc(world, 450)
    page = _page(world, f"/patients/{world.alice.pk}/medication/")
    assert "over 450" not in page


def test_the_record_shows_the_notice_on_a_qtc_of_500_or_more(world: World) -> None:
    methadone_with_qtc(world, 520)
    with translation.override("en"):
        notice = NOTICE.format(day=shown_date(TODAY))
    assert notice in _page(world, f"/patients/{world.alice.pk}/", role="nurse")


def test_the_record_shows_the_notice_in_spanish(world: World) -> None:
    methadone_with_qtc(world, 520)
    page = _page(world, f"/patients/{world.alice.pk}/", role="nurse", lang="es")
    with translation.override("es"):
        day = shown_date(TODAY)
    assert f"QTc de 500 ms o más el {day}: revise la dosis de metadona" in page


def test_the_record_shows_no_notice_on_a_qtc_of_470(world: World) -> None:
    methadone_with_qtc(world, 470)
    assert "review the methadone dose" not in _page(world, f"/patients/{world.alice.pk}/", role="nurse")


def test_the_record_shows_no_notice_on_an_old_qtc_cleared_by_a_newer_ecg(world: World) -> None:
    """Review 22m: an old QTc of 520 stays in force until a newer ECG (here 440, itself old)."""
    methadone_with_qtc(world, 520, measured_on=TODAY - timedelta(days=40))
    record_qtc(
        by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=440, measured_on=TODAY - timedelta(days=31)
    )
    assert "review the methadone dose" not in _page(world, f"/patients/{world.alice.pk}/", role="nurse")
