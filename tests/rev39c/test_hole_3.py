"""Review 39c hole 3 (low): the API says nothing of a late entry: neither when a result was entered in the
record nor that it was entered late.

A COWS typed in six hours after its time of scoring: the result page says "Entered <time> by <nurse>. Late
entry", the flowsheet tags it "late entry"; `GET /api/v1/patients/{id}/assessments` gives only `filled_at`
(the bedside time), so a client reading the API takes it for a contemporaneous entry. A late entry is
identified as one, with the time it was entered (AHIMA late-entry guidance, CMS Program Integrity Manual
3.3.2.5, as `Assessment.entered_late` cites them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments import services
from keel.core.instruments import registry
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_the_api_says_a_late_entry_is_one(world) -> None:  # type: ignore[no-untyped-def]
    answers = {item.link_id: 0 for item in registry.get("cows").items}
    a, _ = services.submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="cows",
        answers=answers,
        filled_at=timezone.now() - timedelta(hours=6),
    )
    assert a.entered_late  # the record knows it (held)
    client = sign_in(Client(), world.staff["counselor"])
    (row,) = client.get(f"/api/v1/patients/{world.alice.pk}/assessments?instrument=cows").json()
    said = {k for k in row if "late" in k or "entered_at" in k or "created" in k or "recorded" in k}
    assert said, f"the API's row has only {sorted(row)}: nothing says it was entered six hours late"
