"""HTTP load benchmark: Keel as `make run` serves it (gunicorn, 3 workers of 2 threads, fresh demo database),
driven from a separate load process, with /healthz measured in the same run as the ceiling of the stack on
this machine. Also prints the server's CPU time per request (all its processes, from /proc).

    .venv/bin/python bench/http_load.py --scenario patient-home --concurrency 8 --seconds 10

Prints requests/s and p50/p95/p99 latency for the scenario and for /healthz, and their throughput ratio.
Scenarios are small functions below: each signs in (or not) and returns (method, path, headers, body).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEEL = Path(sys.executable).parent / "keel"
Request = tuple[str, str, dict[str, str], bytes | None]


# --- Scenarios ----------------------------------------------------------------------------------


def _login_patient(port: int, accounts: list[dict[str, Any]]) -> dict[str, str]:
    """Sign in through the real login form; return the session cookie header."""
    account = next(a for a in accounts if a["role"] == "patient")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf_cookie and token, "login page did not set a CSRF token"
    body = urllib.parse.urlencode(
        {
            "username": account["username"],
            "password": account["password"],
            "csrfmiddlewaretoken": token.group(1),
        }
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.group(1)}",
        },
    )
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    assert response.status == 302 and session, f"login failed: {response.status}"
    return {"Cookie": f"sessionid={session.group(1)}"}


def patient_home(port: int, accounts: list[dict[str, Any]]) -> Request:
    """A signed-in patient loads their home page (one audited read of their record per request)."""
    return ("GET", "/me/", _login_patient(port, accounts), None)


COWS_ANSWERS = {
    "pulse": 2,
    "sweating": 1,
    "restlessness": 3,
    "pupils": 1,
    "aches": 2,
    "nose_eyes": 2,
    "gi_upset": 2,
    "tremor": 1,
    "yawning": 1,
    "anxiety": 2,
    "gooseflesh": 3,
}


def cows_score(port: int, accounts: list[dict[str, Any]]) -> Request:
    """Anonymous, stateless COWS scoring (POST /api/v1/instruments/cows/score); stores nothing."""
    body = json.dumps({"answers": COWS_ANSWERS}).encode()
    return ("POST", "/api/v1/instruments/cows/score", {"Content-Type": "application/json"}, body)


def healthz(port: int, accounts: list[dict[str, Any]]) -> Request:
    return ("GET", "/healthz", {}, None)


BENCH_PATIENTS = 32
BENCH_PASSWORD = "bench password 12345"
_SETUP_PATIENTS = f"""
from datetime import date
from keel.accounts import services
from keel.accounts.models import Program
from keel.patients.models import Patient
program = Program.objects.get(slug="riverside")
for i in range({BENCH_PATIENTS}):
    user, _ = services.create_user(username=f"bench.patient{{i}}", role="patient",
                                   password="{BENCH_PASSWORD}", program_slug="riverside")
    Patient.objects.create(program=program, user=user, record_number=f"B-{{i}}", given_name="Bench",
                           family_name=f"P{{i}}", date_of_birth=date(1990, 1, 1))
