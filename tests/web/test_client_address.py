"""The client's address behind the trusted proxy (review 21p): one function, read by the lockout, the audit
trail and the per-client limits; a forwarded address believed only from a trusted proxy."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, RequestFactory, override_settings

from keel.audit.models import AuditEvent
from keel.web.client_address import client_ip
from tests.conftest import World, sign_in

factory = RequestFactory()


def _ip(remote: str, forwarded: str | None = None) -> str:
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_ip(factory.get("/healthz", REMOTE_ADDR=remote, **extra))


def test_without_a_proxy_the_address_is_the_connections() -> None:
    assert _ip("198.51.100.4") == "198.51.100.4"


def test_from_the_trusted_proxy_the_forwarded_address_is_the_clients() -> None:
    assert _ip("127.0.0.1", "203.0.113.66") == "203.0.113.66"


def test_from_anyone_else_a_forwarded_address_is_ignored() -> None:
    assert _ip("198.51.100.4", "203.0.113.66") == "198.51.100.4"


def test_the_right_most_address_not_a_trusted_proxy_is_taken() -> None:
    assert _ip("127.0.0.1", "10.9.9.9, 203.0.113.66, 127.0.0.1") == "203.0.113.66"


def test_a_malformed_entry_names_no_address() -> None:
    assert _ip("127.0.0.1", "203.0.113.66, not-an-address") == "127.0.0.1"


def test_an_ipv6_client_is_written_in_its_short_form() -> None:
    assert _ip("::1", "2001:DB8:0:0:0:0:0:1") == "2001:db8::1"


def test_only_loopback_forwarded_means_the_proxy_itself() -> None:
    assert _ip("127.0.0.1", "127.0.0.1") == "127.0.0.1"


@override_settings(KEEL_TRUSTED_PROXIES=["192.0.2.10"])
def test_the_trusted_proxies_are_a_setting() -> None:
    assert _ip("127.0.0.1", "203.0.113.66") == "127.0.0.1"


def test_the_audit_row_names_the_client_behind_the_proxy(world: World) -> None:
    client = sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.7"), world.staff["nurse"])
    client.get(f"/api/v1/patients/{world.alice.pk}")
    assert AuditEvent.objects.latest("id").ip_address == "192.0.2.7"


def test_a_spoofed_forwarded_address_reaches_no_audit_row(world: World) -> None:
    spoofing = Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="192.0.2.7")
    client = sign_in(spoofing, world.staff["nurse"])
    client.get(f"/api/v1/patients/{world.alice.pk}")
    assert AuditEvent.objects.latest("id").ip_address == "198.51.100.9"


def test_the_lockout_counts_per_forwarded_client(world: World) -> None:
    nurse = world.staff["nurse"]
    for _ in range(5):
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66").post(
            "/accounts/login/", {"username": nurse.username, "password": "wrong password 1"}
        )
    again = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66").post(
        "/accounts/login/", {"username": nurse.username, "password": "wrong password 1"}
    )
    assert again.status_code == 429


# gunicorn's refusals of a malformed request quote what the client sent.


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def gunicorn_lines() -> object:
    log, lines = logging.getLogger("gunicorn.error"), _Lines()
    log.addHandler(lines)
    yield lines
    log.removeHandler(lines)


def test_gunicorns_quoted_request_text_is_hidden(gunicorn_lines: _Lines) -> None:
    logging.getLogger("gunicorn.error").warning("Invalid HTTP Header: %r", "X-Name: Maria Gonzalez")
    assert gunicorn_lines.lines == ["Invalid HTTP Header: '*'"]


def test_gunicorns_quoted_request_line_keeps_its_shape(gunicorn_lines: _Lines) -> None:
    logging.getLogger("gunicorn.error").warning('"GET /fhir/R4/Patient/Gonzalez?name=Maria HTTP/1.1"')
    assert gunicorn_lines.lines == ['"GET /fhir/R4/Patient/* HTTP/1.1"']


def test_gunicorns_own_words_are_kept(gunicorn_lines: _Lines) -> None:
    logging.getLogger("gunicorn.error").warning("Worker (pid:%s) was sent SIGTERM!", 4242)
    assert gunicorn_lines.lines == ["Worker (pid:4242) was sent SIGTERM!"]


def test_gunicorns_own_apostrophe_opens_no_quote(gunicorn_lines: _Lines) -> None:
    """Review 21y: only a quote after a space opens what the client sent; gunicorn's own words stay."""
    logging.getLogger("gunicorn.error").warning("Can't connect to %s", "127.0.0.1:8000")
    assert gunicorn_lines.lines == ["Can't connect to 127.0.0.1:8000"]


