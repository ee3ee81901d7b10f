"""`keel.web.csrf.get_token` (the dosing row's form token, issue #21) is Django's `get_token`: the token
unmasks to the request's secret and passes Django's own checks against it, has Django's format, sets the
same flags on the request (and with no cookie yet is Django's own answer, which makes one), its masks are
fresh and spread evenly over the alphabet, and a form posted back with it passes the CSRF middleware. Run on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import time_machine
from django.middleware import csrf as django_csrf
from django.test import Client, RequestFactory

from keel.web import csrf
from tests.conftest import World, sign_in
from tests.treatment.test_dose_context_sql import HISTORIES, NOON, _order

pytestmark = pytest.mark.django_db
CHARS = django_csrf.CSRF_ALLOWED_CHARS


def _request(secret: str | None) -> object:
    request = RequestFactory().get("/")
    if secret is not None:
        request.META["CSRF_COOKIE"] = secret
    return request


@pytest.mark.parametrize("secret", ["a" * 32, "9" * 32, CHARS[:32], CHARS[30:], "zZ09" * 8, None])
def test_the_token_is_djangos(secret: str | None) -> None:
    secret = secret or django_csrf._get_new_csrf_string()
    ours, django = _request(secret), _request(secret)
    token = csrf.get_token(ours)  # type: ignore[arg-type]
    theirs = django_csrf.get_token(django)  # type: ignore[arg-type]
    assert len(token) == len(theirs) == django_csrf.CSRF_TOKEN_LENGTH
    django_csrf._check_token_format(token)  # raises when not Django's format
    assert set(token) <= set(CHARS)
    assert django_csrf._unmask_cipher_token(token) == secret
    assert django_csrf._does_token_match(token, secret)
    assert not django_csrf._does_token_match(token, "b" * 32 if secret != "b" * 32 else "c" * 32)
    flags = ("CSRF_COOKIE", "CSRF_COOKIE_NEEDS_UPDATE")
    assert [ours.META.get(f) for f in flags] == [django.META.get(f) for f in flags]  # type: ignore[attr-defined]
    assert token != csrf.get_token(ours)  # type: ignore[arg-type]  # a fresh mask each time


@pytest.mark.parametrize("cookie", [None, "", "short", "a" * 31, "a" * 33, "!" * 32, "é" * 32, "a" * 64])
def test_no_cookie_or_not_a_secret_is_djangos_own_answer(cookie: str | None) -> None:
    """Django's get_token answers these (no cookie: it makes one; anything else as Django does, an error
    included): the same outcome, the same flags."""
    ours, django = _request(cookie), _request(cookie)
    outcomes, tokens = [], []
    for request, get_token in ((ours, csrf.get_token), (django, django_csrf.get_token)):
        try:
            tokens.append(get_token(request))
            outcomes.append(("token", len(tokens[-1])))
        except Exception as exc:  # the same exception, whatever Django raises
            outcomes.append(("raised", type(exc)))
    assert outcomes[0] == outcomes[1]
    flags = ("CSRF_COOKIE_NEEDS_UPDATE",)
    assert [ours.META.get(f) for f in flags] == [django.META.get(f) for f in flags]  # type: ignore[attr-defined]
    if cookie is None:
        assert len(ours.META["CSRF_COOKIE"]) == 32  # type: ignore[attr-defined]  # Django made one
        assert django_csrf._unmask_cipher_token(tokens[0]) == ours.META["CSRF_COOKIE"]  # type: ignore[attr-defined]


def test_the_masks_are_uniform_over_the_alphabet() -> None:
    """2,000 masks: every position draws all 62 characters about equally (a chi-square far below what a
    bias of one character in 62 would give), no mask repeats, and the cipher half is as spread."""
    request = _request("q" * 32)
    tokens = [csrf.get_token(request) for _ in range(2000)]  # type: ignore[arg-type]
    assert len(set(tokens)) == len(tokens)
    for half in (slice(0, 32), slice(32, 64)):
        counts = Counter(c for t in tokens for c in t[half])
        assert set(counts) == set(CHARS)
        expected = 2000 * 32 / len(CHARS)
        chi2 = sum((counts[c] - expected) ** 2 / expected for c in CHARS)
        assert chi2 < 130, chi2  # 61 degrees of freedom: p < 1e-6 above ~125
    by_position = [Counter(t[i] for t in tokens) for i in range(32)]
    assert all(len(c) > 50 for c in by_position)


def test_the_swapped_rows_token_passes_the_csrf_middleware(world: World) -> None:
    """Without JavaScript the row's form posts its token: the next dose, posted with the token of the row
    the last one answered (and the cookie, no header), is accepted; a token of another secret is not."""
    HISTORIES["regular"](world)
    _order(world, "methadone")
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(enforce_csrf_checks=True), world.staff["nurse"])
        client.get("/dosing/")  # the CSRF cookie
        cookie = client.cookies["csrftoken"].value
        first = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "10", "sequence": "1", "medication": "methadone"},
            HTTP_HX_REQUEST="true",
            HTTP_X_CSRFTOKEN=cookie,
        )
        assert first.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.content.decode())
        assert token is not None
        assert django_csrf._unmask_cipher_token(token.group(1)) == client.cookies["csrftoken"].value
        forged = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "10", "sequence": "2", "medication": "methadone", "csrfmiddlewaretoken": "A" * 64},
        )
        assert forged.status_code == 403
        second = client.post(
            f"/dosing/{world.alice.pk}/",
            {
                "amount_mg": "10",
                "sequence": "2",
                "medication": "methadone",
                "csrfmiddlewaretoken": token.group(1),
            },
        )
        assert second.status_code == 302, second.status_code
