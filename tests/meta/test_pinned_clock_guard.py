"""Issue #12: the suite itself refuses a test that acts outside the time it pinned (tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_a_session_signed_in_under_a_pin_cannot_be_used_at_the_real_clock(world: World) -> None:
    with time_machine.travel(NOV, tick=False):
        client = sign_in(Client(), world.alice.user)
    with pytest.raises(pytest.fail.Exception, match="issue #12"):
        client.get("/api/v1/me/care-plan")


def test_a_session_signed_in_at_the_real_clock_cannot_be_used_under_an_earlier_pin(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    earlier = time_machine.travel(timezone.now() - timedelta(days=3), tick=False)
    with earlier, pytest.raises(pytest.fail.Exception, match="issue #12"):
        client.get("/api/v1/me/care-plan")


def test_a_pin_relative_to_now_is_fine(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=False):
        assert client.get("/api/v1/me/care-plan").status_code == 200


def test_a_session_may_move_from_one_pin_to_another(world: World) -> None:
    with time_machine.travel(NOV, tick=False):
        client = sign_in(Client(), world.alice.user)
    with time_machine.travel(NOV + timedelta(hours=1), tick=False):
        assert client.get("/api/v1/me/care-plan").status_code == 200


def test_a_session_signed_in_through_the_login_page_is_watched_too(world: World) -> None:
    client = Client()
    with time_machine.travel(NOV, tick=False):
        client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery staple 42"})
    with pytest.raises(pytest.fail.Exception, match="issue #12"):
        client.get("/api/v1/me/care-plan")
