"""Structured logs (issue #19): one JSON object per line, the request id the proxy sent (or a new one), and no
health information: a path with ids only, never its query string, never a secret from a link."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from django.test import Client

from keel.web.logs import JsonFormatter, safe_path
from keel.web.middleware import RequestIdLogFilter
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """What the console handler writes for `keel.request`, formatted as in production."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("keel.request")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_request_line_has_the_fixed_shape(world: World, request_log: io.StringIO) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    request_log.seek(0)
    request_log.truncate()
    nurse.get(f"/patients/{world.alice.pk}/?q={world.alice.family_name}")
    (line,) = _lines(request_log)
    assert set(line) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "path",
        "route",
        "status",
        "duration_ms",
    }


def test_a_request_line_keeps_the_path_of_ids(world: World, request_log: io.StringIO) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    request_log.seek(0)
    request_log.truncate()
    nurse.get(f"/patients/{world.alice.pk}/?q={world.alice.family_name}")
    (line,) = _lines(request_log)
    assert line["path"] == f"/patients/{world.alice.pk}/"


def test_a_request_line_never_carries_the_query_string(world: World, request_log: io.StringIO) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    request_log.seek(0)
    request_log.truncate()
    nurse.get(f"/patients/{world.alice.pk}/?q={world.alice.family_name}")
    text = request_log.getvalue()
    assert world.alice.family_name not in text
    assert "?" not in text


def test_a_request_line_names_the_request_id_the_response_echoes(
    world: World, request_log: io.StringIO
) -> None:
    response = Client().get("/healthz")
    (line,) = _lines(request_log)
    assert line["request_id"] == response["X-Request-ID"]


def test_the_proxys_request_id_is_kept(request_log: io.StringIO) -> None:
    response = Client().get("/healthz", headers={"X-Request-ID": "caddy-0123456789abcdef"})
    assert response["X-Request-ID"] == "caddy-0123456789abcdef"


def test_the_proxys_request_id_is_the_logs_too(request_log: io.StringIO) -> None:
    Client().get("/healthz", headers={"X-Request-ID": "caddy-0123456789abcdef"})
    (line,) = _lines(request_log)
    assert line["request_id"] == "caddy-0123456789abcdef"


@pytest.mark.parametrize("given", ['x"}\n{"level":"CRITICAL', "short", "a" * 65, "name with spaces"])
def test_a_malformed_request_id_is_replaced(given: str, request_log: io.StringIO) -> None:
    response = Client().get("/healthz", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 16


def test_each_request_line_is_one_json_object(request_log: io.StringIO) -> None:
    Client().get("/healthz", headers={"X-Request-ID": 'x"}\n{"level":"CRITICAL'})
    assert len(request_log.getvalue().splitlines()) == 1


def test_a_stop_links_token_is_not_logged(request_log: io.StringIO) -> None:
    token = "IwehPMrPtq1YCqyf8DVsxY-Q9GGleLB6"
    Client().get(f"/reminders/stop/{token}/")
    (line,) = _lines(request_log)
    assert token not in json.dumps(line)


def test_safe_path_keeps_ids_and_words() -> None:
    assert safe_path("/api/v1/patients/42/assessments/") == "/api/v1/patients/42/assessments/"


def test_safe_path_hides_an_invitation_secret() -> None:
    assert safe_path("/accounts/invitation/9-DQ_0TcMXcPRjpIZcVlB9kHJjcZULI5T0mj_RQkOb8/") == (
        "/accounts/invitation/*/"
    )


def test_an_exception_is_logged_without_its_message(world: World) -> None:
    record = logging.LogRecord("keel.jobs", logging.ERROR, __file__, 1, "Job failed", (), None)
    try:
        raise ValueError(world.alice.family_name)
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert world.alice.family_name not in json.dumps(line)


def test_an_exception_is_logged_with_its_type(world: World) -> None:
    record = logging.LogRecord("keel.jobs", logging.ERROR, __file__, 1, "Job failed", (), None)
    try:
        raise ValueError(world.alice.family_name)
    except ValueError:
        record.exc_info = sys.exc_info()
    assert "builtins.ValueError" in json.loads(JsonFormatter().format(record))["exception"]
