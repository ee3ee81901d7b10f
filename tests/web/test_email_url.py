"""KEEL_EMAIL_URL (issue #18): one setting gives Django's SMTP backend its host, port, login, TLS, sender."""

from __future__ import annotations

import pytest

from keel.env import ConfigError, parse_email_url


def test_starttls_with_a_login_and_a_sender() -> None:
    got = parse_email_url("smtp+tls://keel%40clinic:p%40ss@mail.example.org:587?from=keel@clinic.example")
    assert got == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "keel@clinic",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "DEFAULT_FROM_EMAIL": "keel@clinic.example",
        "EMAIL_TIMEOUT": 20,
    }


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [
        ("smtp://mail.example.org", 25, False, False),
        ("smtp://mail.example.org?tls=1", 587, True, False),
        ("smtps://mail.example.org", 465, False, True),
        ("smtp://127.0.0.1:2525", 2525, False, False),
    ],
)
def test_default_ports_and_security(url: str, port: int, tls: bool, ssl: bool) -> None:
    got = parse_email_url(url)
    assert (got["EMAIL_PORT"], got["EMAIL_USE_TLS"], got["EMAIL_USE_SSL"]) == (port, tls, ssl)


def test_console_prints_messages() -> None:
    assert parse_email_url("console://")["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.org", "unsupported scheme"),
        ("smtp://", "needs a host"),
        ("smtp://mail.example.org:99999", "port"),
        ("smtp://mail.example.org?from=nobody", "from="),
    ],
)
def test_a_bad_url_is_named(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_EMAIL_URL") as caught:
        parse_email_url(url)
    assert message in str(caught.value)
