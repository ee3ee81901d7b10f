"""The deployment checks of issue #19, run by tests/deploy/run.sh against the layout it started (Caddy
with TLS in front of two `keel serve` processes, `keel worker`, PostgreSQL, an SMTP server). Standard library
only; a client from the outside, over HTTPS, trusting only Caddy's internal root certificate. Exits 1 when any
check fails (each is printed with ok/FAIL)."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# The site's name, as KEEL_PUBLIC_URL and KEEL_ALLOWED_HOSTS give it (run.sh): not the loopback's name, which
# production refuses (review 38g hole 1). It has no DNS entry: every connection goes to LOOPBACK, naming HOST
# (the Host header, and TLS's server name, for which Caddy's internal CA signs a certificate).
HOST = "keel.clinic.test"
LOOPBACK = "127.0.0.1"
UPSTREAM = "X-Keel-Upstream"
failures: list[str] = []


def check(ok: bool, what: str, detail: str = "") -> bool:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f" ({detail})" if detail and not ok else ""), flush=True)
    if not ok:
        failures.append(what)
    return ok


def totp(secret_base32: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s), what an authenticator app computes from the printed secret."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class Response:
    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self.status = raw.status
        self.headers = raw.headers
        self.body = raw.read().decode("utf-8", "replace")

    @property
    def upstream(self) -> str:
        return self.headers.get(UPSTREAM, "")


class ToHost(http.client.HTTPSConnection):
    """An HTTPS connection to LOOPBACK that names HOST in TLS (server name, certificate check)."""

    def __init__(self, port: int, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(HOST, port, context=context, timeout=timeout)
        self.tls = context

    def connect(self) -> None:
        raw = socket.create_connection((LOOPBACK, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=HOST)


class Browser:
    """One person's browser: cookies (Secure ones only over HTTPS), no redirects followed."""

    def __init__(self, port: int, cafile: Path) -> None:
        self.port = port
        self.context = ssl.create_default_context(cafile=str(cafile))
        self.cookies: dict[str, str] = {}
        self.set_cookie_lines: list[str] = []

    @property
    def origin(self) -> str:
        return f"https://{HOST}:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        conn = ToHost(self.port, self.context, 30)
        sent = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = Response(conn.getresponse())
        finally:
            conn.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_lines.append(line)
            for name, morsel in SimpleCookie(line).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def get(self, path: str, **kw: object) -> Response:
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(
        self, path: str, form: dict[str, str], *, csrf_from: Response, same_origin: bool = True
    ) -> Response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', csrf_from.body)
        data = {"csrfmiddlewaretoken": token.group(1) if token else "", **form}
        headers = {"Origin": self.origin, "Referer": self.origin + path} if same_origin else {}
        return self.request("POST", path, form=data, headers=headers)

    def get_from(self, path: str, *, not_upstream: str, tries: int = 6) -> Response:
        """GET until the answer comes from an upstream other than `not_upstream` (Caddy's round robin)."""
        response = self.get(path)
        for _ in range(tries):
            if response.upstream and response.upstream != not_upstream:
                break
            response = self.get(path)
        return response


