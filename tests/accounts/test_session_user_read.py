"""keel.accounts.authentication (issue #21): the signed-in user of a session, its row read by a hand-written
statement, is the user Django's `django.contrib.auth.get_user` answers, with the same changes to the session
(none; the key cycled and the current hash stored after a fallback secret; flushed), for every session a
request may carry, on SQLite and PostgreSQL (the suite runs this file on both)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from keel.accounts import authentication
from keel.accounts.models import User
from keel.accounts.sessions import SessionStore
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

MODEL = "django.contrib.auth.backends.ModelBackend"
AXES = "axes.backends.AxesStandaloneBackend"
OLD_KEY = "an-old-secret-key-that-was-rotated-out-" + "x" * 20
NEW_KEY = "the-current-secret-key-after-rotation-" + "y" * 20


def _user(name: str = "reader", **fields: Any) -> User:
    return User.objects.create_user(
        username=name, password="a long enough password 1", role="nurse", **fields
    )


def _session(data: dict[str, Any]) -> SessionStore:
    store = SessionStore()
    store.update(data)
    store.create()
    return store


def _signed(user: User, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: MODEL,
        HASH_SESSION_KEY: user.get_session_auth_hash(),
        "other": "kept",
    }
    for key, value in overrides.items():
        name = {"user_id": SESSION_KEY, "backend": BACKEND_SESSION_KEY, "hash": HASH_SESSION_KEY}[key]
        if value is _MISSING:
            data.pop(name)
        else:
            data[name] = value
    return data


_MISSING = object()


def _answer(read: Callable[[Any], Any], data: dict[str, Any]) -> tuple[Any, ...]:
    """What `read(request)` answers for a request carrying a session with `data`, and what it did to the
    session: the user (its class and every column, its state) or the exception raised; the session's data
    after; whether its key was cycled or emptied; whether the old row is still stored."""
    store = _session(data)
    old_key = store.session_key
    request = RequestFactory().get("/")
    request.session = store
    try:
        user = read(request)
    except Exception as exc:  # the same error both ways (a malformed id is Django's ValidationError)
        said: Any = ("raised", type(exc))
    else:
        columns = (
            {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}
            if isinstance(user, User)
            else None
        )
        state = (user._state.adding, user._state.db) if isinstance(user, User) else None
        said = (type(user), columns, state, user.is_authenticated)
    key = store.session_key
    return (
        said,
        dict(store.items()),
        "same" if key == old_key else "none" if key is None else "cycled",
        Session.objects.filter(session_key=old_key).exists(),
    )


def _both(data: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return _answer(authentication.get_user, data), _answer(auth.get_user, data)


@pytest.fixture
def no_orm_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-written read is the one taken: Django's ModelBackend read would fail the test."""

    def refuse(self: Any, user_id: Any) -> Any:
        raise AssertionError("the ORM read ran")

    monkeypatch.setattr(ModelBackend, "get_user", refuse)


