"""The CSRF token a form carries, masked as Django's `get_token` masks it, in a few calls (issue #21).

Django masks the request's secret afresh for every form (BREACH): a mask of 32 characters drawn uniformly
from its 62 (`secrets.choice`, one call chain per character) and the secret added to it character by
character. On the dosing page's dose that was ~490 of the request's ~8,000 Python calls. `get_token` here
is the same function: the same side effects on `request.META` (the cookie flagged for renewal; no cookie
yet: Django's own `get_token` makes one), the same token (mask + cipher, 64 characters of the same
alphabet, which Django's `_unmask_cipher_token` turns back into the secret), the mask drawn uniformly from
the operating system's CSPRNG (`os.urandom`, what `secrets` reads): each byte below 248 (4 x 62) is one
character, `b % 62`, and the bytes 248-255 are dropped (rejection sampling: every character 4 of the 248
values, none favoured). A secret that is not 32 characters of the alphabet goes to Django's `get_token`.
tests/web/test_csrf_token.py holds it to Django's (the unmasked secret, Django's own check of the token
against the cookie, the format, the side effects, the spread of the masks, a form posted back through the
CSRF middleware)."""

from __future__ import annotations

import os

from django.http import HttpRequest
from django.middleware import csrf

_CHARS = csrf.CSRF_ALLOWED_CHARS
_SECRET = csrf.CSRF_SECRET_LENGTH
_ALPHABET = frozenset(_CHARS)
_KEEP = len(_CHARS) * (256 // len(_CHARS))  # 248: the bytes below it map evenly onto the alphabet
_BYTE_TO_CHAR = bytes.maketrans(bytes(range(_KEEP)), (_CHARS * (256 // len(_CHARS))).encode())
_DROP = bytes(range(_KEEP, 256))
# (secret character, mask character) -> the cipher character: chars[(index + index) % 62], Django's sum.
_ADD = {(a, b): _CHARS[(i + j) % len(_CHARS)] for i, a in enumerate(_CHARS) for j, b in enumerate(_CHARS)}


def _mask() -> str:
    """32 characters of the alphabet, each uniform and independent, from os.urandom."""
    drawn = ""
    while len(drawn) < _SECRET:
        drawn += os.urandom(_SECRET + 16).translate(_BYTE_TO_CHAR, _DROP).decode("ascii")
    return drawn[:_SECRET]


def get_token(request: HttpRequest) -> str:
    """`django.middleware.csrf.get_token(request)`: the request's secret, masked afresh."""
    secret = request.META.get("CSRF_COOKIE")
    if not isinstance(secret, str) or len(secret) != _SECRET or not _ALPHABET.issuperset(secret):
        return csrf.get_token(request)  # no cookie yet (Django makes one), or not a secret of the alphabet
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie is renewed
    mask = _mask()
    return mask + "".join(map(_ADD.__getitem__, zip(secret, mask, strict=True)))
