"""Hole 5: an order's dose reads "1_00" as 100 mg and "3e1" as 30 mg.

`keel.treatment.services.common._decimal` reads the typed dose with `Decimal(str(raw))`, which takes Python's
own number syntax: underscores between digits ("1_00" is 100, "3_0" is 30) and exponents ("3e1" is 30, kept
as Decimal('3E+1') and written back as 30). A slip of the finger on the order form or a client's text becomes
a dose no one typed, with no word to the prescriber; the same reader takes the window's amount. A dose is
digits with at most one decimal point (the project's digits rule: `keel.core.digits`).
"""

from __future__ import annotations

import pytest

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder
from keel.treatment.services.orders import prescribe
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _order(world: World, raw: str) -> None:
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=raw,
        order_version=0,
    )


def test_control_plain_digits_are_an_order(world: World) -> None:
    _order(world, "30")
    assert MedicationOrder.objects.get(patient=world.alice).dose_mg == 30


@pytest.mark.parametrize("raw", ["1_00", "3_0", "3e1"])
def test_a_dose_not_typed_in_digits_is_refused_naming_it(world: World, raw: str) -> None:
    with pytest.raises(TreatmentInvalid) as refused:
        _order(world, raw)
    assert [e.field for e in refused.value.errors] == ["dose_mg"]
