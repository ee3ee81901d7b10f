"""Review 19c: a methadone raise written to start later, then a QTc of 500 ms or more measured on or after
the day it was written: at the window the raise waits for a prescriber (who re-writes the order, where the
QTc reason is recorded); the dose it raised from is still given; the denial is audited. Riverside is New
York time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from keel.audit.models import AuditEvent
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from keel.treatment.words import reason_text
from tests.factories import given_daily

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 10)
START = DAY + timedelta(days=3)
REASON = "cardiology reviewed the ECG and agrees with the step to 65 mg with a repeat ECG in a week"


def _at(day: date, hour: int = 14, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)  # 14:00 UTC = 10:00 in New York


def _setup(world: Any, qtc_day: date = DAY + timedelta(days=1), **kw: Any) -> None:
    doc, alice = world.staff["prescriber"], world.alice
    first = DAY - timedelta(days=30)
    order = prescribe(by=doc, patient_id=alice.pk, medication="methadone", dose_mg=60, now=_at(first))
    # 60 mg observed every day up to two days before the start
    given_daily(world, order, [first + timedelta(days=n) for n in range((START - first).days - 1)], 60)
    if qtc_day < DAY:
        record_qtc(by=doc, patient_id=alice.pk, qtc_ms=520, now=_at(qtc_day))
    prescribe(
        by=doc, patient_id=alice.pk, medication="methadone", dose_mg=65, starts_on=START, now=_at(DAY), **kw
    )
    if qtc_day >= DAY:
        record_qtc(by=doc, patient_id=alice.pk, qtc_ms=520, now=_at(qtc_day))


def _dose(world: Any, mg: int, at: datetime) -> Any:
    return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, now=at)


def test_raised_dose_on_its_start_day_is_blocked(world: Any) -> None:
    _setup(world)
    with pytest.raises(DoseBlocked):
        _dose(world, 65, _at(START))


def test_blocked_raise_is_audited_as_a_denied_dose(world: Any) -> None:
    _setup(world)
    with pytest.raises(DoseBlocked):
        _dose(world, 65, _at(START))
    denied = AuditEvent.objects.filter(target_type="dose", outcome="denied").last()
    # session 21: no override releases it (needs_new_order: the prescriber re-writes the order)
    assert denied is not None and denied.reason == "guard rail: needs_new_order"


def test_blocked_raise_says_the_order_raised_the_dose_before_this_qtc(world: Any) -> None:
    _setup(world)
    with pytest.raises(DoseBlocked) as caught:
        _dose(world, 65, _at(START))
    assert "the order raised methadone before this QTc" in caught.value.decision.reasons[0].text


def test_blocked_raise_is_said_in_spanish(world: Any) -> None:
    _setup(world)
    with pytest.raises(DoseBlocked) as caught:
        _dose(world, 65, _at(START))
    with translation.override("es"):
        assert "vuelve a escribir la orden" in reason_text(caught.value.decision.reasons[0])


def test_the_dose_it_raised_from_is_still_given(world: Any) -> None:
    _setup(world)
    assert _dose(world, 60, _at(START)).dose.amount_mg == 60


def test_at_2330_new_york_the_day_before_the_start_the_old_order_governs(world: Any) -> None:
    _setup(world)
    day_before = START - timedelta(days=1)
    assert _dose(world, 60, _at(START, 3, 30)).dose.local_date == day_before  # 23:30 in New York


def test_at_0030_new_york_on_the_start_day_the_raise_is_blocked(world: Any) -> None:
    _setup(world)
    with pytest.raises(DoseBlocked):
        _dose(world, 65, _at(START, 4, 30))  # 00:30 in New York


def test_a_raise_written_after_the_qtc_with_its_reason_is_given(world: Any) -> None:
    _setup(world, qtc_day=DAY - timedelta(days=1), override_reason=REASON)
    assert _dose(world, 65, _at(START)).dose.amount_mg == 65


def test_an_order_written_with_the_qtc_reason_is_given(world: Any) -> None:
    _setup(world, qtc_day=DAY)
    record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520, now=_at(DAY))
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=65,
        starts_on=START,
        now=_at(DAY + timedelta(days=1)),
        override_reason=REASON,
    )
    assert _dose(world, 65, _at(START)).dose.amount_mg == 65


def test_re_writing_the_blocked_raise_needs_the_qtc_reason(world: Any) -> None:
    _setup(world)
    with pytest.raises(TreatmentInvalid) as caught:
        prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg=65,
            now=_at(START),
        )
    assert "60 to 65 mg/day" in caught.value.errors[0].reason


def test_re_written_with_the_qtc_reason_the_raise_is_given(world: Any) -> None:
    _setup(world)
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=65,
        now=_at(START),
        override_reason=REASON,
    )
    assert _dose(world, 65, _at(START, 15)).dose.amount_mg == 65
