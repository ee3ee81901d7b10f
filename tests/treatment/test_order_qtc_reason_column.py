"""Review 20a: the prescriber's reason for a methadone raise on a QTc of 500 ms or more is a column of the
order (`qtc_reason`), no longer words searched for in its note. A note in which the prescriber merely typed
those words counts for nothing: not at the window (a raise written to start later, then a QTc of 500 ms or
more), not at the QTc gate when the raise is written again. The note still says the reason for people
reading it. The migration fills the column only where `prescribe` itself wrote the words (its audit row
says so)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from types import SimpleNamespace
from typing import Any, cast

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, DoseStatus, MedicationOrder
from keel.treatment.queries import order_version, orders_version
from keel.treatment.services.common import QTC_REASON_NOTE, DoseBlocked
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import sign_in
from tests.factories import page_versions
from tests.treatment.test_deferred_raise_window import DAY, REASON, START, _at, _dose, _setup

pytestmark = pytest.mark.django_db
TYPED = QTC_REASON_NOTE + "typed by hand in the note, not through the reason field"
migration = import_module("keel.treatment.migrations.0018_order_qtc_reason_column")


def _raise(world: Any) -> MedicationOrder:
    return MedicationOrder.objects.filter(patient=world.alice, dose_mg=65).latest("id")


def _fill() -> None:
    migration.fill_from_marker(apps, cast(Any, SimpleNamespace(connection=connection)))


# The column, written by prescribe


def test_the_reason_for_a_raise_on_a_high_qtc_is_kept_in_its_column(world: Any) -> None:
    _setup(world, qtc_day=DAY - timedelta(days=1), override_reason=REASON)
    assert _raise(world).qtc_reason == REASON


def test_the_note_still_says_the_reason_for_people_reading_it(world: Any) -> None:
    _setup(world, qtc_day=DAY - timedelta(days=1), override_reason=REASON)
    assert QTC_REASON_NOTE + REASON in _raise(world).note


def test_an_order_that_needed_no_qtc_reason_has_a_blank_one(world: Any) -> None:
    _setup(world)
    assert _raise(world).qtc_reason == ""


def test_a_reason_given_where_no_qtc_reason_was_needed_is_not_a_qtc_reason(world: Any) -> None:
    _setup(world, override_reason=REASON)  # the QTc of 520 ms is measured after the order was written
    assert _raise(world).qtc_reason == ""


# A note with the words typed in counts for nothing


def test_a_note_with_the_words_typed_in_has_no_qtc_reason(world: Any) -> None:
    _setup(world, note=TYPED)
    assert _raise(world).qtc_reason == ""


def test_a_note_with_the_words_typed_in_does_not_pass_the_window(world: Any) -> None:
    _setup(world, note=TYPED)
    with pytest.raises(DoseBlocked):
        _dose(world, 65, _at(START))


def test_the_order_with_the_reason_in_its_column_passes_the_window(world: Any) -> None:
    _setup(world, qtc_day=DAY - timedelta(days=1), override_reason=REASON)
    assert _dose(world, 65, _at(START)).dose.amount_mg == 65


def test_writing_again_a_raise_whose_note_has_the_words_typed_in_is_still_a_raise(world: Any) -> None:
    """On its start day the deferred raise, written without the reason, is compared from the dose it raised
    from (review 19c): a note with the words typed in does not make 65 mg the dose to compare with."""
    _setup(world, note=TYPED)
    with pytest.raises(TreatmentInvalid) as caught:
        prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg=65,
            now=_at(START),
        )
    assert {e.field for e in caught.value.errors} == {"override_reason"}


def _history(world: Any) -> None:
    """60 mg ordered 30 days before DAY and observed every day up to two days before START."""
    first = DAY - timedelta(days=30)
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg=60,
        now=_at(first),
    )
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=first + timedelta(days=n),
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=Decimal(60),
            treatment_day=n + 1,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=_at(first + timedelta(days=n)),
        )
        for n in range((START - first).days - 1)
    )


def _api_raise(world: Any) -> int:
    """The raise to 65 mg from START written through the API on DAY, the words typed in its note."""
    with time_machine.travel(_at(DAY), tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/orders",
            json.dumps(
                {
                    "medication": "methadone",
                    "dose_mg": "65",
                    "starts_on": START.isoformat(),
                    "note": TYPED,
                    "order_version": order_version(world.alice, "methadone"),
                    "orders_version": orders_version(world.alice),
                }
            ),
            content_type="application/json",
        )
    return int(response.status_code)


def test_the_api_writes_the_raise_with_the_words_typed_in_its_note(world: Any) -> None:
    _history(world)
    assert _api_raise(world) == 201


def test_the_api_order_with_the_words_typed_in_its_note_has_no_qtc_reason(world: Any) -> None:
    _history(world)
    _api_raise(world)
    assert _raise(world).qtc_reason == ""


def test_the_api_order_with_the_words_typed_in_its_note_does_not_pass_the_window(world: Any) -> None:
    _history(world)
    _api_raise(world)
    record_qtc(
        by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520, now=_at(DAY + timedelta(1))
    )
    with pytest.raises(DoseBlocked):
        _dose(world, 65, _at(START))


def test_the_page_note_with_the_words_typed_in_is_no_qtc_reason(world: Any) -> None:
    with time_machine.travel(_at(DAY), tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.post(
            f"/patients/{world.alice.pk}/medication/orders/",
            {
                "medication": "methadone",
                "dose_mg": "30",
                "note": TYPED,
                **page_versions(world.alice),
                "order_version_methadone": str(order_version(world.alice, "methadone")),
            },
        )
    assert MedicationOrder.objects.get(patient=world.alice).qtc_reason == ""


# The migration: the column filled only where prescribe wrote the words


def test_the_migration_fills_the_reason_prescribe_wrote(world: Any) -> None:
    _setup(world, qtc_day=DAY - timedelta(days=1), override_reason=REASON)
    MedicationOrder.objects.update(qtc_reason="")  # as before the column
    _fill()
    assert _raise(world).qtc_reason == REASON


def test_the_migration_leaves_words_typed_in_a_note_blank(world: Any) -> None:
    _setup(world, note=TYPED)
    _fill()
    assert _raise(world).qtc_reason == ""


def test_the_migration_leaves_the_note_as_it_was(world: Any) -> None:
    _setup(world, qtc_day=DAY - timedelta(days=1), override_reason=REASON)
    before = _raise(world).note
    _fill()
    assert _raise(world).note == before
