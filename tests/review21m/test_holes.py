"""Review 21m: the medication guards of session 20 attacked by an OTP medical director and a pen tester
(the QTc block at the window and its `raised_from_mg`, corrections, low-dose steps). Each test is one hole and
fails until it is fixed; its docstring says the scenario, what happened, what should happen and the severity.
The clock is pinned to a recent day at 17:00 UTC (midday in New York, Riverside's zone), relative to now."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses import amend_dose, record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.overrides import add_override
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import given_on

pytestmark = pytest.mark.django_db


def _methadone(world: World, mg: str, at: datetime) -> MedicationOrder:
    """A methadone order of `mg` written by the prescriber at `at`, with no reason."""
    return prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=mg, now=at
    )


def _on_sixty(world: World, now: datetime, days: int = 5) -> MedicationOrder:
    """Methadone 60 mg written `days + 1` days ago and given on each of the `days` days before today."""
    today = local_today(world.alice, now)
    order = _methadone(world, "60", now - timedelta(days=days + 1))
    for n in range(days, 0, -1):
        given_on(world, order, today - timedelta(days=n), 60, days - n + 1)
    return order


def _qtc(world: World, ms: int, at: datetime) -> None:
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=ms, now=at)


def _dose(world: World, mg: str, at: datetime, medication: str = "methadone") -> object:
    return record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, medication=medication, now=at
    )


def _fields(exc: TreatmentInvalid) -> set[str]:
    return {e.field for e in exc.errors}


def test_a_raise_written_twice_before_the_ecg_result_is_given_on_a_later_qtc_of_520(world: World) -> None:
    """Scenario: Alice is stable on methadone 60 mg. Three hours before the dose the prescriber raises the
    order to 70 mg (no QTc on file yet: the morning ECG is out for reading) and, a moment later, submits the
    same order again (a double submit, a second tab, or re-writing it to fix the note). An hour before the
    dose the ECG comes back: QTc 520 ms, recorded after both orders. Then the nurse gives 70 mg.
    What happened: the dose is given. The second order's `raised_from_mg` is 70, not 60: `last_methadone_mg`
    compares a new order with the raise it supersedes at its own dose unless a QTc of 500 ms or more was
    already recorded after that raise, so the re-written order "raised" 70 to 70 and the window's
    recorded-after-the-order block (`raise_on_later_qtc`) sees no raise at all.
    What should happen: the raise was never given and never weighed against this QTc; the re-written order
    still raised from 60, and 70 mg waits for a prescriber's order written with the QTc reason (DoseBlocked).
    The first order alone is blocked, so a second click is all it takes.
    Severity: high (methadone raised on a QTc of 520 ms, which Krantz 2009 says to lower; no one decided)."""
    now = timezone.now()
    _on_sixty(world, now)
    _methadone(world, "70", now - timedelta(hours=3))
    _methadone(world, "70", now - timedelta(hours=3) + timedelta(seconds=5))  # the double submit
    _qtc(world, 520, now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        _dose(world, "70", now)


def test_re_writing_a_blocked_start_asks_no_qtc_reason_and_releases_it(world: World) -> None:
    """Scenario: a methadone start of 30 mg is written (no QTc on file). An hour later the baseline ECG
    comes back: QTc 520 ms. The window refuses the first dose and says: no methadone "until a prescriber
    re-writes the start, where the reason for a start on this QTc is recorded". The prescriber
    re-writes the start at the same 30 mg with no reason at all; an hour later the nurse gives 30 mg.
    What happened: the re-written start is accepted without a reason (`last_methadone_mg` reads a start
    written for today at its own dose, so 30 to 30 is no raise and `order_on_qtc` asks nothing), its
    `raised_from_mg` is 30, and the first methadone dose is given on a QTc of 520 ms.
    What should happen: re-writing the start is a start on a QTc of 520 ms and needs the prescriber's QTc
    reason (422 naming override_reason); or, written without it, the window still refuses the dose.
    Severity: high (a methadone start on a QTc of 520 ms, the block walked around by the route it names)."""
    now = timezone.now()
    _methadone(world, "30", now - timedelta(hours=3))
    _qtc(world, 520, now - timedelta(hours=2))
    with pytest.raises(DoseBlocked):  # the block as it stands
        _dose(world, "30", now - timedelta(hours=1, minutes=30))
    try:
        _methadone(world, "30", now - timedelta(hours=1))
    except TreatmentInvalid as exc:  # the re-write asks for the QTc reason: the hole is closed
        assert "override_reason" in _fields(exc)
        return
    with pytest.raises(DoseBlocked):
        _dose(world, "30", now)


def test_correcting_yesterdays_dose_up_after_todays_qtc_of_520_lifts_the_block(world: World) -> None:
    """Scenario: Alice is on methadone 60 mg. Yesterday morning the prescriber raised the order to 70 mg and
    the nurse gave 60 mg under it. This morning an ECG shows QTc 520 ms (recorded after the order). The
    window rightly refuses 70 mg today (the level given is 60). A nurse then corrects yesterday's dose
    from 60 to 70 mg ("typed 60, gave 70"), then gives 70 mg.
    What happened: the correction passes (`amendment_ceilings` reads the QTc with `until=` the dose's day,
    so today's 520 ms, known when the correction is made and recorded after the order, is not seen), and
    the corrected day becomes "the level already given" (`ctx.last_observed_mg`): 70 mg is given today.
    What should happen: a correction that raises a dose above what the order raised from, made when a QTc
    of 500 ms or more recorded after the order is on file, meets the window's block (422 naming
    corrected_mg, as the brief's "corrections meet the same checks"); at the least it must not lift
    today's block. Either way today's 70 mg is refused.
    Severity: medium (a correction with a plausible reason walks the QTc block up, 10 mg at a time)."""
    now = timezone.now()
    today = local_today(world.alice, now)
    _on_sixty(world, now, days=5)  # days -5 .. -1 at 60 under the 60 mg order
    DoseRecord.objects.filter(patient=world.alice, local_date=today - timedelta(days=1)).delete()
    raised = _methadone(world, "70", now - timedelta(days=1, hours=5))  # yesterday 12:00 UTC
    yesterday = given_on(world, raised, today - timedelta(days=1), 60, 5)
    _qtc(world, 520, now - timedelta(hours=3))
    with pytest.raises(DoseBlocked):  # the block as it stands
        _dose(world, "70", now - timedelta(hours=2))
    try:
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=yesterday.pk,
            corrected_mg="70",
            reason="typed 60 by mistake, the pump log shows 70 mg dispensed",
            now=now - timedelta(hours=1),
        )
    except TreatmentInvalid as exc:  # the correction meets the block: the hole is closed
        assert "corrected_mg" in _fields(exc)
    with pytest.raises(DoseBlocked):
        _dose(world, "70", now)


def test_a_full_buprenorphine_dose_after_methadone_on_a_low_dose_order_skips_the_start_gate(
    world: World,
) -> None:
    """Scenario: Alice takes methadone 60 mg at the window. She has a low-dose buprenorphine order
    (0.5, 1, 2, 4 mg on days 1-4). The prescriber records a *limit* override for today up to 8 mg, and two
    hours after the methadone the nurse gives 8 mg of buprenorphine.
    What happened: the dose is given. `_start_gate` treats any buprenorphine dose under a low-dose order on
    a step day as the step (the readiness gate and the after-a-full-agonist check are skipped), whatever
    the amount; the limit override covers the amount above the step's 0.5 mg. The reverse direction was
    fixed in review 20a (methadone after buprenorphine counts as the low-dose method only up to the step's
    mg, `agonists.low_dose_steps_today`); this direction was not.
    What should happen: 8 mg is not a low-dose step (16 times today's 0.5 mg); after methadone today it is a
    standard induction dose on a full agonist, so the start gate applies: a readiness verdict of "ready" or
    a prescriber's *start* override (NOT_READY_TO_DOSE: DoseBlocked). An override of another kind (a limit)
    does not release it.
    Severity: medium (precipitated withdrawal; a prescriber did sign an override, but for the amount)."""
    now = timezone.now()
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
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        kind="limit",
        max_total_mg="8",
        reason="cravings are high today, give more than the schedule's first step",
        now=now - timedelta(hours=1),
    )
    with pytest.raises(DoseBlocked):
        _dose(world, "8", now, medication="buprenorphine")


def test_a_qtc_stamped_a_moment_before_the_order_but_saved_after_its_gate_read_is_never_weighed(
    world: World,
) -> None:
    """Scenario: Alice is on methadone 60 mg. The prescriber's raise to 70 mg and the nurse's ECG (QTc 520 ms)
    are saved at the same moment from two screens: the QTc's service takes its clock first, the order's gate
    reads the QTc before the QTc's row is committed, so the gate sees no QTc; the QTc row lands stamped two
    seconds before the order (two application servers whose clocks differ by seconds give the same order of
    events without any race). The nurse then gives 70 mg.
    What happened: the dose is given. "Recorded after the order was written" is told by comparing the
    QTc's `recorded_at` with the order's `created_at`, two clocks taken before either row was saved; the QTc
    counts as known to the prescriber, who never saw it, and neither gate stops the raise.
    What should happen: what the prescriber's gate saw is what it read (say, the newest QTc row id it
    compared with, kept on the order); a QTc of 500 ms or more saved after that read was not weighed, and
    70 mg waits for an order written with the QTc reason (DoseBlocked).
    Severity: low (a window of milliseconds, or of the clock skew between servers)."""
    now = timezone.now()
    _on_sixty(world, now)
    written = now - timedelta(hours=2)
    _methadone(world, "70", written)  # the gate read no QTc
    _qtc(world, 520, written - timedelta(seconds=2))  # committed after, stamped before
    with pytest.raises(DoseBlocked):
        _dose(world, "70", now)
