"""Review 14b: the hand-written session user read (keel.accounts.authentication) attacked against Django's
own `django.contrib.auth.get_user`, and the instance built without Model.__init__ (keel.db.rows)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models.signals import post_save, pre_save
from django.test import Client, RequestFactory, override_settings

from keel.accounts import authentication
from tests.conftest import sign_in

MODEL = "django.contrib.auth.backends.ModelBackend"


def _request(data: dict[str, Any]) -> Any:
    store = SessionStore()
    for key, value in data.items():
        store[key] = value
    store.save()
    request = RequestFactory().get("/")
    request.session = SessionStore(store.session_key)
    return request


def _both(data: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """(keel's user, its session after, Django's user, its session after) for the same session data."""
    keel_req, django_req = _request(data), _request(data)
    keel_user = authentication.get_user(keel_req)
    django_user = auth.get_user(django_req)
    return keel_user, keel_req.session, django_user, django_req.session


def _session_of(user: Any) -> dict[str, Any]:
    return {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: MODEL,
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }


def _same(keel_user: Any, django_user: Any) -> None:
    assert type(keel_user) is type(django_user)
    assert keel_user.is_authenticated == django_user.is_authenticated
    if django_user.is_authenticated:
        k = {a: v for a, v in keel_user.__dict__.items() if a != "_state"}
        d = {a: v for a, v in django_user.__dict__.items() if a != "_state"}
        assert k == d
        assert keel_user._state.adding is False and keel_user._state.db == django_user._state.db


def test_valid_session_is_the_same_user(world: Any) -> None:
    nurse = world.user("nurse")
    k, _, d, _ = _both(_session_of(nurse))
    assert k.is_authenticated
    _same(k, d)
    assert k.role == "nurse"


def test_password_changed_elsewhere_signs_out(world: Any) -> None:
    nurse = world.user("nurse")
    data = _session_of(nurse)
    nurse.set_password("a whole new passphrase 123")
    nurse.save()
    k, ks, d, _ds = _both(data)
    assert not k.is_authenticated and not d.is_authenticated
    assert SESSION_KEY not in ks and ks.is_empty()


def test_deactivated_user_is_anonymous(world: Any) -> None:
    nurse = world.user("nurse")
    data = _session_of(nurse)
    type(nurse).objects.filter(pk=nurse.pk).update(is_active=False)
    k, _, d, _ = _both(data)
    assert not k.is_authenticated and not d.is_authenticated


@pytest.mark.parametrize("hash_value", ["", "0" * 64, None, "x"])
def test_tampered_hash_is_refused_and_flushed(world: Any, hash_value: Any) -> None:
    data = _session_of(world.user("nurse"))
    if hash_value is None:
        del data[HASH_SESSION_KEY]
    else:
        data[HASH_SESSION_KEY] = hash_value
    k, ks, d, _ds = _both(data)
    assert not k.is_authenticated and not d.is_authenticated
    assert SESSION_KEY not in ks


def test_user_id_swapped_in_session_is_refused(world: Any) -> None:
    data = _session_of(world.user("nurse"))
    data[SESSION_KEY] = str(world.user("program_admin").pk)
    k, ks, d, _ = _both(data)
    assert not k.is_authenticated and not d.is_authenticated
    assert SESSION_KEY not in ks


@pytest.mark.parametrize(
    "backend",
    ["django.contrib.auth.backends.RemoteUserBackend", "keel.nope.Backend", MODEL + " ", MODEL.upper()],
)
def test_backend_path_altered(world: Any, backend: str) -> None:
    data = _session_of(world.user("nurse"))
    data[BACKEND_SESSION_KEY] = backend
    k, _, d, _ = _both(data)
    assert not k.is_authenticated
    assert k.is_authenticated == d.is_authenticated


def test_deleted_user_and_reused_id(world: Any) -> None:
    nurse = world.user("nurse")
    data = _session_of(nurse)
    user_model = type(nurse)
    pk = nurse.pk
    user_model.objects.filter(pk=pk).delete()
    k, _, d, _ = _both(data)
    assert not k.is_authenticated and not d.is_authenticated
    # the id reused by another person (another salt): refused, as Django refuses it
    from django.contrib.auth.hashers import make_password

    user_model.objects.create(id=pk, username="reuser", role="nurse", password=make_password("x-Pass-9876!"))
    k, _, d, _ = _both(data)
    assert not k.is_authenticated and not d.is_authenticated


@pytest.mark.parametrize(
    "raw", ["99999999999999999999", str(2**63), str(-(2**63) - 1), "-1", "0", " 1 ", "1.0", 1.5, True, "+1"]
)
def test_odd_ids_answer_as_django(world: Any, raw: Any) -> None:
    data = _session_of(world.user("nurse"))
    data[SESSION_KEY] = raw
    outcomes = []
    for fn in (authentication.get_user, auth.get_user):
        try:
            outcomes.append(("user", fn(_request(data)).is_authenticated))
        except Exception as exc:
            outcomes.append(("error", type(exc).__name__))
    assert outcomes[0] == outcomes[1]


def test_nul_in_session_id_answers_as_django(world: Any) -> None:
    data = _session_of(world.user("nurse"))
    data[SESSION_KEY] = "1\x00"
    outcomes = []
    for fn in (authentication.get_user, auth.get_user):
        try:
            outcomes.append(("user", fn(_request(data)).is_authenticated))
        except Exception as exc:
            outcomes.append(("error", type(exc).__name__))
    assert outcomes[0] == outcomes[1]


def test_secret_key_fallback_accepted_and_cycled(world: Any, settings: Any) -> None:
    nurse = world.user("nurse")
    old = settings.SECRET_KEY
    data = _session_of(nurse)
    settings.SECRET_KEY = "a-brand-new-secret-key-for-rev14b-" + "x" * 30
    settings.SECRET_KEY_FALLBACKS = [old]
    keel_req = _request(data)
    before = keel_req.session.session_key
    user = authentication.get_user(keel_req)
    assert user.is_authenticated
    assert keel_req.session.session_key != before
    assert keel_req.session[HASH_SESSION_KEY] == user.get_session_auth_hash()
    # and with no fallback: refused
    settings.SECRET_KEY_FALLBACKS = []
    assert not authentication.get_user(_request(data)).is_authenticated


def test_request_user_behaves_as_a_model_instance(world: Any) -> None:
    nurse = world.user("nurse")
    client = sign_in(Client(), nurse)
    response = client.get("/")
    from django.utils.functional import SimpleLazyObject, empty

    user = response.wsgi_request.user
    while isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    assert type(user).__name__ == "User"
    assert user.is_authenticated and user.pk == nurse.pk
    assert user.role == "nurse"
    assert user.is_verified()  # django-otp's, after the second factor
    assert user.get_deferred_fields() == set()
    assert user._state.adding is False and user._state.db == "default"
    assert [p.slug for p in user.programs.all()] == ["riverside"]
    user.refresh_from_db()
    assert user.role == "nurse"
    seen: list[tuple[str, bool]] = []

    def on_pre(sender: Any, instance: Any, **kw: Any) -> None:
        seen.append(("pre", instance._state.adding))

    def on_post(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
        seen.append(("post", created))

    pre_save.connect(on_pre, sender=type(user))
    post_save.connect(on_post, sender=type(user))
    try:
        count = type(user).objects.count()
        user.first_name = "Renamed"
        user.save()
        assert type(user).objects.count() == count
        assert type(user).objects.get(pk=user.pk).first_name == "Renamed"
        assert seen == [("pre", False), ("post", False)]
    finally:
        pre_save.disconnect(on_pre, sender=type(user))
        post_save.disconnect(on_post, sender=type(user))
    assert user.get_session_auth_hash() == nurse.get_session_auth_hash()
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(user)).pk == user.pk
    assert copy.deepcopy(user) == user


def test_password_change_elsewhere_ends_a_live_client(world: Any) -> None:
    nurse = world.user("nurse")
    client = sign_in(Client(), nurse)
    assert client.get("/").wsgi_request.user.is_authenticated
    nurse.set_password("changed elsewhere passphrase 42")
    nurse.save()
    response = client.get("/")
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/api/v1/caseload").status_code in (401, 403)


def test_deactivation_ends_a_live_api_session(world: Any) -> None:
    nurse = world.user("nurse")
    client = sign_in(Client(), nurse)
    assert client.get("/api/v1/caseload").status_code == 200
    type(nurse).objects.filter(pk=nurse.pk).update(is_active=False)
    assert client.get("/api/v1/caseload").status_code in (401, 403)


def test_last_login_updated_at_sign_in(world: Any) -> None:
    nurse = world.user("nurse")
    type(nurse).objects.filter(pk=nurse.pk).update(last_login=None)
    sign_in(Client(), nurse)
    assert type(nurse).objects.get(pk=nurse.pk).last_login is not None


@override_settings(AUTHENTICATION_BACKENDS=["axes.backends.AxesStandaloneBackend", MODEL])
def test_with_axes_backend_first_same_answer(world: Any) -> None:
    k, _, d, _ = _both(_session_of(world.user("nurse")))
    _same(k, d)
