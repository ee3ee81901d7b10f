"""keel.accounts.sessions (issue #21): the hand-written session read answers exactly as Django's database
store's, on SQLite and PostgreSQL (the suite runs this file on both): the same row, or None with the key
forgotten."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from keel.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _row(found: Any) -> Any:
    if found is None:
        return None
    return (found.session_key, found.session_data, found.expire_date, found._state.adding, found._state.db)


def _both(key: str | None) -> tuple[tuple[Any, str | None], tuple[Any, str | None]]:
    keel, django = SessionStore(key), DjangoStore(key)
    return (
        (_row(keel._get_session_from_db()), keel._session_key),
        (_row(django._get_session_from_db()), django._session_key),
    )


def _saved(**data: Any) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    assert store.session_key is not None
    return store.session_key


def test_a_live_session_is_read_as_django_reads_it() -> None:
    key = _saved(who="nurse", n=3)
    keel, django = _both(key)
    assert keel == django
    assert keel[0] is not None


def test_a_live_session_loads_the_same_data() -> None:
    key = _saved(who="nurse", n=3)
    assert SessionStore(key).load() == DjangoStore(key).load() == {"who": "nurse", "n": 3}


@pytest.mark.parametrize("offset", [timedelta(seconds=-1), timedelta(days=-3)])
def test_an_expired_session_is_not_read_and_its_key_is_forgotten(offset: timedelta) -> None:
    key = _saved(who="nurse")
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + offset)
    keel, django = _both(key)
    assert keel == django == (None, None)


def test_a_session_about_to_expire_is_still_read() -> None:
    key = _saved(who="nurse")
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(seconds=30))
    keel, django = _both(key)
    assert keel == django
    assert keel[0] is not None


@pytest.mark.parametrize("key", ["x" * 32, "nosuchsessionkeyatallinthetable1"])
def test_an_unknown_key_reads_nothing_and_is_forgotten(key: str) -> None:
    _saved(who="someone else")
    keel, django = _both(key)
    assert keel == django == (None, None)


@pytest.mark.parametrize("key", [None, "", "short"])
def test_no_key_or_an_invalid_one_reads_nothing(key: str | None) -> None:
    _saved(who="someone else")
    keel, django = _both(key)
    assert keel == django == (None, None)


def test_the_key_is_matched_exactly() -> None:
    key = _saved(who="nurse")
    keel, django = _both(key.upper() if key != key.upper() else key.lower())
    assert keel == django == (None, None)


@pytest.mark.parametrize("key", [None, "abc123", ""])
def test_a_new_store_is_djangos_but_for_where_the_serializer_was_looked_up(key: str | None) -> None:
    """Issue #21: the store's `__init__` imports the serializer once per dotted name; the instance has the
    same attributes with the same values as Django's database store's (a Django upgrade that adds one fails
    here)."""
    assert vars(SessionStore(key)) == vars(DjangoStore(key))


def test_the_serializer_follows_the_setting(settings: Any) -> None:
    settings.SESSION_SERIALIZER = "django.core.signing.JSONSerializer"
    from django.core.signing import JSONSerializer

    assert SessionStore().serializer is JSONSerializer is DjangoStore().serializer