def wait_for(what: str, probe, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            last = exc
        time.sleep(0.5)
    check(False, what, f"not within {seconds:.0f} s: {last!r}")
    return None


def mails(smtp_log: Path) -> list[str]:
    """The messages aiosmtpd's Debugging handler printed, one string each."""
    text = smtp_log.read_text(errors="replace") if smtp_log.exists() else ""
    return [m for m in text.split("---------- MESSAGE FOLLOWS ----------")[1:] if m.strip()]


PATIENT_PASSWORD = "ci-Patient-passw0rd-long"
PATIENT_SNIPPET = (
    f"PASSWORD = {PATIENT_PASSWORD!r}\n"
    + """
from datetime import datetime, timedelta
from django.utils import timezone
from keel.accounts.models import Program, User
from keel.patients.models import Patient, zone_of
from keel.recovery.models import Reminder
from keel.reminders.models import Delivery
program = Program.objects.get(slug="riverside")
user = User.objects.create_user(
    username="ci-patient", email="ci-patient@example.org", role="patient", password=PASSWORD
)
patient = Patient.objects.create(
    program=program, user=user, record_number="CI-1", given_name="Casey", family_name="Ci"
)
now = timezone.now()
at = (now.astimezone(zone_of(patient)) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
reminder = Reminder.objects.create(patient=patient, kind="checkin", at=at, created_at=now)
Delivery.objects.create(reminder=reminder, channel="email")
"""
)


CHECKIN_NOTE = "walked the dog at the river"


def security_headers(page: Response, where: str) -> None:
    """The security headers every page carries, seen through the proxy."""
    h = page.headers
    csp = h.get("Content-Security-Policy", "")
    check(
        "default-src 'self'" in csp or "default-src 'none'" in csp, f"{where}: Content-Security-Policy", csp
    )
    check(h.get("X-Frame-Options", "").upper() == "DENY", f"{where}: X-Frame-Options DENY")
    check("frame-ancestors 'none'" in csp, f"{where}: CSP frame-ancestors 'none'", csp)
    check(h.get("X-Content-Type-Options") == "nosniff", f"{where}: X-Content-Type-Options nosniff")
    check(
        h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"),
        f"{where}: Referrer-Policy",
        str(h.get("Referrer-Policy")),
    )
    check(
        h.get("Cross-Origin-Opener-Policy") == "same-origin",
        f"{where}: Cross-Origin-Opener-Policy",
        str(h.get("Cross-Origin-Opener-Policy")),
    )
    check("max-age=31536000" in h.get("Strict-Transport-Security", ""), f"{where}: HSTS")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--https", type=int, required=True)
    parser.add_argument("--http", type=int, required=True)
    parser.add_argument("--web", action="append", required=True)
    parser.add_argument("--smtp-log", type=Path, required=True)
    parser.add_argument("--setup", type=Path, required=True)
    parser.add_argument("--keel", type=Path, required=True, help="the installed `keel` (the fresh venv's)")
    args = parser.parse_args()
    upstreams = set(args.web)
    cafile = args.work / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    print("==> waiting for Caddy's certificate and both web processes")
    if not wait_for("Caddy's internal root certificate", cafile.exists, 30):
        return 1
    browser = Browser(args.https, cafile)
    seen: set[str] = set()

    def both_up() -> bool:
        response = browser.get("/healthz")
        if response.status == 200:
            seen.add(response.upstream)
        return upstreams <= seen

    wait_for("both web processes answer through Caddy", both_up, 90)

    print("==> TLS, redirects, headers")
    plain = http.client.HTTPConnection(LOOPBACK, args.http, timeout=10)
    plain.request("GET", "/accounts/login/?next=/", headers={"Host": f"{HOST}:{args.http}"})
    redirect = plain.getresponse()
    redirect.read()
    plain.close()
    check(redirect.status in (301, 308), "HTTP answers with a permanent redirect", str(redirect.status))
    # (Caddy leaves out a port other than 443 here; in production it is 443.)
    location = urlsplit(redirect.headers.get("Location", ""))
    check(
        (location.scheme, location.hostname, location.path, location.query)
        == ("https", HOST, "/accounts/login/", "next=/"),
        "the redirect goes to the same address over HTTPS",
        str(redirect.headers.get("Location")),
    )
    login_page = browser.get("/accounts/login/")
    check(login_page.status == 200, "the sign-in page answers over HTTPS", str(login_page.status))
    hsts = login_page.headers.get("Strict-Transport-Security", "")
    check("max-age=31536000" in hsts, "HSTS is sent (Django sees the request as secure)", hsts)
    request_id = login_page.headers.get("X-Request-ID", "")
    check(bool(re.fullmatch(r"[0-9a-f-]{36}", request_id)), "X-Request-ID is Caddy's id, echoed", request_id)
    # A client's own X-Forwarded-Proto is not believed: Caddy sets it; the page still answers, no loop.
    spoofed = browser.get("/accounts/login/", headers={"X-Forwarded-Proto": "http"})
    check(spoofed.status == 200, "a client's X-Forwarded-Proto changes nothing", str(spoofed.status))
    check("Strict-Transport-Security" in spoofed.headers, "  ... and the answer is still secure (HSTS)")
    security_headers(login_page, "the sign-in page")

    # Caddy refuses a body declared larger than the biggest upload (a 5 MB photo) before Keel reads any of it.
    big = ToHost(args.https, browser.context, 30)
    big.putrequest("POST", "/accounts/login/", skip_host=True)
    big.putheader("Host", f"{HOST}:{args.https}")
    big.putheader("Content-Type", "application/octet-stream")
    big.putheader("Content-Length", "7000000")
    big.endheaders()
    too_large = big.getresponse()
    too_large.read()
    big.close()
    check(too_large.status == 413, "a 7 MB request body is refused by Caddy (413)", str(too_large.status))

    print("==> a page in Spanish (the wheel's compiled translations)")
    spanish = browser.get("/es/")
    check(spanish.status == 200, "the Spanish home page answers", str(spanish.status))
    check('<html lang="es"' in spanish.body, "  ... in Spanish (lang)")
    check(
        "Ayuda con los opioides, para usted o para alguien que quiere" in spanish.body,
        "  ... its words translated (the .mo file is installed)",
    )

    health = json.loads(wait_for("the worker reports in", lambda: _worker_ok(browser), 30) or "{}")
    check(health.get("worker") == "ok", "/healthz says the worker is ok", str(health))
    check(health.get("database") == "ok", "/healthz says the database is ok", str(health))

    print("==> sign-in over HTTPS, the session on both processes")
    setup = json.loads(args.setup.read_text())
    login_page = browser.get("/accounts/login/")
    creds = {"username": "ci-admin", "password": "ci-Admin-passw0rd-long"}
    no_referer = browser.post("/accounts/login/", creds, csrf_from=login_page, same_origin=False)
    check(
        no_referer.status == 403,
        "a POST without Origin or Referer is refused over HTTPS (CSRF)",
        str(no_referer.status),
    )
    login_page = browser.get("/accounts/login/")
    step1 = browser.post("/accounts/login/", creds, csrf_from=login_page)
    check(
        step1.status == 302 and step1.headers.get("Location") == "/accounts/login/verify/",
        "the password step passes to the code step",
        f"{step1.status} {step1.headers.get('Location')}",
    )
    verify = browser.get_from("/accounts/login/verify/", not_upstream=step1.upstream)
    check(verify.upstream != step1.upstream, "the code step is served by the other process", verify.upstream)
    check(
        verify.status == 200 and 'name="code"' in verify.body, "the other process knows the pending sign-in"
    )
    step2 = browser.post("/accounts/login/verify/", {"code": totp(setup["totp_secret"])}, csrf_from=verify)
    check(
        step2.status == 302 and step2.headers.get("Location") == "/",
        "the TOTP code signs in",
        str(step2.status),
    )
    session = [line for line in browser.set_cookie_lines if line.startswith("sessionid=")]
    check(
        bool(session) and "Secure" in session[-1] and "HttpOnly" in session[-1],
        "the session cookie is Secure, HttpOnly",
    )
    csrf_cookie = [line for line in browser.set_cookie_lines if line.startswith("csrftoken=")]
    check(bool(csrf_cookie) and "Secure" in csrf_cookie[-1], "the CSRF cookie is Secure")
    homes = {}
    for _ in range(4):
        home = browser.get("/program/staff/")
        homes[home.upstream] = home.status
    check(set(homes) == upstreams, "the signed-in pages came from both processes", str(homes))
    check(set(homes.values()) == {200}, "the session works on both processes", str(homes))

    print("==> a write through one process, read back through the other; email from the web process")
    staff_page = browser.get("/program/staff/")
    invited = browser.post(
        "/program/staff/", {"email": "new-nurse@clinic.example", "role": "nurse"}, csrf_from=staff_page
    )
    check(
        invited.status == 200 and "new-nurse@clinic.example" in invited.body,
        "the invitation is made",
        str(invited.status),
    )
    read_back = browser.get_from("/program/staff/", not_upstream=invited.upstream)
    check(
        read_back.upstream != invited.upstream,
        "the staff list is read from the other process",
        read_back.upstream,
    )
    check("new-nurse@clinic.example" in read_back.body, "the other process shows the invitation")
    invitation = wait_for(
        "the invitation email reaches the SMTP server",
        lambda: next((m for m in mails(args.smtp_log) if "new-nurse@clinic.example" in m), None),
        20,
    )
    link = re.search(r"(https?://\S+/accounts/invitation/\S+/)", invitation or "")
    check(
        bool(link) and link.group(1).startswith(f"https://{HOST}:{args.https}/"),  # type: ignore[union-attr]
        "the invitation link is the proxy's HTTPS address",
        link.group(1) if link else "no link",
    )
    if link:
        stranger = Browser(args.https, cafile)
        opened = stranger.get(urlsplit(link.group(1)).path)
        check(opened.status == 200, "the invitation link opens over HTTPS", str(opened.status))

    print("==> the worker sends a reminder by email")
    subprocess.run(
        [str(args.keel), "shell", "-v", "0", "-c", PATIENT_SNIPPET],
        check=True,
        env=os.environ,
    )
    reminder = wait_for(
        "the worker's reminder reaches the SMTP server",
        lambda: next((m for m in mails(args.smtp_log) if "ci-patient@example.org" in m), None),
        30,
    )
    if reminder:
        check("Your reminder" in reminder, "the reminder has its subject")
        check(
            "Casey" not in reminder and "Riverside" not in reminder,
            "the reminder names no one and no program",
        )
        stop = re.search(r"(https://\S+/reminders/stop/\S+/)", reminder)
        check(
            bool(stop) and stop.group(1).startswith(f"https://{HOST}:{args.https}/"),  # type: ignore[union-attr]
            "the stop link is the public HTTPS address",
        )
        if stop:
            page = Browser(args.https, cafile).get(urlsplit(stop.group(1)).path)
            check(page.status == 200, "the stop link opens over HTTPS", str(page.status))
        account = re.search(r"(https://\S+/accounts/login/\?next=/\S*)", reminder)
        check(bool(account), "the reminder links to the sign-in page, not the home page")
        if account:
            opened = Browser(args.https, cafile).get(urlsplit(account.group(1)).path)
            check(
                opened.status == 200 and "overdose" not in opened.body.lower(),
                "the account link opens the neutral sign-in page over HTTPS",
                str(opened.status),
            )

    print("==> a patient signs in over HTTPS and checks in; the other process reads it back")
    patient = Browser(args.https, cafile)
    login_page = patient.get("/accounts/login/")
    signed_in = patient.post(
        "/accounts/login/", {"username": "ci-patient", "password": PATIENT_PASSWORD}, csrf_from=login_page
    )
    check(
        signed_in.status == 302 and signed_in.headers.get("Location") == "/",
        "the patient signs in with a password (no second factor set)",
        f"{signed_in.status} {signed_in.headers.get('Location')}",
    )
    form = patient.get("/me/checkin/")
    check(form.status == 200 and 'name="craving"' in form.body, "the check-in form opens", str(form.status))
    security_headers(form, "the patient's check-in page")
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form.body)
    answers = {"craving": "7", "mood": "2", "used": "no", "medication": "taken", "note": CHECKIN_NOTE}
    posted = patient.post(
        "/me/checkin/", {**answers, "idempotency_key": key.group(1) if key else ""}, csrf_from=form
    )
    check(
        posted.status == 302 and posted.headers.get("Location") == "/me/checkin/done/",
        "the check-in is saved",
        f"{posted.status} {posted.headers.get('Location')}",
    )
    again = patient.get_from("/me/checkin/", not_upstream=posted.upstream)
    check(again.upstream != posted.upstream, "the check-in is read from the other process", again.upstream)
    check(
        bool(re.search(r'name="craving" value="7"[^>]*checked', again.body)),
        "the other process shows the craving given",
    )
    check(CHECKIN_NOTE in again.body, "the other process decrypts and shows the note")

    print("==> the password-reset limit, hit from both processes, counts the total")
    limit = int(os.environ.get("KEEL_PASSWORD_RESET_PER_ADDRESS", "3"))
    asker = Browser(args.https, cafile)
    page = asker.get("/accounts/password/reset/")
    answers_by: list[tuple[str, int]] = []
    for _ in range(limit + 1):
        page = asker.post("/accounts/password/reset/", {"email": "limit-check@example.org"}, csrf_from=page)
        answers_by.append((page.upstream, page.status))
    accepted, refused = answers_by[:limit], answers_by[limit]
    check(
        all(status == 200 for _, status in accepted), f"the first {limit} requests are taken", str(answers_by)
    )
    check(refused[1] == 429, f"request {limit + 1} is refused (429)", str(answers_by))
    check({u for u, _ in answers_by} == upstreams, "the requests went to both processes", str(answers_by))
    on_refuser = sum(1 for u, _ in accepted if u == refused[0])
    check(
        on_refuser < limit,
        "the process that refused had taken fewer than the limit itself (the count is shared)",
        str(answers_by),
    )

    print("==> the web processes' logs")
    lines = []
    for log in args.work.glob("web*.log"):
        lines += [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    requests = [x for x in lines if x.get("logger") == "keel.request"]
    check(len(requests) > 10, "each request is logged as one JSON object", f"{len(requests)} lines")
    check(any(x.get("request_id") == request_id for x in requests), "a request line names the proxy's id")
    check(not any("?" in str(x.get("path")) for x in requests), "no request line carries a query string")
    check(not any("Casey" in json.dumps(x) for x in lines), "no log line names the patient")
    check(not any(CHECKIN_NOTE in json.dumps(x) for x in lines), "no log line carries the check-in's note")

    print(f"==> {len(failures)} check(s) failed" if failures else "==> every check passed")
    for what in failures:
        print(f"  FAIL {what}")
    return 1 if failures else 0


def _worker_ok(browser: Browser) -> str | None:
    response = browser.get("/healthz")
    return (
        response.body if response.status == 200 and json.loads(response.body).get("worker") == "ok" else None
    )


if __name__ == "__main__":
    sys.exit(main())
