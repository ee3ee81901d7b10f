"""Fix 20c, hole 1: every logger of Django and the server that writes a path keeps only its shape
(`keel.web.logs.configure_logging`), whatever the logger, the handler or the way the path got there."""

from __future__ import annotations

import logging

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils.log import log_response

from tests.review20b.conftest import World

SECRET = "k3yAbCdEf9876543210xyz"
INVITE = f"/accounts/invitation/{SECRET}/"


def _said(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def test_a_csrf_refusal_on_an_invitation_logs_no_secret(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    Client(enforce_csrf_checks=True).post(INVITE, {"password": "x" * 14})
    assert SECRET not in _said(caplog)


def test_a_csrf_refusal_still_logs_the_paths_shape(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    Client(enforce_csrf_checks=True).post(INVITE, {"password": "x" * 14})
    assert "/accounts/invitation/*/" in _said(caplog)


def test_a_500_on_django_request_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    request = RequestFactory().get(INVITE)
    log_response(
        "%s: %s", "Internal Server Error", request.path, response=HttpResponse(status=500), request=request
    )
    assert SECRET not in _said(caplog)


def test_a_500_on_django_request_keeps_its_words(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    request = RequestFactory().get(INVITE)
    log_response(
        "%s: %s", "Internal Server Error", request.path, response=HttpResponse(status=500), request=request
    )
    assert "Internal Server Error: /accounts/invitation/*/" in _said(caplog)


def test_runservers_request_line_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("django.server").info('"%s" %s %s', f"POST {INVITE} HTTP/1.1", 403, 10)
    assert SECRET not in _said(caplog)


def test_a_query_string_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("django.request").warning(
        "Not Found: %s", "/accounts/login/?next=/patients/Quintanilla/"
    )
    assert "Quintanilla" not in _said(caplog)


def test_a_referer_in_a_csrf_reason_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    reason = f"Referer checking failed - https://evil.example{INVITE} does not match any trusted origins."
    logging.getLogger("django.security.csrf").warning("Forbidden (%s): %s", reason, "/accounts/login/")
    assert SECRET not in _said(caplog)


def test_a_referers_origin_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    """The refused Referer's scheme, its host's shape and its path's shape are kept. Review 22s: a host the
    deployment does not name keeps only its shape, each label `*` ("evil.example" could as well be
    "hiv-positive.example"); a host it names is kept (tests/review22s/test_keeps.py)."""
    caplog.set_level(logging.INFO)
    reason = f"Referer checking failed - https://evil.example{INVITE} does not match any trusted origins."
    logging.getLogger("django.security.csrf").warning("Forbidden (%s): %s", reason, "/accounts/login/")
    assert "https://*.*/accounts/invitation/*/" in _said(caplog)


def test_any_child_of_django_security_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("django.security.SuspiciousOperation").error("Attempted access to %s denied.", INVITE)
    assert SECRET not in _said(caplog)


def test_gunicorns_access_log_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    atoms = {"r": f"GET {INVITE} HTTP/1.1", "s": "200", "U": INVITE, "q": "token=abc"}
    logging.getLogger("gunicorn.access").info('"%(r)s" %(s)s %(U)s %(q)s', atoms)
    assert SECRET not in _said(caplog)


def test_typed_text_percent_encoded_in_a_path_is_hidden(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("django.request").warning("Not Found: %s", "/patients/5/instruments/Quintanilla%20HIV/")
    assert "Quintanilla" not in _said(caplog)


def test_keels_own_loggers_are_left_as_written(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("keel.jobs").info("ran %s", "a/b/c")
    assert "ran a/b/c" in _said(caplog)


def test_settings_install_the_scrubber() -> None:
    from django.conf import settings

    assert settings.LOGGING_CONFIG == "keel.web.logs.configure_logging"