def _keel_only(data: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    keel, django = _both(data)
    assert keel == django
    calls: list[Any] = []
    original = ModelBackend.get_user
    monkeypatch.setattr(ModelBackend, "get_user", lambda self, uid: calls.append(uid) or original(self, uid))
    _answer(authentication.get_user, data)
    assert calls == [], "the user was read by Django's ORM, not by the hand-written statement"
    return keel


def test_an_active_user_is_read_as_django_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user()
    keel = _keel_only(_signed(user), monkeypatch)
    assert keel[0][0] is User and keel[0][3] is True
    assert keel[2] == "same" and keel[3]


def test_the_read_is_one_statement_as_djangos_is() -> None:
    user = _user()
    store = _session(_signed(user))  # its data in memory: only the user is read below
    request = RequestFactory().get("/")
    request.session = store
    with CaptureQueriesContext(connection) as captured:
        authentication.get_user(request)
    assert len(captured) == 1
    assert '"accounts_user"' in captured[0]["sql"]


def test_an_inactive_user_is_not_signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user(is_active=False)
    keel = _keel_only(_signed(user), monkeypatch)
    assert keel[0][0] is auth.models.AnonymousUser
    assert keel[2] == "same"  # Django does not flush: no user to compare the hash with


def test_a_deleted_user_is_not_signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user()
    data = _signed(user)
    user.delete()
    keel = _keel_only(data, monkeypatch)
    assert keel[0][0] is auth.models.AnonymousUser


def test_a_password_changed_elsewhere_flushes_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user()
    data = _signed(user)
    user.set_password("another long password 2")
    user.save()
    keel = _keel_only(data, monkeypatch)
    assert keel[0][0] is auth.models.AnonymousUser
    assert keel[1] == {} and keel[2] == "none" and not keel[3]


@pytest.mark.parametrize("value", [_MISSING, "", None, "not the hash", "0" * 64, "\x00", "\x00" * 64])
def test_a_missing_or_wrong_hash_flushes_the_session(value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keel = _keel_only(_signed(_user(), hash=value), monkeypatch)
    assert keel[0][0] is auth.models.AnonymousUser
    assert keel[1] == {} and keel[2] == "none"


def test_a_hash_of_a_fallback_key_cycles_the_session_and_stores_the_current_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = _user()
    with override_settings(SECRET_KEY=OLD_KEY):
        data = _signed(user)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        keel = _keel_only(data, monkeypatch)
        current = user.get_session_auth_hash()
    assert keel[0][0] is User
    assert keel[1][HASH_SESSION_KEY] == current != data[HASH_SESSION_KEY]
    assert keel[2] == "cycled" and not keel[3]


def test_a_hash_of_a_key_no_longer_kept_flushes_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user()
    with override_settings(SECRET_KEY=OLD_KEY):
        data = _signed(user)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        keel = _keel_only(data, monkeypatch)
    assert keel[0][0] is auth.models.AnonymousUser and keel[2] == "none"


@pytest.mark.parametrize(
    "backend",
    [
        _MISSING,
        "",
        None,
        "django.contrib.auth.backends.RemoteUserBackend",  # a real backend Keel does not configure
        "keel.nonsense.Backend",
        MODEL + " ",
        MODEL.upper(),
        MODEL + "\x00",
    ],
)
def test_a_wrong_or_missing_backend_is_answered_as_django_answers_it(backend: Any) -> None:
    keel, django = _both(_signed(_user(), backend=backend))
    assert keel == django
    assert keel[0][0] is auth.models.AnonymousUser


def test_a_session_of_another_configured_backend_is_djangos_answer() -> None:
    assert AXES in django_settings.AUTHENTICATION_BACKENDS
    keel, django = _both(_signed(_user(), backend=AXES))
    assert keel == django
    # axes' standalone backend has no get_user: Django's get_user raises AttributeError for such a session
    # (Keel's sign-in never stores it: every login names ModelBackend); Django's answer either way.
    assert keel[0] == ("raised", AttributeError)


def test_the_model_backend_not_configured_signs_nobody_in() -> None:
    user = _user()
    with override_settings(AUTHENTICATION_BACKENDS=[AXES]):
        keel, django = _both(_signed(user))
    assert keel == django
    assert keel[0][0] is auth.models.AnonymousUser


def test_no_user_id_is_anonymous() -> None:
    keel, django = _both(_signed(_user(), user_id=_MISSING))
    assert keel == django
    assert keel[0][0] is auth.models.AnonymousUser


@pytest.mark.parametrize(
    "user_id",
    [
        "abc",
        "1.5",
        "",
        "0x10",
        "1e3",
        [1],
        {"id": 1},
        "7\x00",
        "\x00",
        "\x00" * 8,
    ],
)
def test_a_non_integer_id_is_answered_as_django_answers_it(user_id: Any) -> None:
    _user()
    keel, django = _both(_signed(_user("other"), user_id=user_id))
    assert keel == django
    assert keel[0][0] == "raised"  # Django's pk.to_python refuses it (ValidationError), both ways


@pytest.mark.parametrize(
    "user_id",
    [None, 0, -1, "999999999", 2**31, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64, str(10**30)],
)
def test_an_id_of_no_user_is_answered_as_django_answers_it(user_id: Any) -> None:
    _user()
    keel, django = _both(_signed(_user("other"), user_id=user_id))
    assert keel == django
    assert keel[0][0] is auth.models.AnonymousUser


@pytest.mark.parametrize("spelled", [" {id} ", "{id}\n", "+{id}", "0{id}", "{id}_0", "\uff10{id}"])
def test_an_id_spelled_another_way_is_answered_as_django_answers_it(spelled: str) -> None:
    """pk.to_python is int(): spaces, a sign, leading zeros and other digits convert, both ways."""
    user = _user()
    keel, django = _both(_signed(user, user_id=spelled.format(id=user.pk)))
    assert keel == django


def test_an_integer_id_in_the_session_is_read_as_django_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user()
    keel = _keel_only(_signed(user, user_id=user.pk), monkeypatch)
    assert keel[0][0] is User


def test_someone_elses_hash_is_not_their_session(monkeypatch: pytest.MonkeyPatch) -> None:
    mine, theirs = _user("mine"), _user("theirs")
    keel = _keel_only(_signed(mine, hash=theirs.get_session_auth_hash()), monkeypatch)
    assert keel[0][0] is auth.models.AnonymousUser and keel[2] == "none"


def test_the_middleware_is_keels_in_djangos_place() -> None:
    middleware = django_settings.MIDDLEWARE
    assert "django.contrib.auth.middleware.AuthenticationMiddleware" not in middleware
    ours = middleware.index("keel.accounts.authentication.AuthenticationMiddleware")
    assert middleware.index("django.contrib.sessions.middleware.SessionMiddleware") < ours
    assert ours < middleware.index("keel.accounts.middleware.OTPMiddleware")


def test_a_signed_in_page_gets_the_user_from_the_hand_written_read(world: World, no_orm_read: None) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.get("/dosing/")
    assert response.status_code == 200
    assert response.wsgi_request.user == world.staff["nurse"]


def test_a_session_signed_in_before_this_change_stays_signed_in(world: World) -> None:
    """The login backend is unchanged: a session Django's own middleware accepts is accepted, no sign-out."""
    nurse = sign_in(Client(), world.staff["nurse"])
    assert nurse.session[BACKEND_SESSION_KEY] == MODEL
    stock = [
        "django.contrib.auth.middleware.AuthenticationMiddleware"
        if m == "keel.accounts.authentication.AuthenticationMiddleware"
        else m
        for m in django_settings.MIDDLEWARE
    ]
    with override_settings(MIDDLEWARE=stock):
        django_client = Client()
        django_client.cookies = nurse.cookies
        response = django_client.get("/dosing/")
        assert response.status_code == 200
        assert response.wsgi_request.user == world.staff["nurse"]
    keel_client = Client()
    keel_client.cookies = nurse.cookies
    response = keel_client.get("/dosing/")
    assert response.status_code == 200
    assert response.wsgi_request.user == world.staff["nurse"]


def test_a_password_change_elsewhere_signs_the_page_out(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    user = world.staff["nurse"]
    user.set_password("a brand new long password 3")
    user.save()
    response = nurse.get("/dosing/")
    assert response.status_code == 302
    assert not response.wsgi_request.user.is_authenticated
