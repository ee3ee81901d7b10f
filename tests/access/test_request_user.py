"""`keel.access.http.request_user`: the User behind `request.user`'s lazy wrappers (Django's session user,
django-otp's around it), the one the page's views hand to services (issue #21): the same person, with the
same state django-otp set on it, and signing out still answers the anonymous user. Run on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils.functional import LazyObject

from keel.access.http import request_user
from keel.accounts.models import User
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def test_the_user_behind_the_wrappers_is_the_signed_in_user(world: World) -> None:
    nurse = world.staff["nurse"]
    response = sign_in(Client(), nurse).get("/dosing/")
    assert response.status_code == 200
    request = response.wsgi_request
    assert isinstance(request.user, LazyObject)
    user = request_user(request)  # type: ignore[arg-type]
    assert type(user) is User
    assert user == request.user and user.pk == nurse.pk
    assert {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(request.user, f.attname) for f in User._meta.concrete_fields
    }
    assert user.is_verified() == request.user.is_verified()  # type: ignore[attr-defined]
    assert user.otp_device == request.user.otp_device  # type: ignore[attr-defined]
    assert request_user(request) is user  # type: ignore[arg-type]


def test_an_anonymous_request_answers_the_anonymous_user(world: World) -> None:
    response = Client().get("/dosing/")
    assert response.status_code == 302
    user = request_user(response.wsgi_request)  # type: ignore[arg-type]
    assert isinstance(user, AnonymousUser)


def test_a_plain_user_is_answered_as_it_is(world: World) -> None:
    class Request:
        user = world.staff["nurse"]

    assert request_user(Request()) is world.staff["nurse"]  # type: ignore[arg-type]
