"""Review 22q: Django's CSRF refusal now keeps only the refused Origin/Referer's plain origin (review 22p),
but its neighbour in `django.security`, the refused Host header (`django.security.DisallowedHost`), is still
logged as the client typed it, quoted with `%r`: any text at all (a name, a diagnosis), in every log line of
that logger. `_one_path` finds no path in "Invalid HTTP_HOST header: '...'" and leaves it whole."""

from __future__ import annotations

import logging

import pytest
from django.test import Client


@pytest.mark.django_db
def test_a_refused_host_header_is_not_logged_as_typed(caplog: pytest.LogCaptureFixture) -> None:
    """Not a host name at all (spaces): like the CSRF refusal, only a plain host name could be kept."""
    host = "maria gonzalez hiv clinic"
    caplog.set_level(logging.WARNING, logger="django.security")
    response = Client().get("/accounts/login/", HTTP_HOST=host)
    assert response.status_code == 400
    refused = [r.getMessage() for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert refused, "Django logged no DisallowedHost line"
    leaked = [m for m in refused if "gonzalez" in m.lower()]
    assert not leaked, f"the Host header a client typed is in the log: {leaked}"
