"""Lane fix13b (review 13c round 3): XR-naltrexone knows buprenorphine filled at a pharmacy, keeps a minimum
interval between injections (program policy, a prescriber's override for the day) and answers a second tap
with "already given today". One fact per test."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.treatment import readiness, services
from keel.treatment.models import DoseRecord
from tests.conftest import sign_in
from tests.review13c.common import at, intake, order

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)
REASON = "Assessed today: cravings return in week three, plan discussed with the person"


def _fill(world: Any, bup: Any, filled_on: date, supply: int) -> Any:
    when = at(filled_on, 10)
    with time_machine.travel(when, tick=False):
        return services.record_fill(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            order_id=bup.pk,
            filled_on=filled_on.isoformat(),
            days_supply=supply,
            source="pharmacy",
            now=when,
        )


def _inject(world: Any, when: datetime, site: str = "left_gluteal") -> Any:
    with time_machine.travel(when, tick=False):
        return services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site=site, now=when
        )


def _interval_override(
    world: Any, when: datetime, reason: str = REASON, medication: str = "naltrexone_xr"
) -> Any:
    with time_machine.travel(when, tick=False):
        return services.add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication=medication,
            kind="interval",
            reason=reason,
            now=when,
        )


def _on_naltrexone(world: Any) -> None:
    intake(world, at(D, 8), heroin=at(D - timedelta(days=20), 8))
    order(world, "naltrexone_xr", "380", at(D, 8))
    _inject(world, at(D, 9))


# --- Buprenorphine filled at a pharmacy is a last use ------------------------------------------------------


def test_a_fill_in_supply_is_buprenorphine_used_now(world: Any) -> None:
    bup = order(world, "buprenorphine", "16", at(D, 8))
    _fill(world, bup, D, 28)
    now = at(D + timedelta(days=3), 9)
    use = readiness.read_last_uses(world.alice, now).uses["buprenorphine"]
    assert (use.at, use.source) == (now, "fill")


def test_a_fill_whose_supply_ended_counts_to_the_end_of_its_last_day(world: Any) -> None:
    bup = order(world, "buprenorphine", "16", at(D, 8))
    _fill(world, bup, D, 7)
    use = readiness.read_last_uses(world.alice, at(D + timedelta(days=20), 9)).uses["buprenorphine"]
    assert use.at is not None
    assert use.at.date() == D + timedelta(days=6)
    assert use.at.hour == 23


def test_a_voided_fill_is_not_a_last_use(world: Any) -> None:
    bup = order(world, "buprenorphine", "16", at(D, 8))
    fill = _fill(world, bup, D, 28)
    with time_machine.travel(at(D, 11), tick=False):
        services.void_fill(
            by=world.staff["nurse"], patient_id=world.alice.pk, fill_id=fill.pk, reason="wrong patient's fill"
        )
    assert "buprenorphine" not in readiness.read_last_uses(world.alice, at(D + 1 * timedelta(days=1), 9)).uses


def test_the_buprenorphine_start_reads_the_same_fill(world: Any) -> None:
    bup = order(world, "buprenorphine", "16", at(D, 8))
    _fill(world, bup, D, 28)
    read = readiness.buprenorphine_readiness(world.alice, at(D + timedelta(days=2), 9))
    assert read.uses is not None
    assert read.uses.uses["buprenorphine"].source == "fill"


def test_naltrexone_is_refused_while_the_filled_supply_lasts(world: Any) -> None:
    today = D + timedelta(days=40)
    intake(world, at(D, 9), heroin=at(D, 6))
    bup = order(world, "buprenorphine", "16", at(today - timedelta(days=3), 8))
    _fill(world, bup, today - timedelta(days=3), 28)
    order(world, "naltrexone_xr", "380", at(today, 8))
    with pytest.raises(services.DoseBlocked) as blocked:
        _inject(world, at(today, 9))
    assert blocked.value.decision.decision == "not_eligible"
    assert blocked.value.decision.details["switching_from"] == ["buprenorphine"]


def test_ten_days_after_the_supply_ended_the_injection_carries_the_switching_warning(world: Any) -> None:
    today = D + timedelta(days=40)
    intake(world, at(D, 9), heroin=at(D, 6))
    bup = order(world, "buprenorphine", "16", at(D + timedelta(days=2), 8))
    _fill(world, bup, D + timedelta(days=2), 28)  # the last day of supply: D+29, 10.4 days before
    order(world, "naltrexone_xr", "380", at(today, 8))
    outcome = _inject(world, at(today, 9))
    assert outcome.decision.decision == "caution"
    assert outcome.decision.details["switching_from"] == ["buprenorphine"]


# --- The minimum interval between injections ------------------------------------------------------------


def test_an_injection_on_day_21_is_given_without_an_override(world: Any) -> None:
    _on_naltrexone(world)
    outcome = _inject(world, at(D + timedelta(days=21), 9), site="right_gluteal")
    assert outcome.decision.decision == "repeat"


def test_an_injection_on_day_20_is_too_soon(world: Any) -> None:
    _on_naltrexone(world)
    with pytest.raises(services.DoseBlocked) as blocked:
        _inject(world, at(D + timedelta(days=20), 9), site="right_gluteal")
    assert blocked.value.decision.decision == "too_soon"


def test_too_soon_names_the_due_date_and_the_sources(world: Any) -> None:
    _on_naltrexone(world)
    with pytest.raises(services.DoseBlocked) as blocked:
        _inject(world, at(D + timedelta(days=7), 9), site="right_gluteal")
    reason = blocked.value.decision.reasons[0]
    assert (D + timedelta(days=28)).isoformat() in reason.text
    assert reason.sources == ("keel-policy", "vivitrol-label")


def test_a_prescribers_interval_override_lets_the_early_injection_through(world: Any) -> None:
    _on_naltrexone(world)
    early = D + timedelta(days=14)
    row = _interval_override(world, at(early, 8))
    outcome = _inject(world, at(early, 9), site="right_gluteal")
    assert outcome.dose.override_id == row.pk
    assert outcome.decision.decision == "repeat"


def test_yesterdays_interval_override_does_not_cover_today(world: Any) -> None:
    _on_naltrexone(world)
    _interval_override(world, at(D + timedelta(days=13), 8))
    with pytest.raises(services.DoseBlocked):
        _inject(world, at(D + timedelta(days=14), 9), site="right_gluteal")


def test_an_interval_override_needs_a_reason_of_substance(world: Any) -> None:
    _on_naltrexone(world)
    with pytest.raises(services.TreatmentInvalid):
        _interval_override(world, at(D + timedelta(days=7), 8), reason="ok ok ok")


def test_an_interval_override_is_only_for_naltrexone(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    with pytest.raises(services.TreatmentInvalid):
        _interval_override(world, at(D, 8), medication="methadone")


def test_a_nurse_cannot_write_an_interval_override(world: Any) -> None:
    from keel.assessments.services import NotAllowed

    _on_naltrexone(world)
    with time_machine.travel(at(D + timedelta(days=7), 8), tick=False), pytest.raises(NotAllowed):
        services.add_override(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            medication="naltrexone_xr",
            kind="interval",
            reason=REASON,
        )


def test_the_api_refuses_an_early_injection_with_409_and_the_reason(world: Any) -> None:
    _on_naltrexone(world)
    with time_machine.travel(at(D + timedelta(days=7), 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/injections",
            json.dumps({"site": "right_gluteal"}),
            "application/json",
        )
    assert response.status_code == 409
    assert response.json()["decision"]["decision"] == "too_soon"


def test_the_program_cannot_set_a_minimum_interval_below_21_days() -> None:
    from keel.core.rules.policy import limit_errors

    assert limit_errors("naltrexone-readiness", {"min_interval_days": 14})


def test_the_program_cannot_set_a_minimum_interval_past_the_label_interval() -> None:
    from keel.core.rules.policy import limit_errors

    assert limit_errors("naltrexone-readiness", {"min_interval_days": 29})


def test_an_injection_after_a_voided_one_does_not_count_the_voided_one(world: Any) -> None:
    _on_naltrexone(world)
    first = DoseRecord.objects.get(medication="naltrexone_xr")
    with time_machine.travel(at(D, 10), tick=False):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=first.pk,
            void=True,
            reason="recorded on the wrong person",
        )
    outcome = _inject(world, at(D + timedelta(days=7), 9), site="right_gluteal")
    assert outcome.decision.decision == "eligible"


# --- A second tap ------------------------------------------------------------------------------------------


def test_a_second_tap_on_the_same_side_says_already_given(world: Any) -> None:
    _on_naltrexone(world)
    with pytest.raises(services.DoseConflict, match="Already given today"):
        _inject(world, at(D, 9, 5), site="left_gluteal")


def test_the_page_says_already_given_on_a_second_tap(world: Any) -> None:
    _on_naltrexone(world)
    with time_machine.travel(at(D, 9, 5), tick=False):
        client = sign_in(Client(raise_request_exception=False), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/injections/", {"site": "right_gluteal"}, follow=True
        )
    assert response.status_code == 200
    assert "Already given today" in response.content.decode()


def test_an_injection_voided_today_does_not_block_the_right_one_today(world: Any) -> None:
    _on_naltrexone(world)
    first = DoseRecord.objects.get(medication="naltrexone_xr")
    with time_machine.travel(at(D, 9, 30), tick=False):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=first.pk,
            void=True,
            reason="recorded before it was given",
        )
    outcome = _inject(world, at(D, 10), site="right_gluteal")
    assert outcome.dose.sequence == 2


def test_a_slot_race_is_already_given_and_leaves_the_transaction_usable(world: Any, monkeypatch: Any) -> None:
    """Two taps at once: the other one wrote the slot between the read and the write. The unique slot
    refuses it inside a savepoint: "already given", nothing half-written, the caller's transaction goes on
    (PostgreSQL aborts a transaction after an error outside a savepoint)."""
    from django.db import transaction

    from keel.treatment.services import injections

    _on_naltrexone(world)
    first = DoseRecord.objects.get(medication="naltrexone_xr")
    with time_machine.travel(at(D, 9, 30), tick=False):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=first.pk,
            void=True,
            reason="recorded before it was given",
        )
    original = injections._create_injection

    def racing(patient: Any, o: Any, today: date, slot: int, *rest: Any) -> Any:
        return original(patient, o, today, slot - 1, *rest)  # the slot the stale read would have taken

    monkeypatch.setattr(injections, "_create_injection", racing)
    with transaction.atomic():
        with pytest.raises(services.DoseConflict):
            _inject(world, at(D, 10), site="right_gluteal")
        assert DoseRecord.objects.filter(medication="naltrexone_xr").count() == 1
