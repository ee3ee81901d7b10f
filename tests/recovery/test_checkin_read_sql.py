"""The check-in's one read before its write, in hand-written SQL (`_key_seen_and_series`, issue #21: every
check-in runs it), is the ORM's answer: whether the user already used the idempotency key, and the
patient's check-ins of the last HISTORY_DAYS days up to today, oldest first, with every column as the ORM
reads it. With and without check-ins, with the key used or not (by this user or another), check-ins outside
the window and another patient's. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from keel.recovery.common import HISTORY_DAYS
from keel.recovery.models import CheckIn, IdempotencyKey
from keel.recovery.services.checkins import _key_seen_and_series
from tests.conftest import World

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)


def _values(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def orm_read(user: Any, key: str, patient: Any, today: date) -> tuple[bool, list[dict[str, Any]]]:
    seen = IdempotencyKey.objects.filter(user=user, key=key).exists()
    series = CheckIn.objects.filter(
        patient=patient, local_date__gt=today - timedelta(days=HISTORY_DAYS), local_date__lte=today
    ).order_by("local_date")
    return seen, [_values(c) for c in series]


def sql_read(user: Any, key: str, patient: Any, today: date) -> tuple[bool, list[dict[str, Any]]]:
    seen, series = _key_seen_and_series(user.pk, key, patient, today)
    for row in series:
        assert row.patient is patient  # the patient is not read again
    return seen, [_values(c) for c in series]


def _checkin(patient: Any, day: date, **extra: Any) -> CheckIn:
    at = datetime(day.year, day.month, day.day, 9, 0, 0, 654321, tzinfo=UTC)
    fields: dict[str, Any] = {
        "craving": 6,
        "mood": 2,
        "used": True,
        "used_what": ["fentanyl"],
        "used_how": ["smoked", "snorted"],
        "medication": "missed",
        "meeting": False,
        "counseling": True,
        "triggers": ["stress"],
        "sleep": "poor",
        "private": b"\x00sealed\xff",
    }
    return CheckIn.objects.create(
        patient=patient, local_date=day, created_at=at, updated_at=at, **{**fields, **extra}
    )


def _key(user: Any, key: str) -> None:
    IdempotencyKey.objects.create(
        user=user,
        key=key,
        scope="checkin",
        fingerprint="f",
        status_code=201,
        response=b"r",
        created_at=datetime(2026, 3, 20, tzinfo=UTC),
    )


def _cases(world: World) -> list[tuple[Any, str, Any, date]]:
    alice, bob = world.alice, world.bob
    return [
        (user, key, patient, today)
        for user in (alice.user, bob.user)
        for key in ("used", "fresh", "")
        for patient in (alice, bob)
        for today in (TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=HISTORY_DAYS + 1))
    ]


def test_the_checkin_read_in_sql_is_the_orms_answer(world: World) -> None:
    for user, key, patient, today in _cases(world):  # nothing stored yet: no series, no key
        assert sql_read(user, key, patient, today) == orm_read(user, key, patient, today)
    _key(world.alice.user, "used")
    for days_ago in (0, 1, 3, HISTORY_DAYS - 1, HISTORY_DAYS, HISTORY_DAYS + 5):
        _checkin(world.alice, TODAY - timedelta(days=days_ago), craving=days_ago % 11, used=days_ago % 2 == 0)
    _checkin(world.bob, TODAY - timedelta(days=2), private=None, used_what=[], triggers=[])
    for user, key, patient, today in _cases(world):
        assert sql_read(user, key, patient, today) == orm_read(user, key, patient, today), (
            user.pk,
            key,
            patient.pk,
            today,
        )


def test_the_checkin_read_finds_the_series_oldest_first_with_todays_row_last(world: World) -> None:
    for days_ago in (2, 0, 1):
        _checkin(world.alice, TODAY - timedelta(days=days_ago))
    seen, series = _key_seen_and_series(world.alice.user.pk, "k", world.alice, TODAY)
    assert seen is False
    assert [c.local_date for c in series] == [TODAY - timedelta(days=d) for d in (2, 1, 0)]
