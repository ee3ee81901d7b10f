"""Review 21x: holes in session 21's medication guards (fix21m: `qtc_seen_id`, `raised_from_mg`, how
`last_methadone_mg` reads a raise never given, NEEDS_NEW_ORDER, corrections against today's QTc, the low-dose
cap). Each test fails on the code as merged (19c7efe) and says what should happen. Relative to now."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import given_daily

pytestmark = pytest.mark.django_db

REASON = "Typed at the window for the wrong person: this amount was never given to her today"


def _order(world: World, mg: str, *, note: str = "", override_reason: str = "") -> MedicationOrder:
    return prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=mg,
        note=note,
        override_reason=override_reason,
    )


def _fields(exc: pytest.ExceptionInfo[TreatmentInvalid]) -> set[str]:
    return {e.field for e in exc.value.errors}


@pytest.mark.parametrize("how", ["void", "down"])
def test_raise_voided_or_corrected_down_reads_as_given_at_the_rewrite(world: World, how: str) -> None:
    """Scenario: Alice is on 80 mg (given for days). On a QTc of 430 the prescriber raises her to 100 (raised
    from 80). At the window a nurse types 100 under the raise by mistake and corrects it the same hour (void,
    or corrected down to the 80 actually given): the raise was never given. A QTc of 520 ms comes back. The
    window rightly refuses 100 (NEEDS_NEW_ORDER: the raise is unseen by that QTc). The prescriber re-writes
    the order at 100 with no QTc reason.
    What happened: `last_methadone_mg`'s `raise_given` reads `DoseRecord.amount_mg` (> raised_from_mg) and
    ignores the amendments, so the voided/corrected 100 counts as "the raise was given": the re-write is read
    as 100 to 100, no reason is asked, the new order has raised_from_mg 100 and the window then gives 100 mg
    on a QTc of 520 that no prescriber ever wrote a reason for.
    Should: a raise whose only dose above what it raised from was voided or corrected down is a raise never
    given (effective_mg, as `level_given_under` reads it): the re-write is 80 to 100 on 520 ms and needs
    override_reason (422 naming it).
    Severity: high (the QTc >= 500 raise gate walked around by an ordinary entry-error correction)."""
    now = timezone.now()
    today = local_today(world.alice, now)
    first = _order(world, "80")
    given_daily(world, first, [today - timedelta(days=d) for d in (4, 3, 2)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=430)
    raise_ = _order(world, "100")
    assert raise_.raised_from_mg == Decimal(80)
    given_daily(world, raise_, [today - timedelta(days=1)], 100)  # typed by mistake: 80 was given
    wrong = DoseRecord.objects.get(order=raise_)
    if how == "void":
        amend_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, dose_id=wrong.pk, void=True, reason=REASON
        )
    else:
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=wrong.pk,
            corrected_mg="80",
            reason=REASON,
        )
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=520)
    with pytest.raises(TreatmentInvalid) as exc:
        _order(world, "100")
    assert "override_reason" in _fields(exc)


@pytest.mark.parametrize("how", ["partly_given", "lowered_then_raised"])
def test_raise_given_only_in_part_reads_as_given_in_full_at_the_rewrite(world: World, how: str) -> None:
    """Scenario (partly_given): Alice is on 80 mg. On a QTc of 430 the prescriber raises her to 120 (raised
    from 80); the nurse gives 90 one day (a dose below the order, the nurse's judgement). A QTc of 520 comes
    back; the window rightly stops her at 90 (the level given). The prescriber re-writes the order at 120 with
    no QTc reason. (lowered_then_raised: on the 430 the prescriber lowers her to 60, never given, then writes
    100, read as a raise from 60; she gets her usual 80 under it; QTc 520; the re-write at 100 needs no
    reason either.)
    What happened: `raise_given` is "any dose under the order above raised_from_mg", so one dose of 90 (or
    80, her old level) makes the whole raise "given": `last_methadone_mg` answers the order's full dose, the
    re-write is read as 120 to 120 (100 to 100), no reason is asked, and the window then gives 120 (100) on
    520 ms although no prescriber weighed a raise above 90 (80) on that QTc.
    Should: a raise given only in part compares from the level given under it (its highest day's total, as
    `level_given_under` reads it), so the re-write is 90 to 120 (80 to 100) on 520 ms: 422 naming
    override_reason.
    Severity: high (the QTc >= 500 raise gate walked around by an ordinary re-write)."""
    now = timezone.now()
    today = local_today(world.alice, now)
    first = _order(world, "80")
    given_daily(world, first, [today - timedelta(days=d) for d in (5, 4, 3)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=430)
    if how == "partly_given":
        raise_ = _order(world, "120")
        assert raise_.raised_from_mg == Decimal(80)
        given_daily(world, raise_, [today - timedelta(days=1)], 90)
        target = "120"
    else:
        lowered = _order(world, "60")
        assert lowered.raised_from_mg == Decimal(80)
        raise_ = _order(world, "100")
        assert raise_.raised_from_mg == Decimal(60)
        given_daily(world, raise_, [today - timedelta(days=1)], 80)
        target = "100"
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=520)
    with pytest.raises(TreatmentInvalid) as exc:
        _order(world, target)
    assert "override_reason" in _fields(exc)


def test_raise_given_as_a_split_dose_reads_as_never_given(world: World) -> None:
    """Scenario: Alice was raised from 80 to 100 on a QTc of 430 and has taken 100 a day for three days as a
    split dose (50 in the morning, 50 in the afternoon: slots 1 and 2). A QTc of 520 comes back. The
    prescriber re-writes her order at the same 100 (to change its note; no raise).
    What happened: `raise_given` looks for one dose row above raised_from_mg (80); no single 50 is, so the
    raise reads as never given and the re-write is refused as a raise "80 to 100" needing a QTc reason: the
    words say she is on 80, which she has not been for three days, and the prescriber must write a reason
    for a raise that is not one.
    Should: the raise is given when a day's total under it (after corrections) is above what it raised from
    (`level_given_under`'s reading); the same 100 re-written needs no reason.
    Severity: low (refuses too much, with false words; no one is harmed, but the gate's words lose trust)."""
    now = timezone.now()
    today = local_today(world.alice, now)
    first = _order(world, "80")
    given_daily(world, first, [today - timedelta(days=d) for d in (7, 6, 5)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=430)
    raise_ = _order(world, "100")
    days = [today - timedelta(days=d) for d in (3, 2, 1)]
    given_daily(world, raise_, days, 50)
    for row in DoseRecord.objects.filter(order=raise_):
        DoseRecord.objects.create(
            patient=world.alice,
            order=raise_,
            medication="methadone",
            local_date=row.local_date,
            sequence=2,
            status=row.status,
            amount_mg=Decimal(50),
            treatment_day=row.treatment_day,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=row.recorded_at + timedelta(hours=4),
        )
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=520)
    again = _order(world, "100", note="Same dose; pharmacy label wording changed")
    assert again.raised_from_mg == Decimal(100)


def test_a_qtc_reason_for_one_qtc_covers_a_worse_one_saved_after_it(world: World) -> None:
    """Scenario: Alice is on 80 mg. Her QTc is 505 ms; the prescriber raises her to 90 with a reason of
    substance for a raise on that QTc (recorded on the order, qtc_seen_id the 505's row). Before the raise is
    given, a repeat ECG comes back at 610 ms. At the window the nurse gives 90.
    What happened: `raise_on_later_qtc` returns None whenever the order has a QTc reason
    (`reason_recorded`), so the 610 saved after the gate's read (`qtc_unseen` says so) is never weighed:
    the raise is given on 610 ms on a reason written for 505 ms.
    Should: a reason covers the QTc the gate saw; a QTc of 500 or more saved after it (its id above
    qtc_seen_id) and higher than the one the reason was written for stops the raise above the level given
    (NEEDS_NEW_ORDER) until the prescriber re-writes the order on the new QTc.
    Severity: medium-high (Krantz 2009: a QTc of 610 is the case for reducing or stopping; a raise goes
    through on an older reason)."""
    from keel.treatment.services.common import DoseBlocked
    from keel.treatment.services.doses.window import record_dose

    now = timezone.now()
    today = local_today(world.alice, now)
    first = _order(world, "80")
    given_daily(world, first, [today - timedelta(days=d) for d in (5, 4, 3, 2, 1)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=505)
    raised = _order(
        world,
        "90",
        override_reason=(
            "Withdrawal every evening at 80 mg, potassium and magnesium corrected, cardiology agrees"
        ),
    )
    assert raised.qtc_reason
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=610)
    with pytest.raises(DoseBlocked) as exc:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="90")
    assert exc.value.decision.decision == "needs_new_order"


def test_low_dose_step_then_a_full_dose_the_same_day_skips_the_readiness_gate(world: World) -> None:
    """Scenario: Alice (fentanyl, no withdrawal yet: no COWS, no SOWS) has a low-dose buprenorphine start
    ordered (day 1: 0.5 mg). The prescriber records a limit override for today up to 8.5 mg (the day's cap
    past the schedule, nothing about readiness). At 08:00 the nurse gives the 0.5 mg step; at 15:00 she gives
    8 mg more.
    What happened: review 21m capped the low-dose branch at the step so that "more than the step is no
    low-dose step, so the gate applies to it": one dose of 8.5 mg is refused (not ready). But the gate only
    asks on the day's first dose (`starts_today and given_today_mg == 0`): after the 0.5 mg step, 8 mg more
    is "not a first dose", the limit override covers the total and 8 mg goes to a person never scored ready
    (precipitated withdrawal, the reason a low-dose start exists).
    Should: a day's total above today's step under a low-dose order meets the readiness gate (a verdict
    "ready" or a start override covering the total) whatever dose of the day takes it there ("not_ready").
    Severity: medium-high."""
    from keel.patients.models import zone_of
    from keel.treatment.services.common import DoseBlocked
    from keel.treatment.services.doses.window import record_dose
    from keel.treatment.services.overrides import add_override

    today = local_today(world.alice, timezone.now())
    morning = datetime.combine(today, time(8), tzinfo=zone_of(world.alice))
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="16",
        schedule=[{"day": n, "mg": mg} for n, mg in enumerate([0.5, 1, 2, 4, 8, 12, 16], start=1)],
        now=morning - timedelta(hours=1),
    )
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        max_total_mg="8.5",
        reason="Travel tomorrow: today's total may reach 8.5 mg if she tolerates the first step",
        now=morning - timedelta(minutes=30),
    )
    record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        amount_mg="0.5",
        now=morning,
    )
    with pytest.raises(DoseBlocked) as exc:
        record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            amount_mg="8",
            now=morning + timedelta(hours=7),
        )
    assert exc.value.decision.decision == "not_ready"


