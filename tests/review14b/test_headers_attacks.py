"""Review 14b: every answer still carries every security header after the /healthz trim (#21), and the
request log line carries the request id and nothing else about the request."""

from __future__ import annotations

import json
import logging
from typing import Any
from unittest import mock

import pytest
from django.test import Client, override_settings

from tests.conftest import sign_in

CSP = "Content-Security-Policy"


def _assert_headers(response: Any, *, private: bool = True, csp: bool = True) -> None:
    h = response.headers
    assert h.get("X-Frame-Options") == "DENY", (response.status_code, dict(h))
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("Referrer-Policy") == "same-origin"
    assert h.get("Cross-Origin-Opener-Policy") == "same-origin"
    assert h.get("X-Request-ID")
    if csp:
        assert "frame-ancestors 'none'" in h.get(CSP, ""), dict(h)
        assert "default-src 'self'" in h.get(CSP, "")
    if private:
        assert "no-store" in h.get("Cache-Control", ""), dict(h)


@pytest.fixture
def nurse(world: Any) -> Client:
    return sign_in(Client(), world.user("nurse"))


def test_healthz(client: Client, db: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    _assert_headers(r)


def test_healthz_twice_and_head(client: Client, db: Any) -> None:
    for _ in range(3):
        _assert_headers(client.get("/healthz"))
    _assert_headers(client.head("/healthz"))


def test_page_api_404_405(nurse: Client) -> None:
    _assert_headers(nurse.get("/patients/"))
    _assert_headers(nurse.get("/patients/", HTTP_HX_REQUEST="true"))
    _assert_headers(nurse.get("/api/v1/caseload"))
    _assert_headers(nurse.get("/no/such/page/"))
    _assert_headers(nurse.get("/api/v1/no-such"))
    r = nurse.post("/healthz")
    assert r.status_code == 405
    _assert_headers(r)
    r = nurse.delete("/patients/")
    assert r.status_code == 405
    _assert_headers(r)


def test_403_and_redirect(world: Any) -> None:
    anon = Client()
    r = anon.get("/patients/")
    assert r.status_code in (302, 303)
    _assert_headers(r)
    patient = sign_in(Client(), world.user("patient"))
    r = patient.get("/audit/")
    assert r.status_code in (403, 404)
    _assert_headers(r)
    r = patient.get(f"/api/v1/patients/{world.bob.pk}/timeline")
    assert r.status_code in (403, 404)
    _assert_headers(r)


def test_500_page_and_api(nurse: Client) -> None:
    nurse.raise_request_exception = False
    with mock.patch("keel.careteam.queries.caseload", side_effect=RuntimeError("boom")):
        r = nurse.get("/patients/")
        assert r.status_code == 500
        _assert_headers(r)
        assert b"boom" not in r.content
        r = nurse.get("/api/v1/caseload")
        assert r.status_code == 500
        _assert_headers(r)
        assert b"boom" not in r.content


def test_nul_refused_with_headers(nurse: Client) -> None:
    r = nurse.get("/patients/?status=cur%00rent")
    assert r.status_code == 422
    _assert_headers(r)
    r = nurse.get("/api/v1/caseload?status=%00")
    assert r.status_code == 422
    _assert_headers(r)
    r = nurse.post("/api/v1/patients", data='{"given_name": "a\\u0000b"}', content_type="application/json")
    assert r.status_code == 422
    _assert_headers(r)
    r = Client().get("/healthz?x=%00")
    assert r.status_code == 422
    _assert_headers(r)


def test_static_file_headers(client: Client, db: Any) -> None:
    r = client.get("/static/keel/keel.css")
    if r.status_code == 404:
        pytest.skip("static files not collected in this checkout")
    h = r.headers
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("Referrer-Policy") == "same-origin"
    assert h.get("Cross-Origin-Opener-Policy") == "same-origin"


def test_report_only_policy_and_enforced_both_present(nurse: Client) -> None:
    from django.conf import settings

    enforced = settings.CONTENT_SECURITY_POLICY
    report_only = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report"}}
    _assert_headers(nurse.get("/healthz"))  # warm the cache with the enforced policy
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        for path in ("/healthz", "/patients/"):
            r = nurse.get(path)
            _assert_headers(r)
            assert "Content-Security-Policy-Report-Only" in r.headers
    changed = {"DIRECTIVES": {**enforced["DIRECTIVES"], "img-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=changed):
        r = nurse.get("/healthz")
        assert "img-src 'none'" in r.headers[CSP]
    r = nurse.get("/healthz")
    assert "img-src 'self' data:" in r.headers[CSP]
    assert "Content-Security-Policy-Report-Only" not in r.headers


def test_csp_nonce_when_a_page_asks(nurse: Client) -> None:
    """A nonce directive in the policy: a page that renders {{ request.csp_nonce }} gets it in the header."""
    from csp.constants import NONCE
    from django.conf import settings
    from django.test import RequestFactory

    from keel.web.middleware import CachedCSPMiddleware

    policy = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "script-src": ["'self'", NONCE]}
    }
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        from django.http import HttpResponse

        def view(request: Any) -> HttpResponse:
            return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

        mw = CachedCSPMiddleware(view)
        # a request without a nonce first (the cache filled), then one that uses it
        plain_req = RequestFactory().get("/x")
        mw.process_request(plain_req)
        plain = mw.process_response(plain_req, HttpResponse("no script"))
        assert "nonce-" not in plain[CSP]
        req = RequestFactory().get("/y")
        mw.process_request(req)
        resp = mw.process_response(req, view(req))
        nonce = str(req._csp_nonce)
        assert f"'nonce-{nonce}'" in resp[CSP]
        with pytest.raises(Exception):
            str(plain_req.csp_nonce)


@override_settings(
    SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
def test_hsts_on_secure_answers(nurse: Client) -> None:
    for path in ("/healthz", "/patients/", "/api/v1/caseload", "/nope/"):
        r = nurse.get(path, secure=True)
        assert r.headers.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
        _assert_headers(r)


def _log_lines(client: Client, *args: Any, **kw: Any) -> tuple[Any, list[dict[str, Any]]]:
    import io

    from keel.web.logs import JsonFormatter
    from keel.web.middleware import RequestIdLogFilter

    logger = logging.getLogger("keel.request")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(JsonFormatter())
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = client.get(*args, **kw)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return response, [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_log_has_id_and_no_query(nurse: Client, world: Any) -> None:
    r, lines = _log_lines(
        nurse, "/patients/?status=discharged&q=Zamorano", HTTP_X_REQUEST_ID="rev14b-req-000001"
    )
    assert lines, "no request line"
    data = lines[-1]
    line = json.dumps(data)
    assert r.headers["X-Request-ID"] == "rev14b-req-000001"
    assert data["request_id"] == "rev14b-req-000001", line
    assert "Zamorano" not in line and "discharged" not in line and "status=" not in line
    assert data["path"] == "/patients/" and data["status"] == 200 and data["method"] == "GET"
    allowed = {
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
    assert set(data) <= allowed
    # /healthz: a fresh id per request, echoed, and in the line
    r, lines = _log_lines(Client(), "/healthz")
    assert lines[-1]["request_id"] == r.headers["X-Request-ID"] != "-"
    # a patient's page by id: the id is a record number, never a name
    r, lines = _log_lines(nurse, f"/patients/{world.alice.pk}/")
    assert "Alicia" not in json.dumps(lines) and "Zamorano" not in json.dumps(lines)
    assert lines[-1]["request_id"] == r.headers["X-Request-ID"]


def test_request_log_hides_secret_segments_and_patient_id_free(nurse: Client, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="keel.request"):
        nurse.get("/accounts/invite/Ab3dEf6hIj9kLm2nOp5q/")
    rec = [r for r in caplog.records if r.name == "keel.request"][-1]
    assert "Ab3dEf6hIj9kLm2nOp5q" not in rec.getMessage()
    assert "Ab3dEf6hIj9kLm2nOp5q" not in json.dumps(rec.__dict__.get("path", ""))


def test_public_tool_pages_carry_every_header(client: Client, db: Any) -> None:
    r = client.get("/en/help/check-my-use/")
    assert r.status_code == 200
    _assert_headers(r)
    r = client.post("/en/help/check-my-use/", {})
    assert r.status_code in (200, 422)
    _assert_headers(r, private=False)
    assert "no-store" in r.headers["Cache-Control"] or r.headers["Cache-Control"] == "private, no-cache"


def test_language_redirect_carries_every_header(client: Client, db: Any) -> None:
    """LocaleMiddleware turns an inner 404 into a redirect to the language's address, outside the
    X-Frame-Options, CSP and no-store middlewares: that new answer must still carry them."""
    r = client.get("/help/check-my-use/")
    assert r.status_code == 302 and r.headers["Location"] == "/en/help/check-my-use/"
    _assert_headers(r)


def test_append_slash_redirect_carries_every_header(nurse: Client) -> None:
    r = nurse.get("/patients")
    assert r.status_code in (301, 302) and r.headers["Location"].endswith("/patients/")
    _assert_headers(r)


def _idle(client: Client) -> None:
    from keel.accounts.middleware import LAST_SEEN

    session = client.session
    session[LAST_SEEN] = session[LAST_SEEN] - 24 * 3600 if LAST_SEEN in session else 0.0
    session.save()


def test_session_limit_sign_out_answers_carry_every_header(world: Any) -> None:
    """SessionLimitsMiddleware answers itself (a redirect to sign in, a 401 on the API), outside the
    X-Frame-Options, CSP and no-store middlewares."""
    client = sign_in(Client(), world.user("nurse"))
    assert client.get("/patients/").status_code == 200
    _idle(client)
    r = client.get("/api/v1/caseload")
    assert r.status_code == 401
    _assert_headers(r)
    client = sign_in(Client(), world.user("nurse"))
    client.get("/patients/")
    _idle(client)
    r = client.get("/patients/")
    assert r.status_code in (302, 303)
    _assert_headers(r)


def test_mfa_sign_out_answer_carries_every_header(world: Any) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY

    client = sign_in(Client(), world.user("nurse"))
    session = client.session
    del session[DEVICE_ID_SESSION_KEY]
    session.save()
    r = client.get("/api/v1/caseload")
    assert r.status_code == 401
    _assert_headers(r)
