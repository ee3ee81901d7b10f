"""Review 20c fixes: QTc as an Observation, the consent's signing day on the program's clock, the last day of
an order a deferred one replaces, one OUD Condition id per person. One fact per assertion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.treatment.models import QtcRecord
from keel.treatment.services.orders import prescribe
from tests.fhir_r4 import assert_valid_r4
from tests.review20c.conftest import bearer, world  # noqa: F401 (the fixture)
from tests.review20c.test_holes import _consent, _dsm5

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 10:00 on 20 November in Los Angeles
BASE = Base("http://testserver/fhir/R4/")


def _record(w: dict[str, Any], kind: str, now: datetime = NOW) -> list[dict[str, Any]]:
    return Record(w["patient"], frozenset(Area), BASE, now).of_type(kind)


@pytest.fixture
def qtc(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    row = QtcRecord.objects.create(
        patient=world["patient"],
        qtc_ms=520,
        measured_on=date(2026, 11, 18),
        decision={"decision": "warn", "reasons": []},
        recorded_by=world["staff"]["prescriber"],
        recorded_at=NOW - timedelta(days=2),
    )
    return {**world, "qtc": row}


def _qtc(w: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in _record(w, "Observation") if o["id"] == f"qtc-{w['qtc'].pk}")


def test_qtc_is_loinc_8636_3(qtc: dict[str, Any]) -> None:
    assert _qtc(qtc)["code"]["coding"][0]["code"] == "8636-3"


def test_qtc_is_in_ucum_ms(qtc: dict[str, Any]) -> None:
    assert _qtc(qtc)["valueQuantity"]["system"] == "http://unitsofmeasure.org"


def test_qtc_is_on_the_day_measured(qtc: dict[str, Any]) -> None:
    assert _qtc(qtc)["effectiveDateTime"] == "2026-11-18"


def test_qtc_is_valid_r4(qtc: dict[str, Any]) -> None:
    assert_valid_r4(_qtc(qtc))


def test_qtc_is_in_everything(qtc: dict[str, Any]) -> None:
    found = Record(qtc["patient"], frozenset(Area), BASE, NOW).everything()
    assert any(x["id"] == f"qtc-{qtc['qtc'].pk}" for x in found)


def _search(w: dict[str, Any], query: str) -> Any:
    c = _consent(w)
    return bearer(w["staff"]["prescriber"]).get(
        f"/fhir/R4/Observation?patient={w['patient'].pk}&{query}", HTTP_KEEL_CONSENT=str(c.pk)
    )


def test_qtc_is_found_by_code(qtc: dict[str, Any]) -> None:
    assert _search(qtc, "code=http://loinc.org|8636-3").json()["total"] == 1


def test_qtc_is_found_by_its_day(qtc: dict[str, Any]) -> None:
    assert _search(qtc, "code=8636-3&date=2026-11-18").json()["total"] == 1


def test_qtc_is_not_found_on_another_day(qtc: dict[str, Any]) -> None:
    assert _search(qtc, "code=8636-3&date=2026-11-19").json()["total"] == 0


def test_qtc_is_found_after_a_day_before(qtc: dict[str, Any]) -> None:
    assert _search(qtc, "code=8636-3&date=ge2026-11-17").json()["total"] == 1


def test_qtc_is_read_by_id(qtc: dict[str, Any]) -> None:
    c = _consent(qtc)
    r = bearer(qtc["staff"]["prescriber"]).get(
        f"/fhir/R4/Observation/qtc-{qtc['qtc'].pk}", HTTP_KEEL_CONSENT=str(c.pk)
    )
    assert r.json()["valueQuantity"]["value"] == 520


def test_another_programs_qtc_is_never_read(qtc: dict[str, Any]) -> None:
    row = QtcRecord.objects.create(
        patient=qtc["foreign"],
        qtc_ms=480,
        measured_on=date(2026, 11, 18),
        decision={},
        recorded_by=qtc["staff"]["prescriber"],
        recorded_at=NOW,
    )
    c = _consent(qtc)
    r = bearer(qtc["staff"]["prescriber"]).get(
        f"/fhir/R4/Observation/qtc-{row.pk}", HTTP_KEEL_CONSENT=str(c.pk)
    )
    assert r.status_code == 404


# --- The consent's signing day on the program's clock -------------------------------------------------------


def _consent_start(w: dict[str, Any], signed_at: datetime) -> str:
    _consent(w, signed_at=signed_at)
    start: str = _record(w, "Consent", NOW + timedelta(days=1))[0]["provision"]["period"]["start"]
    return start


def test_consent_signed_at_2330_local_starts_that_local_day(world: dict[str, Any]) -> None:  # noqa: F811
    assert _consent_start(world, datetime(2026, 11, 20, 7, 30, tzinfo=UTC)) == "2026-11-19"


def test_consent_signed_at_0030_local_starts_that_local_day(world: dict[str, Any]) -> None:  # noqa: F811
    assert _consent_start(world, datetime(2026, 11, 20, 8, 30, tzinfo=UTC)) == "2026-11-20"


def test_consent_with_a_local_day_is_valid_r4(world: dict[str, Any]) -> None:  # noqa: F811
    _consent(world, signed_at=datetime(2026, 11, 20, 7, 30, tzinfo=UTC))
    assert_valid_r4(_record(world, "Consent")[0])


# --- The last day of an order replaced by one written to start later -------------------------------------


@pytest.fixture
def deferred(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    p, doc = world["patient"], world["staff"]["prescriber"]
    old = prescribe(
        by=doc, patient_id=p.pk, medication="methadone", dose_mg="60", now=NOW - timedelta(days=3)
    )
    new = prescribe(
        by=doc, patient_id=p.pk, medication="methadone", dose_mg="40", starts_on=date(2026, 11, 27), now=NOW
    )
    return {**world, "old": old, "new": new}


def _request(w: dict[str, Any], order: Any) -> dict[str, Any]:
    return next(m for m in _record(w, "MedicationRequest") if m["id"] == str(order.pk))


def test_the_replaced_order_ends_the_day_before_the_new_one(deferred: dict[str, Any]) -> None:
    bounds = _request(deferred, deferred["old"])["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    assert bounds["end"] == "2026-11-26"


def test_the_deferred_order_has_no_end(deferred: dict[str, Any]) -> None:
    bounds = _request(deferred, deferred["new"])["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    assert "end" not in bounds


def test_the_replaced_order_is_valid_r4(deferred: dict[str, Any]) -> None:
    assert_valid_r4(_request(deferred, deferred["old"]))


def test_an_order_with_no_successor_has_no_timing(world: dict[str, Any]) -> None:  # noqa: F811
    order = prescribe(
        by=world["staff"]["prescriber"], patient_id=world["patient"].pk, medication="methadone", dose_mg="60"
    )
    assert "timing" not in _request(world, order)["dosageInstruction"][0]


# --- One OUD Condition id per person -----------------------------------------------------------------------


@pytest.fixture
def reassessed(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    first = _dsm5(world, 8, NOW - timedelta(days=20))
    second = _dsm5(world, 4, NOW - timedelta(days=10))
    _dsm5(world, 6, NOW - timedelta(hours=2))
    return {**world, "first": first, "second": second}


def test_one_condition_after_reassessments(reassessed: dict[str, Any]) -> None:
    assert len(_record(reassessed, "Condition")) == 1


def test_the_condition_keeps_the_first_assessments_id(reassessed: dict[str, Any]) -> None:
    assert _record(reassessed, "Condition")[0]["id"] == f"oud-{reassessed['first'].pk}"


def test_the_condition_says_the_latest_severity(reassessed: dict[str, Any]) -> None:
    assert "severe" in _record(reassessed, "Condition")[0]["code"]["text"]


def test_an_intermediate_assessments_id_is_not_a_second_condition(reassessed: dict[str, Any]) -> None:
    c = _consent(reassessed)
    r = bearer(reassessed["staff"]["prescriber"]).get(
        f"/fhir/R4/Condition/oud-{reassessed['second'].pk}", HTTP_KEEL_CONSENT=str(c.pk)
    )
    assert r.status_code == 404