def test_correction_of_yesterday_refused_on_todays_qtc_the_new_order_already_weighed(world: World) -> None:
    """Scenario: Alice was raised from 80 to 100 on a QTc of 430; yesterday she took 100, typed 80 by
    mistake. Today a QTc of 520 comes back; the prescriber weighs it and re-writes her order at 100 with a
    reason of substance for a raise on 520 ms (the order in force today carries the QTc reason). The nurse
    then corrects yesterday's 80 to the 100 actually given.
    What happened: review 21m's "correction up meets today's QTc" checks yesterday's dose against today's
    QTc through yesterday's order (raised from 80, no QTc reason, the 520 unseen by it): 422 corrected_mg,
    "the prescriber re-writes the order with a reason" although the prescriber just did. The record keeps
    saying 80 mg was given.
    Should: the check of today's QTc is there so a correction cannot lift today's block; when the order in
    force today was written with that QTc weighed (its qtc_seen_id at or above the QTc's id, with its
    reason), there is no block to lift and the true amount is recorded.
    Severity: medium (the medication record cannot be made true; the next reader sees 80 mg)."""
    now = timezone.now()
    today = local_today(world.alice, now)
    first = _order(world, "80")
    given_daily(world, first, [today - timedelta(days=d) for d in (5, 4, 3)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=430)
    raise_ = _order(world, "100")
    # fix21x: the window gave 100 yesterday (20 mg over the 80 observed) only on the prescriber's limit
    # override for that day (the titration step), which the correction meets again: the history, complete.
    from keel.patients.models import zone_of
    from keel.treatment.services.overrides import add_override

    yesterday = today - timedelta(days=1)
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg="100",
        reason="Raised to 100 today on a QTc of 430: the full new dose at the window, cardiology agrees",
        now=datetime.combine(yesterday, time(9), tzinfo=zone_of(world.alice)),
    )
    given_daily(world, raise_, [yesterday], 80)
    typo = DoseRecord.objects.get(order=raise_)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=520)
    weighed = _order(
        world,
        "100",
        override_reason="Withdrawal every evening at 80 mg, potassium corrected, cardiology agrees to 100",
    )
    assert weighed.qtc_reason
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=typo.pk,
        corrected_mg="100",
        reason="Typed 80 by mistake: the cup held 100 mg, checked against the pump's log",
    )


