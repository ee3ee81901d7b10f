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


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("smtp://mail.example.org?tls=ture", "tls="),
        ("smtp://mail.example.org?form=keel@clinic.example", "unknown option form"),
        ("smtp://mail.example.org?tls=1&tls=0", "more than once"),
        ("smtps://mail.example.org?tls=1", "tls="),
        ("smtp+tls://mail.example.org?tls=0", "tls="),
        ("console://?tls=1", "unknown option tls"),
    ],
)
def test_a_bad_option_is_named(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_EMAIL_URL") as caught:
        parse_email_url(url)
    assert message in str(caught.value)


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_tls_reads_every_true_spelling(value: str) -> None:
    assert parse_email_url(f"smtp://mail.example.org?tls={value}")["EMAIL_USE_TLS"] is True


def test_production_refuses_a_password_over_plain_smtp() -> None:
    with pytest.raises(ConfigError, match="KEEL_EMAIL_URL"):
        parse_email_url("smtp://keel:pw@mail.example.org:25?from=keel@clinic.example", production=True)


@pytest.mark.parametrize(
    "url",
    [
        "smtp://keel:pw@relay.internal:25?tls=0&from=keel@clinic.example",
        "smtp://keel:pw@mail.example.org:587?tls=1&from=keel@clinic.example",
        "smtp+tls://keel:pw@mail.example.org:587?from=keel@clinic.example",
        "smtps://keel:pw@mail.example.org?from=keel@clinic.example",
        "smtp://127.0.0.1:2525?from=keel@clinic.example",
    ],
)
def test_production_takes_tls_no_password_or_plain_smtp_said_outright(url: str) -> None:
    assert parse_email_url(url, production=True)["EMAIL_BACKEND"].endswith("smtp.EmailBackend")


def test_development_sends_a_password_over_plain_smtp() -> None:
    assert parse_email_url("smtp://keel:pw@mail.example.org:25")["EMAIL_HOST_PASSWORD"] == "pw"
