"""Review 21m's holes, fixed: what the fixes hold beyond the reviewer's tests (tests/review21m/test_holes.py),
at the service: a raise or a start re-written any number of times before it is given is the same raise or
start; a correction meets today's QTc; a low-dose step is no step above its mg; the QTc an order's gate saw
is kept on it; the recent window starts at the program's midnight. The clock as in test_holes.py."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from keel.patients.models import local_today, zone_of
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import RXNORM, DoseRecord, MedicationOrder, OrderStatus, QtcRecord
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses import amend_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.overrides import add_override
from keel.treatment.services.qtc import last_methadone_mg
from tests.conftest import World
from tests.factories import given_on
from tests.review21m.test_holes import _dose, _fields, _methadone, _on_sixty, _qtc

pytestmark = pytest.mark.django_db
REASON = "cardiology reviewed the ECG this morning and agrees with this dose"


# --- 1. A raise re-written before it is given raises from the level given, however many times ---


def test_a_raise_written_three_times_raises_from_sixty_and_waits_on_a_later_qtc(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    orders = [_methadone(world, "70", now - timedelta(hours=3, minutes=-n)) for n in range(3)]
    assert [o.raised_from_mg for o in orders] == [60, 60, 60]
    _qtc(world, 520, now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        _dose(world, "70", now)
    assert _dose(world, "60", now) is not None  # the level given is never cut


def test_re_writing_a_raise_on_a_qtc_of_520_on_file_needs_the_reason(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    _methadone(world, "70", now - timedelta(hours=3))
    _qtc(world, 520, now - timedelta(hours=2))
    with pytest.raises(TreatmentInvalid) as refused:
        _methadone(world, "70", now - timedelta(hours=1))
    assert _fields(refused.value) == {"override_reason"}
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="70",
        override_reason=REASON,
        now=now - timedelta(hours=1),
    )
    assert order.raised_from_mg == 60 and order.qtc_reason == REASON
    assert _dose(world, "70", now) is not None


def test_a_raise_already_given_is_what_a_re_write_compares_with(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    _methadone(world, "70", now - timedelta(hours=4))
    _dose(world, "70", now - timedelta(hours=3))
    _qtc(world, 520, now - timedelta(hours=2))
    order = _methadone(world, "70", now - timedelta(hours=1))  # the note fixed: no raise, no reason
    assert order.raised_from_mg == 70


# --- 2. A start re-written before its first dose is a start ---


def test_a_start_re_written_with_the_qtc_reason_is_given(world: World) -> None:
    now = timezone.now()
    _methadone(world, "30", now - timedelta(hours=3))
    _qtc(world, 520, now - timedelta(hours=2))
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        override_reason=REASON,
        now=now - timedelta(hours=1),
    )
    assert order.raised_from_mg == 0 and order.qtc_reason == REASON
    assert _dose(world, "30", now) is not None


def test_a_start_re_written_lower_on_a_qtc_of_520_is_still_a_start(world: World) -> None:
    now = timezone.now()
    _methadone(world, "30", now - timedelta(hours=3))
    _qtc(world, 520, now - timedelta(hours=2))
    with pytest.raises(TreatmentInvalid) as refused:
        _methadone(world, "20", now - timedelta(hours=1))
    assert _fields(refused.value) == {"override_reason"}


def test_a_start_already_given_is_re_written_without_a_reason(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    start = _methadone(world, "30", now - timedelta(days=2))
    given_on(world, start, today - timedelta(days=1), 30, 1)
    _qtc(world, 520, now - timedelta(hours=2))
    assert _methadone(world, "30", now - timedelta(hours=1)).raised_from_mg == 30


# --- 3. A correction meets the QTc known when it is made ---


def _raised_yesterday_then_520(world: World, now: datetime) -> DoseRecord:
    today = local_today(world.alice, now)
    _on_sixty(world, now, days=5)
    DoseRecord.objects.filter(patient=world.alice, local_date=today - timedelta(days=1)).delete()
    raised = _methadone(world, "70", now - timedelta(days=1, hours=5))
    yesterday = given_on(world, raised, today - timedelta(days=1), 60, 5)
    _qtc(world, 520, now - timedelta(hours=3))
    return yesterday


def test_correcting_yesterday_up_after_todays_qtc_of_520_is_refused_naming_corrected_mg(world: World) -> None:
    now = timezone.now()
    yesterday = _raised_yesterday_then_520(world, now)
    with pytest.raises(TreatmentInvalid) as refused:
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=yesterday.pk,
            corrected_mg="70",
            reason="typed 60 by mistake, the pump log shows 70 mg dispensed",
            now=now - timedelta(hours=1),
        )
    assert _fields(refused.value) == {"corrected_mg"}
    assert "520" in refused.value.errors[0].reason
    assert not yesterday.amendments.exists()


def test_correcting_yesterday_down_after_todays_qtc_of_520_is_saved(world: World) -> None:
    now = timezone.now()
    yesterday = _raised_yesterday_then_520(world, now)
    amendment = amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=yesterday.pk,
        corrected_mg="50",
        reason="typed 60 by mistake, the pump log shows 50 mg dispensed",
        now=now - timedelta(hours=1),
    )
    assert amendment.corrected_mg == 50


def test_correcting_yesterday_up_with_no_high_qtc_today_is_saved(world: World) -> None:
    now = timezone.now()
    yesterday = _raised_yesterday_then_520(world, now)
    QtcRecord.objects.filter(patient=world.alice).delete()
    _qtc(world, 440, now - timedelta(hours=3))
    amendment = amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=yesterday.pk,
        corrected_mg="70",
        reason="typed 60 by mistake, the pump log shows 70 mg dispensed",
        now=now - timedelta(hours=1),
    )
    assert amendment.corrected_mg == 70


# --- 4. A low-dose step skips the start gate only up to its mg ---


def _low_dose_after_methadone(world: World, now: datetime) -> None:
    _on_sixty(world, now)
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="4",
        schedule=[{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}, {"day": 3, "mg": 2}, {"day": 4, "mg": 4}],
        now=now - timedelta(hours=4),
    )
    _dose(world, "60", now - timedelta(hours=2))


def test_the_step_itself_after_methadone_needs_no_readiness(world: World) -> None:
    now = timezone.now()
    _low_dose_after_methadone(world, now)
    assert _dose(world, "0.5", now, medication="buprenorphine") is not None


def test_above_the_step_a_start_and_a_limit_override_give_it(world: World) -> None:
    now = timezone.now()
    _low_dose_after_methadone(world, now)
    for kind in ("start", "limit"):
        add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            kind=kind,
            max_total_mg="8",
            reason="assessed in clinic: withdrawal is clear, cravings are high today",
            now=now - timedelta(hours=1),
        )
    assert _dose(world, "8", now, medication="buprenorphine") is not None


def test_above_the_step_a_start_override_alone_still_meets_the_steps_planned_total(world: World) -> None:
    now = timezone.now()
    _low_dose_after_methadone(world, now)
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        kind="start",
        max_total_mg="8",
        reason="assessed in clinic: withdrawal is clear, start the full dose today",
        now=now - timedelta(hours=1),
    )
    with pytest.raises(DoseBlocked):
        _dose(world, "8", now, medication="buprenorphine")


# --- 5. The QTc an order's gate saw is kept on the order ---


def test_an_order_keeps_the_newest_qtc_its_gate_saw(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    assert _methadone(world, "60", now - timedelta(hours=3)).qtc_seen_id == 0
    _qtc(world, 440, now - timedelta(hours=2))
    newest = QtcRecord.objects.get(patient=world.alice)
    assert _methadone(world, "70", now - timedelta(hours=1)).qtc_seen_id == newest.pk


def test_a_qtc_saved_before_the_order_but_stamped_after_it_was_weighed(world: World) -> None:
    """The other clock skew: the QTc's server runs ahead. The gate saw the 520 ms (a raise needed the
    reason), so the order written at the same level needs none and the dose at that level is not blocked."""
    now = timezone.now()
    _on_sixty(world, now)
    written = now - timedelta(hours=2)
    _qtc(world, 520, written + timedelta(seconds=2))  # saved first, stamped after
    order = _methadone(world, "60", written)
    assert order.qtc_seen_id == QtcRecord.objects.get(patient=world.alice).pk
    assert _dose(world, "60", now) is not None


def test_an_order_written_before_the_column_reads_the_clocks(world: World) -> None:
    now = timezone.now()
    _on_sixty(world, now)
    order = _methadone(world, "70", now - timedelta(hours=2))
    MedicationOrder.objects.filter(pk=order.pk).update(qtc_seen_id=None)
    _qtc(world, 520, now - timedelta(hours=1))  # recorded after the order was written
    with pytest.raises(DoseBlocked):
        _dose(world, "70", now)


# --- 6. The recent window starts at the program's midnight, not UTC's ---


def test_the_recent_window_starts_at_midnight_in_the_programs_zone(world: World) -> None:
    """An order written at 21:00 in New York the day before `since` (02:00 UTC on `since`) is outside the
    window; one written a minute after New York's midnight on `since` is inside it."""
    now = timezone.now()
    today = local_today(world.alice, now)
    since = today - timedelta(days=7)
    midnight = datetime.combine(since, time(), tzinfo=zone_of(world.alice))
    utc_midnight = datetime.combine(since, time(), tzinfo=UTC)
    assert midnight > utc_midnight  # Riverside is New York, west of UTC

    def stopped(mg: int, at: datetime) -> None:
        MedicationOrder.objects.create(
            patient=world.alice,
            medication="methadone",
            rxnorm=RXNORM["methadone"],
            dose_mg=Decimal(mg),
            status=OrderStatus.STOPPED,
            starts_on=since - timedelta(days=1),
            prescriber=world.staff["prescriber"],
            created_at=at,
        )

    stopped(50, utc_midnight + timedelta(hours=2))  # `since` in UTC, the day before in New York
    assert last_methadone_mg(world.alice, since, today) is None
    stopped(60, midnight + timedelta(minutes=1))  # `since` in New York
    assert last_methadone_mg(world.alice, since, today) == 60