WHY = "Withdrawal every evening at this dose, potassium and magnesium corrected, cardiology agrees"


@pytest.mark.parametrize("how", ["raise", "start"])
def test_a_qtc_reason_never_given_carries_to_a_lower_rewrite_on_a_worse_qtc(world: World, how: str) -> None:
    """Scenario (raise): Alice is on 80 mg. On a QTc of 505 the prescriber raises her to 120 with a QTc
    reason; the raise is never given. A repeat ECG comes back at 610 ms. The prescriber, seeing 610, re-writes
    the order lower, at 100, with no reason. (start: Alice has no methadone; a start of 80 mg written with a
    reason on 505, never given; then 610; the start re-written at 60 with no reason.)
    What happened: `last_methadone_mg` answers the never-given order's full dose because it has a QTc reason
    (`~qtc_reason_q()`), so 100 (60) reads as a lowering from 120 (80): no reason is asked on 610 ms, the new
    order's raised_from_mg is 120 (80) and the window gives 100 (60): a raise from 80 (a start) on a QTc of
    610 that no prescriber wrote a reason for (the reason on file was written for 505, and its order was
    never given).
    Should: the reason covers the QTc its gate saw; on a worse QTc of 500 or more saved after it (id above
    the order's qtc_seen_id), a never-given raise or start is compared from what it raised from (80; 0, a
    start), so the re-write needs override_reason (422 naming it).
    Severity: medium-high (a raise or start on 610 ms with a reason written for another QTc)."""
    now = timezone.now()
    today = local_today(world.alice, now)
    if how == "raise":
        first = _order(world, "80")
        given_daily(world, first, [today - timedelta(days=d) for d in (5, 4, 3, 2, 1)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=505)
    written = _order(world, "120" if how == "raise" else "80", override_reason=WHY)
    assert written.qtc_reason
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=610)
    with pytest.raises(TreatmentInvalid) as exc:
        _order(world, "100" if how == "raise" else "60")
    assert "override_reason" in _fields(exc)


