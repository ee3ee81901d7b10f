"""Review 13: the buprenorphine start gate (every opioid, a fresh COWS, overrides, restarts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.review13.helpers import at

D0 = date(2026, 11, 2)
HIGH_COWS = {
    "pulse": 2, "sweating": 2, "restlessness": 3, "pupils": 2, "aches": 2, "nose_eyes": 2,
    "gi_upset": 2, "tremor": 1, "yawning": 1, "anxiety": 1, "gooseflesh": 0,
}  # fmt: skip


def _order(world: Any, when: datetime) -> Any:
    from keel.treatment import services

    return services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="4",
        now=when,
    )


def _last_use(world: Any, when: datetime, **uses: datetime) -> None:
    from keel.treatment.services.last_use import record_last_use

    record_last_use(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        raw={"opioids": [{"opioid": o, "last_use_at": t.isoformat()} for o, t in uses.items()]},
        now=when,
    )


def _cows(world: Any, when: datetime) -> None:
    from keel.assessments import services

    with time_machine.travel(when, tick=False):
        services.submit_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=HIGH_COWS
        )


def _give(world: Any, mg: str, when: datetime) -> Any:
    from keel.treatment import services

    return services.record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, medication="buprenorphine", amount_mg=mg, now=when
    )


def test_control_heroin_only_fresh_cows_is_dosed(world: Any) -> None:
    """Control: heroin 14 h ago and a fresh COWS 12: the first 4 mg is given (the setup works)."""
    now = at(D0, 10)
    _order(world, at(D0, 8))
    _last_use(world, at(D0, 9), heroin=now - timedelta(hours=14))
    _cows(world, now - timedelta(minutes=20))
    assert _give(world, "4", now).dose.status == "given"


def test_second_opioid_methadone_two_days_ago_blocks(world: Any) -> None:
    """Held: heroin 14 h ago never hides methadone 48 h ago (72 h wait): no first dose."""
    from keel.treatment import services

    now = at(D0, 10)
    _order(world, at(D0, 8))
    _last_use(world, at(D0, 9), heroin=now - timedelta(hours=14), methadone=now - timedelta(hours=48))
    _cows(world, now - timedelta(minutes=20))
    with pytest.raises(services.DoseBlocked):
        _give(world, "4", now)


def test_stale_cows_blocks(world: Any) -> None:
    """Held: a COWS scored 3 h ago (freshness 2 h) does not open the start."""
    from keel.treatment import services

    now = at(D0, 10)
    _order(world, at(D0, 6))
    _last_use(world, at(D0, 6), heroin=now - timedelta(hours=16))
    _cows(world, now - timedelta(hours=3))
    with pytest.raises(services.DoseBlocked):
        _give(world, "4", now)


def test_future_last_use_refused(world: Any) -> None:
    """Held: a time of last use in the future is refused."""
    from keel.treatment.errors import TreatmentInvalid

    now = at(D0, 10)
    with pytest.raises(TreatmentInvalid):
        _last_use(world, now, heroin=now + timedelta(hours=2))


def test_redose_30_minutes_later_needs_override(world: Any) -> None:
    """Held: a second 4 mg 30 minutes after the first (double Enter on a new slot) needs a prescriber."""
    from keel.treatment import services

    now = at(D0, 10)
    _order(world, at(D0, 8))
    _last_use(world, at(D0, 9), heroin=now - timedelta(hours=14))
    _cows(world, now - timedelta(minutes=20))
    _give(world, "4", now)
    with pytest.raises(services.DoseBlocked):
        _give(world, "4", now + timedelta(minutes=30))


def test_start_override_needs_a_reason_of_substance(world: Any) -> None:
    """Held: a start override with 'ok' as its reason is refused."""
    from keel.treatment import services
    from keel.treatment.errors import TreatmentInvalid

    with pytest.raises(TreatmentInvalid):
        services.add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg="4",
            reason="ok",
            medication="buprenorphine",
            kind="start",
            now=at(D0, 9),
        )


def test_nurse_cannot_record_start_override(world: Any) -> None:
    """Held: a nurse cannot record a start override."""
    from keel.treatment import services

    with pytest.raises(services.NotAllowed):
        services.add_override(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            max_total_mg="4",
            reason="COWS rising quickly, person asks to start now, discussed with the team",
            medication="buprenorphine",
            kind="start",
            now=at(D0, 9),
        )


def test_restart_after_weeks_off_with_fentanyl_yesterday_is_gated(world: Any) -> None:
    """Harm: a person started buprenorphine 3 weeks ago, stopped after day 1, and used fentanyl last night.
    Today's 8 mg at the window is not a 'first dose' (treatment day 22), so the readiness gate is skipped:
    precipitated withdrawal. A restart after a gap must meet the start gate again."""
    from keel.treatment import services

    first = at(D0, 10)
    _order(world, at(D0, 8))
    _last_use(world, at(D0, 9), heroin=first - timedelta(hours=14))
    _cows(world, first - timedelta(minutes=20))
    _give(world, "4", first)
    now = at(D0 + timedelta(days=21), 10)
    _last_use(world, now - timedelta(minutes=30), fentanyl=now - timedelta(hours=10))
    with pytest.raises(services.DoseBlocked):
        _give(world, "8", now)


def test_page_first_dose_not_ready_is_not_given(world: Any, signed_in: Any) -> None:
    """Held: the start page's dose form, with no COWS at all, records no first dose."""
    from keel.treatment.models import DoseRecord

    _order(world, at(D0, 8))
    with time_machine.travel(at(D0, 10), tick=False):
        client = signed_in("nurse")
        client.post(f"/patients/{world.alice.pk}/start/doses/", {"amount_mg": "4", "sequence": "1"})
    assert DoseRecord.objects.filter(patient=world.alice, status="given").count() == 0