def test_gunicorns_refusal_keeps_nothing_after_its_first_quote(gunicorn_lines: _Lines) -> None:
    logging.getLogger("gunicorn.error").warning("Invalid HTTP Header: 'X-Name: O'Brien' and 'Maria'")
    assert gunicorn_lines.lines == ["Invalid HTTP Header: '*'"]


# Django's CSRF refusal names the Origin or Referer it refused (review 22p).


def _csrf_lines(caplog: pytest.LogCaptureFixture, **headers: str) -> list[str]:
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        client.post("/accounts/login/", {"username": "x", "password": "y"}, secure=True, **headers)
    return [r.getMessage() for r in caplog.records if r.name == "django.security.csrf"]


def test_a_refused_origin_with_typed_text_is_hidden(caplog: pytest.LogCaptureFixture) -> None:
    lines = _csrf_lines(caplog, HTTP_ORIGIN="Maria Gonzalez Quintanilla")
    assert not any("Gonzalez" in line for line in lines), lines


def test_a_refused_referer_keeps_its_origin_and_its_paths_shape(caplog: pytest.LogCaptureFixture) -> None:
    lines = _csrf_lines(caplog, HTTP_REFERER="https://search.example/find me/12?patient=Maria Gonzalez")
    # Review 22s: a host the deployment does not name keeps only its shape.
    refused = "Referer checking failed - https://*.*/*/12 does not match any trusted origins."
    assert lines == [f"Forbidden ({refused}): /accounts/login/"]


def test_a_referer_with_a_name_in_its_user_part_is_hidden(caplog: pytest.LogCaptureFixture) -> None:
    lines = _csrf_lines(caplog, HTTP_REFERER="https://maria.gonzalez@search.example/")
    assert not any("gonzalez" in line for line in lines), lines


# One normal form for every address (review 22q hole 5): what the audit chain seals is what the database
# gives back.


@pytest.mark.parametrize(
    ("remote", "normal"),
    [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),  # long form, capitals, no proxy
        ("fe80::1%eth0", "fe80::1"),  # a link-local peer's zone id
        ("FE80::A%25", "fe80::a"),
        ("::ffff:192.0.2.1", "192.0.2.1"),  # IPv4-mapped
        ("::192.0.2.1", "192.0.2.1"),  # IPv4-compatible: PostgreSQL writes it back dotted
        (" 198.51.100.4 ", "198.51.100.4"),
        ("::1", "::1"),
    ],
)
def test_the_connections_address_is_written_in_its_normal_form(remote: str, normal: str) -> None:
    assert _ip(remote) == normal


def test_a_forwarded_zone_id_is_dropped() -> None:
    assert _ip("127.0.0.1", "fe80::2%en0") == "fe80::2"


def test_a_connection_with_no_address_names_none() -> None:
    assert _ip("not an address") == ""
    assert _ip("unix:/run/keel.sock", "203.0.113.66") == ""


def test_a_trusted_proxy_with_a_zone_id_is_still_trusted() -> None:
    with override_settings(KEEL_TRUSTED_PROXIES=["fe80::10"]):
        assert _ip("fe80::10%eth0", "203.0.113.66") == "203.0.113.66"
