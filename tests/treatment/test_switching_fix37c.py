"""Lane fix37c (switching medicines: a low-dose start from a pharmacy fill; bottles and the switch override).

1. A fill of the order that IS the planned low-dose (Bernese) start is that planned overlap: methadone passes,
   the verdict saying why (with its sources); a fill of an ordinary buprenorphine order still asks the switch
   override; so does a fill of the low-dose order once it is stopped, or once its schedule's days are over.
2. Inside an XR-naltrexone blockade, a prescriber's switch override for today covers today's bottle only:
   later days' bottles stay kept back, the reason saying so (EN+ES).
3. One switch override covering both the second agonist and the blockade: the dose's stored reasons name both.
4. A first buprenorphine dose reads its readiness once (the gate's read handed to the stored decision).
Relative dates only; the clock pinned (overrides minutes before the dose fall on the dose's day)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from keel.core.rules.agonists import LOW_DOSE_FILL, SWITCH_COVERED
from keel.patients.models import local_today
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseOverride,
    DoseRecord,
    MedicationOrder,
    OrderStatus,
    TakeHomePlan,
)
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.bottles.reasons import SWITCH_TODAY_ONLY
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.fills import record_fill
from keel.treatment.services.orders import prescribe
from keel.treatment.services.overrides import add_override
from tests.conftest import World
from tests.factories import given_on, methadone_with_take_home_plan, pinned_at_last_five_pm_utc
from tests.review36f._setup import order

pytestmark = pytest.mark.django_db

STEPS = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]
REASON = "Bernese start going well but she asked to keep both today; discussed sedation and overdose risk"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _switch(world: World, now: datetime) -> DoseOverride:
    return add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        kind="switch",
        reason=REASON,
        now=now - timedelta(minutes=5),
    )


def _methadone(world: World, now: datetime, mg: str = "30") -> services.DoseOutcome:
    return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, now=now)


# --- 1. a pharmacy fill of the low-dose order -------------------------------------------------------------


def _filled(
    world: World, now: datetime, *, days_ago: int, low_dose: bool, supply: int = 7
) -> MedicationOrder:
    """A buprenorphine order written `days_ago` days ago (a low-dose schedule, or an ordinary 16 mg), filled
    at a pharmacy that day for `supply` days (recorded two hours ago); methadone 30 mg written an hour ago."""
    today = local_today(world.alice, now)
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8" if low_dose else "16",
        schedule=STEPS if low_dose else None,
        now=now - timedelta(days=days_ago, hours=1),
        starts_on=today - timedelta(days=days_ago),
    )
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(today - timedelta(days=days_ago)).isoformat(),
        days_supply=supply,
        source="pharmacy",
        now=now - timedelta(hours=2),
    )
    order(world, "methadone", "30", now - timedelta(hours=1))
    return bup


def test_methadone_alongside_a_fill_of_the_low_dose_start_is_given(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    assert _methadone(world, now).dose.amount_mg == 30


def test_the_verdict_says_the_fill_is_the_planned_low_dose_overlap(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    templates = [r.template for r in _methadone(world, now).decision.reasons]
    assert LOW_DOSE_FILL in templates


def test_the_planned_overlap_cites_the_bernese_method(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    sources = {s for r in _methadone(world, now).decision.reasons for s in r.sources}
    assert "hammig-2016" in sources


def test_the_planned_overlap_is_stored_on_the_dose(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    dose = DoseRecord.objects.get(pk=_methadone(world, now).dose.pk)
    assert any("low-dose start" in r["text"] for r in dose.decision["reasons"])


def test_a_fill_of_an_ordinary_buprenorphine_order_still_needs_the_switch_override(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=False)
    with pytest.raises(DoseBlocked):
        _methadone(world, now)


def test_a_fill_of_the_low_dose_order_once_stopped_needs_the_switch_override(world: World) -> None:
    now = timezone.now()
    bup = _filled(world, now, days_ago=1, low_dose=True)
    MedicationOrder.objects.filter(pk=bup.pk).update(status=OrderStatus.STOPPED)
    with pytest.raises(DoseBlocked):
        _methadone(world, now)


def test_a_fill_of_the_low_dose_order_after_its_schedules_days_needs_the_switch_override(
    world: World,
) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=10, low_dose=True, supply=14)  # a 7-day schedule, its 11th day
    with pytest.raises(DoseBlocked):
        _methadone(world, now)


def test_the_planned_overlap_is_said_in_spanish(world: World) -> None:
    with translation.override("es"):
        assert translation.gettext(LOW_DOSE_FILL) != LOW_DOSE_FILL


# --- 3. one switch override for the second agonist and the blockade ---------------------------------------


def _injection(world: World, now: datetime, days_ago: int = 6) -> None:
    """An XR-naltrexone injection given `days_ago` days ago (rows: the history, not the behaviour here)."""
    xr = MedicationOrder.objects.create(
        patient=world.alice,
        medication="naltrexone_xr",
        rxnorm="7243",
        dose_mg=Decimal(380),
        route="intramuscular",
        starts_on=local_today(world.alice, now) - timedelta(days=days_ago + 1),
        prescriber=world.staff["prescriber"],
        created_at=now - timedelta(days=days_ago + 1),
    )
    given_on(world, xr, local_today(world.alice, now) - timedelta(days=days_ago), 380, 1)


def _both(world: World, now: datetime) -> services.DoseOutcome:
    """Buprenorphine given here two hours ago, an injection six days ago, one switch override, methadone."""
    _injection(world, now)
    bup = order(world, "buprenorphine", "8", now - timedelta(hours=3))
    given_on(world, bup, local_today(world.alice, now), 8, 1, at=now - timedelta(hours=2))
    order(world, "methadone", "30", now - timedelta(hours=1))
    _switch(world, now)
    return _methadone(world, now)


def test_one_switch_override_names_the_second_agonist_on_the_dose(world: World) -> None:
    now = timezone.now()
    dose = DoseRecord.objects.get(pk=_both(world, now).dose.pk)
    assert any("Buprenorphine was taken less than" in r["text"] for r in dose.decision["reasons"])


def test_one_switch_override_names_the_blockade_on_the_dose(world: World) -> None:
    now = timezone.now()
    dose = DoseRecord.objects.get(pk=_both(world, now).dose.pk)
    assert any("XR-naltrexone was injected on" in r["text"] for r in dose.decision["reasons"])


def test_the_second_agonists_cover_cites_its_rule(world: World) -> None:
    now = timezone.now()
    covered = [r for r in _both(world, now).decision.reasons if r.template == SWITCH_COVERED]
    assert "keel-one-agonist-a-day" in covered[0].sources


def test_the_second_agonists_cover_is_said_in_spanish(world: World) -> None:
    with translation.override("es"):
        assert translation.gettext(SWITCH_COVERED) != SWITCH_COVERED


# --- 2. bottles inside the blockade with a switch override for today ----------------------------------------


def _plan_in_blockade(world: World, now: datetime) -> TakeHomePlan:
    """Alice on methadone 80 mg (eight days at the window), a plan decided yesterday for tomorrow and the day
    after, injected six days ago; a switch override for today; today's 80 mg at the window."""
    plan, _first = methadone_with_take_home_plan(world, now - timedelta(days=1))
    _injection(world, now)
    _switch(world, now)
    _methadone(world, now, "80")
    plan.refresh_from_db()
    return plan


