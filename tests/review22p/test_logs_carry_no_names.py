"""Review 22p: log lines (`keel.web.logs`): no name or other typed text reaches one. Fails on the code as
reviewed."""

from __future__ import annotations

import logging

import pytest
from django.test import Client


def test_csrf_refusal_logs_no_name_from_the_referer(caplog: pytest.LogCaptureFixture) -> None:
    """Django's CSRF refusal on an HTTPS request quotes the Referer it refused ("Referer checking failed -
    <url> does not match any trusted origins."). The scrubbing drops a URL's query only up to the first
    space, so a Referer whose query holds a name with a space leaves the name's second word on the line."""
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        response = client.post(
            "/accounts/login/",
            {"username": "x", "password": "y"},
            secure=True,
            HTTP_REFERER="https://search.example/find?patient=Maria Gonzalez Quintanilla",
        )
    assert response.status_code == 403
    lines = [r.getMessage() for r in caplog.records]
    assert lines, "the refusal is logged"
    assert not any("Gonzalez" in line or "Quintanilla" in line for line in lines), lines
