"""Review 22n's six holes, one more variant each (the holes' own tests are tests/review22n): the order version
moves on a discharge (the API too), the medication page compares every version it sent (the other
direction), a void by a prescriber takes the bottles back (and a split dose's other part keeps them), the
decision puts a bottle to the window's titration check, a kept-back bottle is not counted as held, and a
lowering's warning reaches the page in Spanish."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from keel.audit.models import AuditEvent
from keel.patients.models import Enrollment, local_today
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.patients.services.episodes import discharge, readmit
from keel.treatment import services, words
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.queries import held_bottles
from keel.treatment.queries.orders import order_version, order_versions, orders_version
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from keel.web.dates import shown_near_day
from tests.conftest import World, sign_in
from tests.review22n.test_bottles import _mg, _on_80_with_a_bottle_tomorrow

pytestmark = pytest.mark.django_db


def _tomorrow(world: World) -> str:
    return (local_today(world.alice) + timedelta(days=1)).isoformat()


# Hole 1: a stop moves the version


def test_a_discharge_moves_the_version_and_the_api_refuses_the_old_read(world: World) -> None:
    pr, alice = world.staff["prescriber"], world.alice
    prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="80")
    read, whole = order_version(alice, "methadone"), orders_version(alice)
    discharge(by=pr, patient_id=alice.pk, data=DischargeIn.posted({"reason": "left", "ended_on": None}))
    assert order_version(alice, "methadone") != read
    readmit(
        by=pr,
        patient_id=alice.pk,
        data=ReadmissionIn.posted(
            {"started_on": None, "episode_kind": "", "notice_given": True, "consented": True}
        ),
    )
    response = sign_in(Client(), pr).post(
        f"/api/v1/patients/{alice.pk}/orders",
        json.dumps(
            {"medication": "methadone", "dose_mg": "100", "order_version": read, "orders_version": whole}
        ),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert not MedicationOrder.objects.filter(patient=alice, dose_mg=100).exists()


# Hole 2: every version the page sent


def _page(world: World, data: dict[str, str]) -> Any:
    return sign_in(Client(), world.staff["prescriber"]).post(
        reverse("treatment:create_order", args=[world.alice.pk]), data
    )


def test_a_page_read_before_a_buprenorphine_order_cannot_raise_methadone(world: World) -> None:
    pr, alice = world.staff["prescriber"], world.alice
    prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="30")
    read = order_versions(alice)
    prescribe(by=pr, patient_id=alice.pk, medication="buprenorphine", dose_mg="8")
    data = {
        "medication": "methadone",
        "dose_mg": "40",
        **{f"order_version_{m}": str(v) for m, v in read.items()},
    }
    response = _page(world, data)
    assert response.status_code == 409
    assert "Buprenorphine" in response.content.decode()
    assert not MedicationOrder.objects.filter(patient=alice, dose_mg=40).exists()


def test_a_page_with_every_current_version_writes(world: World) -> None:
    pr, alice = world.staff["prescriber"], world.alice
    prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="30")
    read = order_versions(alice)
    data = {
        "medication": "methadone",
        "dose_mg": "40",
        **{f"order_version_{m}": str(v) for m, v in read.items()},
    }
    assert _page(world, data).status_code == 302
    assert MedicationOrder.objects.filter(patient=alice, dose_mg=40, status="active").exists()


# Hole 3: a void takes back the bottles


def test_a_prescribers_void_takes_the_bottles_back_audited(world: World) -> None:
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    dose = DoseRecord.objects.get(patient=alice, local_date=local_today(alice))
    amend_dose(by=pr, patient_id=alice.pk, dose_id=dose.pk, void=True, reason="recorded for the wrong person")
    plan.refresh_from_db()
    assert _mg(plan) == {}
    assert AuditEvent.objects.filter(
        target_type="take_home_plan", reason="bottles taken back: the dose they went home with was voided"
    ).exists()


def test_a_correction_that_keeps_the_dose_given_keeps_the_bottles(world: World) -> None:
    nurse, alice = world.staff["nurse"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    dose = DoseRecord.objects.get(patient=alice, local_date=local_today(alice))
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, corrected_mg="75", reason="spilled a little")
    plan.refresh_from_db()
    assert _mg(plan) == {_tomorrow(world): Decimal(80)}


# Hole 4: the decision puts a bottle to the window's whole verdict


def test_the_decision_refuses_a_bottle_over_the_titration_step(world: World) -> None:
    pr, alice = world.staff["prescriber"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    plan.delete()
    tomorrow = local_today(alice) + timedelta(days=1)
    prescribe(
        by=pr,
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="120",
        starts_on=tomorrow,
        override_reason="raise for cravings",
    )
    with pytest.raises(TreatmentInvalid) as caught:
        services.decide_take_home(
            by=pr,
            patient_id=alice.pk,
            criteria={key: True for key in services.CRITERIA_KEYS},
            bottle_days=[tomorrow.isoformat()],
            acknowledged_flags=[c.id for c in services.take_home_concerns(alice, local_today(alice))],
        )
    assert "titration step" in " ".join(e.reason for e in caught.value.errors)


# Hole 5: a kept-back bottle is not held


def test_a_bottle_kept_back_at_the_dose_is_not_counted_as_held(world: World) -> None:
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    plan = _on_80_with_a_bottle_tomorrow(world)
    prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="90")
    record_qtc(by=nurse, patient_id=alice.pk, qtc_ms=520)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on == local_today(alice)
    enrollment = Enrollment.objects.get(patient=alice, ended_on__isnull=True)
    held = held_bottles(alice, (enrollment.pk, enrollment.started_on), local_today(alice))
    assert plan.pk not in held, held


# Hole 6: the page tells the prescriber, in Spanish too


def test_the_lowering_page_names_the_bottle_at_home(world: World) -> None:
    nurse, alice = world.staff["nurse"], world.alice
    _on_80_with_a_bottle_tomorrow(world)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    read = order_versions(alice)
    data = {
        "medication": "methadone",
        "dose_mg": "60",
        **{f"order_version_{m}": str(v) for m, v in read.items()},
    }
    response = sign_in(Client(), world.staff["prescriber"]).post(
        reverse("treatment:create_order", args=[alice.pk]), data, follow=True
    )
    today = local_today(alice)  # lane words34: the bottle's day in words, as the take-home plan says it
    assert f"{shown_near_day(today + timedelta(days=1), today)}: 80 mg" in response.content.decode()


def test_the_bottle_warning_is_in_spanish(world: World) -> None:
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    _on_80_with_a_bottle_tomorrow(world)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    order = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="60")
    with translation.override("es"):
        said = " ".join(words.reason_text(w) for w in order.warnings)
    assert "dosis para llevar" in said.lower() and f"{_tomorrow(world)} 80 mg" in said


def test_a_plan_with_no_bottle_above_the_order_says_nothing(world: World) -> None:
    nurse, pr, alice = world.staff["nurse"], world.staff["prescriber"], world.alice
    _on_80_with_a_bottle_tomorrow(world)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="80")
    order = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="90")
    assert not [w for w in order.warnings if "bottles already at home" in w.text]
    assert TakeHomePlan.objects.filter(patient=alice).exists()