def test_todays_switch_override_does_not_send_tomorrows_bottle_home(world: World) -> None:
    now = timezone.now()
    plan = _plan_in_blockade(world, now)
    assert (local_today(world.alice, now) + timedelta(days=1)).isoformat() not in (plan.bottle_mg or {})


def test_the_kept_back_bottles_reason_says_the_override_is_for_today_only(world: World) -> None:
    now = timezone.now()
    _plan_in_blockade(world, now)
    dose = DoseRecord.objects.filter(patient=world.alice).latest("id")
    assert any("for today only" in r["text"] for r in dose.decision["reasons"])


def _decide_today(world: World) -> TakeHomePlan:
    today = local_today(world.alice)
    return services.decide_take_home(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        criteria=dict.fromkeys(services.CRITERIA_KEYS, True),
        bottle_days=[today.isoformat()],
    )


def _history_in_blockade(world: World, now: datetime) -> None:
    """Alice on methadone 80 mg, eight days at the window up to yesterday, injected six days ago."""
    methadone = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    today = local_today(world.alice, now)
    for n in range(8, 0, -1):
        given_on(world, methadone, today - timedelta(days=n), 80, 9 - n)
    _injection(world, now)


def test_todays_bottle_goes_home_under_todays_switch_override(world: World) -> None:
    now = timezone.now()
    _history_in_blockade(world, now)
    _switch(world, now)
    plan = _decide_today(world)
    assert local_today(world.alice, now).isoformat() in (plan.bottle_mg or {})


def test_todays_bottle_in_the_blockade_without_the_override_is_refused(world: World) -> None:
    now = timezone.now()
    _history_in_blockade(world, now)
    with pytest.raises(TreatmentInvalid):
        _decide_today(world)


def test_the_today_only_words_are_said_in_spanish(world: World) -> None:
    with translation.override("es"):
        assert translation.gettext(SWITCH_TODAY_ONLY) != SWITCH_TODAY_ONLY


# --- 4. a first buprenorphine dose reads the readiness once -----------------------------------------------


def _first_buprenorphine_reads(world: World) -> list[str]:
    """Heroin last used 14 hours ago (reported), COWS 24, buprenorphine 8 mg written: the first 4 mg dose at
    the window, "ready"; the statements it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.review36f._setup import cows_24, reported

    now = timezone.now()
    reported(world, "heroin", now - timedelta(hours=14), now - timedelta(hours=1))
    cows_24(world, now - timedelta(minutes=30))
    order(world, "buprenorphine", "8", now - timedelta(hours=2))
    with CaptureQueriesContext(connection) as captured:
        record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="4",
            medication="buprenorphine",
            now=now,
        )
    return [q["sql"] for q in captured.captured_queries]


def test_a_first_buprenorphine_dose_reads_the_cows_once(world: World) -> None:
    reads = [sql for sql in _first_buprenorphine_reads(world) if 'FROM "assessments_assessment"' in sql]
    assert len(reads) == 1, reads
