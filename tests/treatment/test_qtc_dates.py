"""Review 19a: a QTc measured in the future is refused on every route, and the QTc a methadone order is gated
on is the latest measured on or before today in the program's zone (never a row dated after today)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import QtcRecord
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York)
LATE = datetime(2026, 12, 4, 4, 30, tzinfo=UTC)  # 23:30 on 3 December in Riverside, 4 December in UTC


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_service_refuses_a_qtc_measured_tomorrow_naming_measured_on(world: Any) -> None:
    with pytest.raises(TreatmentInvalid) as caught:
        record_qtc(
            by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=430, measured_on=date(2026, 12, 4)
        )
    assert [e.field for e in caught.value.errors] == ["measured_on"]
    assert not QtcRecord.objects.filter(patient=world.alice).exists()


def test_a_bad_qtc_and_a_future_date_are_named_together(world: Any) -> None:
    with pytest.raises(TreatmentInvalid) as caught:
        record_qtc(
            by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=9999, measured_on=date(2027, 12, 3)
        )
    assert {e.field for e in caught.value.errors} == {"qtc_ms", "measured_on"}


def test_today_in_the_programs_zone_is_accepted_late_in_the_evening(world: Any) -> None:
    row = record_qtc(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        qtc_ms=430,
        measured_on=date(2026, 12, 3),
        now=LATE,
    )
    assert row.measured_on == date(2026, 12, 3)


def test_the_utc_date_is_not_today_late_in_the_evening_in_the_programs_zone(world: Any) -> None:
    with pytest.raises(TreatmentInvalid):
        record_qtc(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            qtc_ms=430,
            measured_on=date(2026, 12, 4),
            now=LATE,
        )


def test_the_api_answers_422_naming_measured_on(world: Any) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/qtc",
        json.dumps({"qtc_ms": 430, "measured_on": "2027-12-03"}),
        "application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["measured_on"]
    assert not QtcRecord.objects.filter(patient=world.alice).exists()


def test_the_refusal_has_spanish_words() -> None:
    with translation.override("es"):
        assert translation.gettext("cannot be after today") != "cannot be after today"


def test_a_row_dated_after_today_does_not_hide_todays_520(world: Any) -> None:
    """A row written before the date was checked (or by another path) still gates nothing."""
    prescriber = world.staff["prescriber"]
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="60")
    record_qtc(by=prescriber, patient_id=world.alice.pk, qtc_ms=520)
    QtcRecord.objects.create(
        patient=world.alice,
        qtc_ms=430,
        measured_on=date(2027, 12, 3),
        decision={},
        recorded_by=prescriber,
        recorded_at=NOW,
    )
    with pytest.raises(TreatmentInvalid) as caught:
        prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="70")
    assert "520" in caught.value.errors[0].reason
