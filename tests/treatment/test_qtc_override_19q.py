"""Session 19q: a QTc of 500 ms or more is not walked around at the window. While it is recent, a
prescriber's day override of kind "limit" that would let a methadone dose go above the active order is
refused (the order itself is raised, where the QTc reason is recorded), on every route that makes one; an
override made before the QTc lets no dose above the order through, at the window or by a correction.
Buprenorphine overrides, overrides within the order and lower doses are not gated."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride, DoseRecord, DoseStatus, MedicationOrder, OverrideKind
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York
TODAY = date(2026, 11, 25)
REASON = "split dose agreed with the person after a missed pick-up at the pharmacy"


def _on_30(world: World) -> MedicationOrder:
    """Methadone 30 mg a day, with 30 mg observed on each of the three days before today."""
    with time_machine.travel(NOON - timedelta(days=4), tick=False):
        order = services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
        )
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=TODAY - timedelta(days=n),
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=Decimal(30),
            treatment_day=4 - n,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=NOON - timedelta(days=n),
        )
        for n in range(3, 0, -1)
    )
    return order


def _qtc(world: World, ms: int, measured_on: date | None = None) -> None:
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=ms, measured_on=measured_on)


def _override(world: World, mg: str, medication: str = "methadone", kind: str = "limit") -> DoseOverride:
    return services.add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg=mg,
        reason=REASON,
        medication=medication,
        kind=kind,
    )


# --- Making the override ---


def test_a_limit_above_the_order_on_a_high_qtc_is_refused_naming_max_total_mg(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        with pytest.raises(TreatmentInvalid) as caught:
            _override(world, "40")
    assert [e.field for e in caught.value.errors] == ["max_total_mg"]


def test_the_refusal_names_the_qtc_and_tells_to_raise_the_order(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        with pytest.raises(TreatmentInvalid) as caught:
            _override(world, "40")
    reason = caught.value.errors[0].reason
    assert "520 ms" in reason and "raises the order itself" in reason and "krantz-2009" in reason


def test_a_refused_override_writes_no_row(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        with pytest.raises(TreatmentInvalid):
            _override(world, "40")
    assert not DoseOverride.objects.filter(patient=world.alice).exists()


def test_a_limit_within_the_order_on_a_high_qtc_is_saved(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        assert _override(world, "30").max_total_mg == 30


def test_a_limit_above_the_order_on_a_qtc_of_470_is_saved(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 470)
        assert _override(world, "40").max_total_mg == 40


def test_an_old_qtc_cleared_by_a_newer_ecg_does_not_gate(world: World) -> None:
    """Review 22m: a QTc of 500 ms or more stays in force whatever its age until a newer ECG; a newer one
    under 500 ms clears it, and, itself older than the recent window, is not current either."""
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520, measured_on=TODAY - timedelta(days=40))
        _qtc(world, 440, measured_on=TODAY - timedelta(days=31))
        assert _override(world, "40").max_total_mg == 40


def test_an_old_qtc_of_520_with_no_newer_ecg_still_gates(world: World) -> None:
    """Review 22m (clinical reference 10.4): the 30 days are when the next ECG is due, not an expiry."""
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520, measured_on=TODAY - timedelta(days=31))
        with pytest.raises(TreatmentInvalid):
            _override(world, "40")


def test_an_hours_override_on_a_high_qtc_is_saved(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        assert _override(world, "", kind="hours").kind == OverrideKind.HOURS


def test_a_buprenorphine_override_on_a_high_qtc_is_saved(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg=8
        )
        _qtc(world, 520)
        assert _override(world, "16", medication="buprenorphine").max_total_mg == 16


def test_the_api_refuses_it_with_a_422_naming_max_total_mg(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/dose-overrides",
            json.dumps({"medication": "methadone", "kind": "limit", "max_total_mg": "40", "reason": REASON}),
            "application/json",
        )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["max_total_mg"]


def test_the_page_says_why_it_is_not_saved(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/patients/{world.alice.pk}/medication/dose-overrides/",
            {"medication": "methadone", "kind": "limit", "max_total_mg": "40", "reason": REASON},
            follow=True,
        )
    assert "raises the order itself" in response.content.decode()
    assert not DoseOverride.objects.filter(patient=world.alice).exists()


def test_the_page_says_it_in_spanish(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON, tick=False):
        _qtc(world, 520)
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/patients/{world.alice.pk}/medication/dose-overrides/",
            {"medication": "methadone", "kind": "limit", "max_total_mg": "40", "reason": REASON},
            follow=True,
            headers={"accept-language": "es"},
        )
    assert "sube la orden misma" in response.content.decode()


# --- An override made before the QTc, at the window ---


def _override_then_qtc(world: World, ms: int = 520) -> None:
    _on_30(world)
    with time_machine.travel(NOON - timedelta(hours=2), tick=False):
        _override(world, "40")
        _qtc(world, ms)


def _dose(world: World, mg: str) -> Any:
    with time_machine.travel(NOON, tick=False):
        return services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, sequence=1
        )


def test_without_the_qtc_the_override_passes_a_dose_above_the_order(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON - timedelta(hours=2), tick=False):
        _override(world, "40")
    assert _dose(world, "40").decision.decision == "allowed_with_rationale"


def test_an_override_made_before_the_qtc_does_not_pass_a_dose_above_the_order(world: World) -> None:
    _override_then_qtc(world)
    with pytest.raises(services.DoseBlocked):
        _dose(world, "40")


def test_the_blocked_dose_says_the_qtc_and_the_order(world: World) -> None:
    _override_then_qtc(world)
    with pytest.raises(services.DoseBlocked) as caught:
        _dose(world, "40")
    text = " ".join(r.text for r in caught.value.decision.reasons)
    assert "520 ms" in text and "raises the order itself" in text


def test_the_blocked_dose_cites_krantz_2009(world: World) -> None:
    _override_then_qtc(world)
    with pytest.raises(services.DoseBlocked) as caught:
        _dose(world, "40")
    assert "krantz-2009" in caught.value.decision.sources


def test_the_blocked_dose_is_not_recorded_and_its_denial_is_audited(world: World) -> None:
    _override_then_qtc(world)
    with pytest.raises(services.DoseBlocked):
        _dose(world, "40")
    assert not DoseRecord.objects.filter(patient=world.alice, local_date=TODAY).exists()
    assert AuditEvent.objects.filter(target_type="dose", action="denied").exists()


def test_the_order_dose_is_still_given_with_the_override_and_the_qtc(world: World) -> None:
    _override_then_qtc(world)
    assert _dose(world, "30").dose.amount_mg == 30


def test_a_qtc_of_470_leaves_the_override_passing(world: World) -> None:
    _override_then_qtc(world, 470)
    assert _dose(world, "40").decision.decision == "allowed_with_rationale"


def test_the_api_answers_the_blocked_dose_with_a_409(world: World) -> None:
    _override_then_qtc(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "40", "sequence": 1}),
            content_type="application/json",
        )
    assert response.status_code == 409


# --- A correction that raises a dose above the order ---


def test_a_correction_above_the_order_is_refused_on_a_high_qtc(world: World) -> None:
    _override_then_qtc(world)
    dose = _dose(world, "30").dose
    with (
        time_machine.travel(NOON + timedelta(minutes=5), tick=False),
        pytest.raises(TreatmentInvalid) as caught,
    ):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            corrected_mg="40",
            reason="typed 30, gave 40",
        )
    assert caught.value.errors[0].field == "corrected_mg"
    assert "520 ms" in caught.value.errors[0].reason


def test_a_correction_above_the_order_passes_with_the_override_without_the_qtc(world: World) -> None:
    _on_30(world)
    with time_machine.travel(NOON - timedelta(hours=2), tick=False):
        _override(world, "40")
    dose = _dose(world, "30").dose
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        amendment = services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            corrected_mg="40",
            reason="typed 30, gave 40",
        )
    assert amendment.corrected_mg == 40
