"""A one-time message on a page can name treatment details ("Not saved: ..."): it waits in the server-side
session, never in a cookie the browser keeps (SECURITY.md: server-side sessions; review 21)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def test_messages_are_kept_in_the_session() -> None:
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.session.SessionStorage"


def test_a_message_sets_no_messages_cookie(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = client.post("/me/reminders/", {"kind": "checkin", "at": "25:99"})  # refused: a message
    assert response.status_code == 302
    assert "messages" not in response.cookies


def test_the_message_is_shown_on_the_next_page(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    client.post("/me/reminders/", {"kind": "checkin", "at": "25:99"})
    body = client.get("/me/reminders/").content.decode()
    # the live region wraps the list: a list keeps its own role (axe: a <li> inside a "status" list is
    # in no list, a serious problem for a screen reader); a refusal's item says it is one (lane words24)
    assert '<div role="status"><ul class="messages"><li class="error">' in body