def test_qtc_block_hides_the_missed_days_that_call_for_a_lower_restart(world: World) -> None:
    """Scenario: Alice was on 80 mg and raised to 100 on a QTc of 430 (the raise never given); she then
    missed four days in a row. Today a QTc of 520 comes back and she comes to the window; the nurse asks for
    the ordered 100 mg.
    What happened: the rule answers a block for the missed days (restart at the lower of half the dose and
    the program's restart cap, a reassessment: she has lost tolerance), and the QTc guard, which since this
    session also runs on those verdicts, replaces the whole verdict with NEEDS_NEW_ORDER and only the QTc
    reason. The nurse and the prescriber are told to re-write the order for the QTc; nothing says she missed
    four days. A prescriber re-writing "with a reason for the QTc" at 100 mg is led to the full dose.
    Should: NEEDS_NEW_ORDER keeps the rule's own reasons after the QTc's (the missed days and the restart
    limit), so the re-write is made knowing both.
    Severity: medium (overdose risk after lost tolerance is hidden behind the QTc words; the rule still
    stops the dose after the re-write, but the order is written blind)."""
    from keel.treatment.services.common import DoseBlocked
    from keel.treatment.services.doses.window import record_dose

    now = timezone.now()
    today = local_today(world.alice, now)
    first = _order(world, "80")
    given_daily(world, first, [today - timedelta(days=d) for d in (9, 8, 7, 6, 5)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=430)
    _order(world, "100")
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=520)
    with pytest.raises(DoseBlocked) as exc:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="100")
    decision = exc.value.decision
    assert decision.decision == "needs_new_order"
    words = " ".join(r.text for r in decision.reasons).lower()
    assert "missed" in words
