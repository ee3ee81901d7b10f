"""Django's `django.security.*` lines keep no text a client typed (review 22q hole 4): the refused Host
header, whatever its shape, and every other SuspiciousOperation message of Django 5.2 that quotes one."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

NAME = "gonzalez"


def _refused_host_lines(caplog: pytest.LogCaptureFixture, host: str) -> list[str]:
    caplog.set_level(logging.WARNING, logger="django.security")
    response = Client().get("/accounts/login/", HTTP_HOST=host)
    assert response.status_code == 400
    return [r.getMessage() for r in caplog.records if r.name == "django.security.DisallowedHost"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "host",
    [
        "maria-gonzalez.example",  # shaped like a host name: typed text all the same
        "maria-gonzalez.example:8443",
        "[2001:db8::1]:80'gonzalez",
        'o\'gonzalez "hiv" clinic',  # quotes of both kinds: repr picks the other
        "gonzalez\\",
    ],
)
def test_a_refused_host_is_never_logged(caplog: pytest.LogCaptureFixture, host: str) -> None:
    lines = _refused_host_lines(caplog, host)
    assert lines, "Django logged no DisallowedHost line"
    assert not [line for line in lines if NAME in line.lower()], lines


@pytest.mark.django_db
def test_the_refusal_keeps_djangos_own_words(caplog: pytest.LogCaptureFixture) -> None:
    assert _refused_host_lines(caplog, "maria-gonzalez.example") == [
        "Invalid HTTP_HOST header: '*'. You may need to add '*' to ALLOWED_HOSTS."
    ]


# What Django 5.2 raises (and logs as `django.security.<class>`) quoting what it was given.
DJANGO_MESSAGES = {
    "DisallowedRedirect": "Unsafe redirect to URL with protocol 'gonzalez'",
    "SuspiciousFileOperation": "Detected path traversal attempt in '../maria gonzalez'",
    "SuspiciousFileOperation ": "File name 'maria/gonzalez.pdf' includes path elements",
    " SuspiciousFileOperation": "Could not derive file name from 'gonzalez/..'",
    "SuspiciousFileOperation  ": (
        "The joined path (/srv/maria gonzalez) is located outside of the base path component (/srv/keel)"
    ),
    "  SuspiciousFileOperation": (
        'Storage can not find an available filename for "gonzalez.pdf". Please make sure that the '
        'corresponding file field allows sufficient "max_length".'
    ),
    "SuspiciousOperation": "Archive contains invalid path: '../gonzalez'",
    "SuspiciousOperation ": "something new from Django: 'maria gonzalez' and more",
}


@pytest.mark.parametrize("logger", DJANGO_MESSAGES)
def test_no_security_line_quotes_the_client(caplog: pytest.LogCaptureFixture, logger: str) -> None:
    name = f"django.security.{logger.strip()}"
    caplog.set_level(logging.WARNING, logger=name)
    logging.getLogger(name).error(DJANGO_MESSAGES[logger])
    lines = [r.getMessage() for r in caplog.records if r.name == name]
    assert lines and not [line for line in lines if NAME in line.lower()], lines


def test_djangos_fixed_words_are_kept(caplog: pytest.LogCaptureFixture) -> None:
    name = "django.security.RequestDataTooBig"
    caplog.set_level(logging.WARNING, logger=name)
    logging.getLogger(name).error("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    logging.getLogger("django.security.SessionInterrupted").error(
        "The request's session was deleted before the request completed."
    )
    assert [r.getMessage() for r in caplog.records] == [
        "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.",
        "The request's session was deleted before the request completed.",
    ]
