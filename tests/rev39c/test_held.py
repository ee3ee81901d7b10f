"""Review 39c: attacks on the record's corrections that Keel resisted (kept so they stay held)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from keel.assessments import services
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db

HIGH = {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 0}  # 16


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _filed(world):  # type: ignore[no-untyped-def]
    a, _ = services.submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=HIGH
    )
    return a


def _url(world, a) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/patients/{world.alice.pk}/assessments/{a.pk}/corrections"


def test_a_blank_reason_is_a_422_naming_reason_and_writes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    a = _filed(world)
    client = sign_in(Client(), world.staff["counselor"])
    body = {"entered_in_error": True, "reason": " \u200b ", "correction_version": 0}
    response = client.post(_url(world, a), body, content_type="application/json")
    assert response.status_code == 422
    assert "reason" in response.content.decode()
    assert not a.corrections.exists()


def test_a_double_strike_is_one_strike_and_the_original_stays_listed(world) -> None:  # type: ignore[no-untyped-def]
    a = _filed(world)
    client = sign_in(Client(), world.staff["counselor"])
    body = {"entered_in_error": True, "reason": "Filed on the wrong person", "correction_version": 0}
    first = client.post(_url(world, a), body, content_type="application/json")
    second = client.post(_url(world, a), body, content_type="application/json")
    assert (first.status_code, second.status_code) == (201, 409)
    listed = client.get(f"/api/v1/patients/{world.alice.pk}/assessments").json()
    (row,) = [r for r in listed if r["id"] == a.pk]
    assert row["status"] == "entered-in-error"
    assert row["answers"] == HIGH  # the original kept for staff


def test_a_stale_correction_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    a = _filed(world)
    client = sign_in(Client(), world.staff["counselor"])
    low = {f"phq9_{i}": 0 for i in range(1, 10)}
    body = {"answers": low, "reason": "Wrong column read", "correction_version": 0}
    assert client.post(_url(world, a), body, content_type="application/json").status_code == 201
    why = "The paper form was read again: the first answers were right"
    again = {"answers": HIGH, "reason": why, "correction_version": 0}  # read before the first correction
    assert client.post(_url(world, a), again, content_type="application/json").status_code == 409
