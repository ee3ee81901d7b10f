"""Lane fix33d (review 33c hole 5): every amount in mg (an order, the window's dose, a correction, the API)
is read by the one parser (`_decimal` over `core.digits.plain_decimal`): "1_00", "3e1", "٣٠", "NaN" are
refused naming the field; "30,5" is told to use a point, in Spanish too."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import corrected
from tests.review33c._setup import three_observed_days

pytestmark = pytest.mark.django_db

NOT_AMOUNTS = ["1_00", "3e1", "٣٠", "NaN", "Infinity", "30,5"]


def _order(world: World, raw: object) -> MedicationOrder:
    return prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=raw,
        order_version=0,
    )


@pytest.mark.parametrize("raw", NOT_AMOUNTS)
def test_an_order_refuses_it_naming_dose_mg(world: World, raw: str) -> None:
    with pytest.raises(TreatmentInvalid) as refused:
        _order(world, raw)
    assert [e.field for e in refused.value.errors] == ["dose_mg"]


def test_a_json_number_is_still_an_order(world: World) -> None:
    assert _order(world, 30.5).dose_mg == 30.5


@pytest.mark.parametrize("raw", NOT_AMOUNTS)
def test_the_window_refuses_it_naming_amount_mg(world: World, raw: str) -> None:
    _order(world, "30")
    with pytest.raises(TreatmentInvalid) as refused:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=raw)
    assert [e.field for e in refused.value.errors] == ["amount_mg"]
    assert not DoseRecord.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize("raw", NOT_AMOUNTS)
def test_a_correction_refuses_it_naming_corrected_mg(world: World, raw: str) -> None:
    doses, _ = three_observed_days(world)
    with pytest.raises(TreatmentInvalid) as refused:
        corrected(world, doses[2], "Typed the wrong amount in the record", corrected_mg=raw)
    assert "corrected_mg" in [e.field for e in refused.value.errors]
    assert not DoseAmendment.objects.exists()


def test_a_decimal_comma_is_told_to_use_a_point(world: World) -> None:
    with pytest.raises(TreatmentInvalid) as refused:
        _order(world, "30,5")
    assert "use a point" in refused.value.errors[0].reason


def test_a_decimal_comma_is_told_in_spanish(world: World) -> None:
    with pytest.raises(TreatmentInvalid) as refused:
        _order(world, "30,5")
    with translation.override("es"):
        assert "use un punto" in translation.gettext(refused.value.errors[0].reason)


def test_the_api_answers_422_naming_the_field(world: World) -> None:
    _order(world, "30")
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "3e1", "sequence": 1}),
        "application/json",
    )
    assert response.status_code == 422
    assert "amount_mg" in response.content.decode()