"""


def _token(port: int, username: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"username": username, "password": BENCH_PASSWORD, "name": "bench"})
    conn.request("POST", "/api/v1/auth/tokens", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    assert response.status == 201, data
    return str(data["token"])


def checkin_write(port: int, accounts: list[dict[str, Any]]) -> list[Request]:
    """32 patients (one per client) save their check-in from a phone app: POST /api/v1/me/checkins with a
    token and a fresh Idempotency-Key each time (the first creates today's check-in, the rest edit it), each
    request a scoped write with its audit row, key row, encrypted note and early-warning run."""
    body = json.dumps(
        {"craving": 4, "mood": 3, "used": False, "medication": "taken", "meeting": True, "note": "ok day"}
    ).encode()
    return [
        (
            "POST",
            "/api/v1/me/checkins",
            {
                "Authorization": f"Bearer {_token(port, f'bench.patient{i}')}",
                "Content-Type": "application/json",
                "Idempotency-Key": "{key}",  # a fresh key per request (see _worker)
            },
            body,
        )
        for i in range(BENCH_PATIENTS)
    ]


SCENARIOS: dict[str, Callable[[int, list[dict[str, Any]]], Request | list[Request]]] = {
    "patient-home": patient_home,
    "cows-score": cows_score,
    "healthz": healthz,
    "checkin-write": checkin_write,
}
SETUP = {"checkin-write": _SETUP_PATIENTS}


# --- Load generation (runs in a separate process) -----------------------------------------------


def _worker(port: int, request: Request, deadline: float, out: list[float], errors: list[int]) -> None:
    method, path, template, body = request
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        headers = {k: (uuid.uuid4().hex if v == "{key}" else v) for k, v in template.items()}
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = 200 <= response.status < 300
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        if ok:
            out.append(time.perf_counter() - started)
        else:
            errors.append(1)
    conn.close()


def _drive(port: int, request: Request | list[Request], concurrency: int, seconds: float, queue: Any) -> None:
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.perf_counter() + seconds
    requests = request if isinstance(request, list) else [request]
    threads = [
        threading.Thread(
            target=_worker, args=(port, requests[i % len(requests)], deadline, latencies, errors)
        )
        for i in range(concurrency)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put({"latencies": latencies, "errors": len(errors), "elapsed": time.perf_counter() - started})


def _cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc), to report what one
    request costs the server."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += (int(stats[pid][11]) + int(stats[pid][12])) / ticks
        todo.extend(children.get(pid, []))
    return total


def measure(
    port: int,
    request: Request | list[Request],
    concurrency: int,
    seconds: float,
    server_pid: int | None = None,
) -> dict[str, float]:
    queue: Any = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=_drive, args=(port, request, concurrency, seconds, queue))
    cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
    proc.start()
    result = queue.get(timeout=seconds + 120)
    proc.join()
    cpu = (_cpu_seconds(server_pid) - cpu_before) if server_pid else 0.0
    lat = sorted(result["latencies"])
    if not lat:
        raise SystemExit(f"no successful requests ({result['errors']} errors)")

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    return {
        "requests": len(lat),
        "errors": result["errors"],
        "rps": len(lat) / result["elapsed"],
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": statistics.fmean(lat) * 1000,
        "server_cpu_ms": cpu / (len(lat) + result["errors"]) * 1000,
    }


# --- Server lifecycle -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="patient-home")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (keel serve's default)")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per gunicorn worker (keel serve's default)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of an empty, throwaway database (default: a fresh SQLite file, as `make run`)",
    )
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="keel-bench-"))
    env = dict(os.environ, KEEL_DATA_DIR=str(data_dir))
    env.pop("KEEL_DATABASE_URL", None)
    env.pop("KEEL_TESTING", None)
    env["KEEL_SCORE_RATE"] = "1000000/s"  # measure the endpoint, not its per-IP rate limit
    if args.database_url:
        env["KEEL_DATABASE_URL"] = args.database_url
    port = _free_port()
    server = None
    try:
        subprocess.run([KEEL, "migrate", "--no-input"], env=env, check=True, capture_output=True)
        demo = subprocess.run([KEEL, "demo", "--json"], env=env, check=True, capture_output=True, text=True)
        accounts = json.loads(demo.stdout)["accounts"]
        if args.scenario in SETUP:
            subprocess.run(
                [KEEL, "shell", "-c", SETUP[args.scenario]], env=env, check=True, capture_output=True
            )
        server = subprocess.Popen(
            [
                KEEL,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_ready(port)
        scenario = SCENARIOS[args.scenario](port, accounts)
        measure(port, scenario, args.concurrency, 2)  # warm-up
        results = {
            args.scenario: measure(port, scenario, args.concurrency, args.seconds, server.pid),
            "healthz": measure(
                port, SCENARIOS["healthz"](port, accounts), args.concurrency, args.seconds, server.pid
            ),
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    ratio = results[args.scenario]["rps"] / results["healthz"]["rps"]
    if args.json:
        print(
            json.dumps({"concurrency": args.concurrency, "seconds": args.seconds, **results, "ratio": ratio})
        )
        return
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"Keel HTTP load ({database}): gunicorn {args.workers} workers, "
        f"concurrency {args.concurrency}, {args.seconds:g}s each"
    )
    print(
        f"{'scenario':<16} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'server CPU ms/req':>18}"
    )
    for name, r in results.items():
        print(
            f"{name:<16} {r['rps']:>8.1f} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} "
            f"{r['errors']:>7d} {r['server_cpu_ms']:>18.2f}"
        )
    print(f"{args.scenario} / healthz throughput: {ratio:.0%}")


if __name__ == "__main__":
    main()
