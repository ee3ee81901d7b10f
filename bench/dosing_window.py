"""The methadone dosing window under load: 300 patients dosed in a morning by 8 nurses at once, each dose a
real write (scoped, guard rails with the program policy, unique slot, audit row), against /healthz in the
same run at the same concurrency. Two ways in (`--path`):

- `api`: POST /api/v1/patients/{id}/doses with a nurse's token (the JSON answer);
- `page`: the dosing page's htmx POST /dosing/{id}/ with a signed-in nurse's session (second
  factor passed) and CSRF token; the answer is the swapped dosing row (`_dosing_row.html`), as at the window.

    .venv/bin/python bench/dosing_window.py [--patients 300] [--nurses 8] [--path api|page|both]
                                            [--rounds 3] [--database-url postgresql://...] [--pace SECONDS]
                                            [--versus-checkin] [--src base=/tmp/base/src --src new=src]

Each round is a fresh server and database: one dose is recorded alone first (a cold worker's first
request, once the server answers /healthz), then the rest by the nurses at once; reported: the slowest
first dose of a nurse (queueing included), p50/p95/p99 of all doses, and /healthz at the same concurrency
right after.

`--versus-checkin`: on the same server, patients post check-ins (`POST /api/v1/me/checkins`, as many
clients as nurses, closed loop, `--checkin-seconds`) before the doses in odd rounds and after them in even
ones; printed: the check-in p95/p99 and the server CPU per request of both (every gunicorn process, from
/proc; the PostgreSQL backends not counted) with the dose ÷ check-in ratio (issue #21: <= 2). `--src
LABEL=DIR` (repeatable): serve that `src` tree (a `git archive` of another commit, say), the trees
alternating round by round in one run, their order rotated: old and new side by side.

By default each nurse sends the next dose the moment the last one answers (closed loop, no time at the
window between people): on this 2-core machine the client, the server and the database share the cores,
so p95 is mostly queueing (Little's law: mean latency = nurses / doses per second). `--pace S` gives each
nurse S seconds per person (a dose starts every S seconds, or as soon as the last answers if that took
longer): the latency one person's dose has on a morning when the window is not saturated.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http_load import KEEL, SCENARIOS, Request, _cpu_seconds, _free_port, _wait_ready, measure

SETUP = """
import json
from datetime import date, timedelta
from decimal import Decimal
from django.utils import timezone
from keel.accounts import services
from keel.accounts.models import Program
from keel.patients.models import CareTeamMember, Enrollment, Patient
from keel.treatment.models import DoseRecord, MedicationOrder
program = Program.objects.get(slug="riverside")
nurses = [services.create_user(username=f"bench.nurse{{i}}", role="nurse", password="bench password 12345",
                               program_slug="riverside")[0] for i in range({nurses})]
prescriber = nurses[0].__class__.objects.get(username="riverside.prescriber")
now = timezone.now()
today = timezone.localdate()
ids = []
for i in range({patients}):
    p = Patient.objects.create(program=program, record_number=f"BD-{{i}}", given_name="Bench", family_name=f"D{{i:03d}}",
                               date_of_birth=date(1985, 1, 1))
    CareTeamMember.objects.bulk_create([CareTeamMember(patient=p, user=n) for n in nurses])
    Enrollment.objects.create(patient=p, program=program, started_on=today - timedelta(days=21))
    order = MedicationOrder.objects.create(patient=p, medication="methadone", rxnorm="6813", dose_mg=Decimal(60),
                                           starts_on=today - timedelta(days=20), prescriber=prescriber, created_at=now)
    DoseRecord.objects.bulk_create(
        DoseRecord(patient=p, order=order, medication="methadone", local_date=today - timedelta(days=n), sequence=1,
                   status="given", amount_mg=Decimal(60), treatment_day=21 - n, decision={{}}, recorded_by=nurses[0],
                   recorded_at=now - timedelta(days=n), given_at=now - timedelta(days=n))
        for n in range(20, 0, -1))
    ids.append(p.pk)
tokens = [services.create_token(user=n, name="bench", days=1).secret for n in nurses]
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from keel.accounts.middleware import AUTH_AT, LAST_SEEN
sessions = []
for n in nurses:  # a signed-in nurse at the page: password and a confirmed second factor
    device = TOTPDevice.objects.create(user=n, name="bench", confirmed=True)
    store = SessionStore()
    store[SESSION_KEY] = str(n.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = n.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store[AUTH_AT] = store[LAST_SEEN] = now.timestamp()
    store.create()
    sessions.append(store.session_key)
checkin_tokens = []  # patients with their own account, who post check-ins (--versus-checkin)
for i in range({checkin_patients}):
    user = services.create_user(username=f"bench.patient{{i}}", role="patient", password="bench password 12345",
                                program_slug="riverside")[0]
    Patient.objects.create(program=program, user=user, record_number=f"BC-{{i}}", given_name="Bench",
                           family_name=f"C{{i:03d}}", date_of_birth=date(1990, 1, 1))
    checkin_tokens.append(services.create_token(user=user, name="bench", days=1).secret)
print(json.dumps({{"patients": ids, "tokens": tokens, "sessions": sessions, "checkins": checkin_tokens}}))
"""


CSRF = "b" * 32  # an unmasked CSRF secret: the cookie and the header agree


def _post(port: int, path: str, credential: str, patient_id: int) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    if path == "api":
        conn.request(
            "POST",
            f"/api/v1/patients/{patient_id}/doses",
            body=b'{"amount_mg": "60", "sequence": 1}',
            headers={"Authorization": f"Bearer {credential}", "Content-Type": "application/json"},
        )
    else:
        conn.request(
            "POST",
            f"/dosing/{patient_id}/",
            body=b"amount_mg=60&sequence=1&medication=methadone",
            headers={
                "Cookie": f"sessionid={credential}; csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{port}/dosing/",
            },
        )
    response = conn.getresponse()
    body = response.read()
    conn.close()
    status = response.status
    if path == "page" and status == 200 and b"given to" not in body:
        status = 299  # a row came back, but not with the dose given
    return time.perf_counter() - started, status


def _checkin_requests(tokens: list[str]) -> list[Request]:
    """One check-in request per patient (bench.http_load's `checkin-write`: a fresh Idempotency-Key each time;
    the first creates today's check-in, the rest edit it), each an audited write of the patient's own record."""
    body = json.dumps(
        {"craving": 4, "mood": 3, "used": False, "medication": "taken", "meeting": True, "note": "ok day"}
    ).encode()
    return [
        (
            "POST",
            "/api/v1/me/checkins",
            {"Authorization": f"Bearer {t}", "Content-Type": "application/json", "Idempotency-Key": "{key}"},
            body,
        )
        for t in tokens
    ]


def _round(args: argparse.Namespace, path: str, src: str | None, order: int = 0) -> dict[str, Any]:
    """One fresh server and database; `src`: the `src` tree it runs (PYTHONPATH; None: this checkout's
    installed package as the environment has it). With `--versus-checkin`, check-ins at the same
    concurrency are timed on the same server, before the doses (`order` odd) or after them (even)."""
    data_dir = Path(tempfile.mkdtemp(prefix="keel-dosing-"))
    env = dict(os.environ, KEEL_DATA_DIR=str(data_dir))
    for name in ("KEEL_DATABASE_URL", "KEEL_TESTING"):
        env.pop(name, None)
    if src:
        env["PYTHONPATH"] = src
    if args.database_url:
        env["KEEL_DATABASE_URL"] = args.database_url
        _reset_postgres(args.database_url)
    port = _free_port()
    server = None
    checkin: dict[str, float] = {}
    try:
        subprocess.run([KEEL, "migrate", "--no-input"], env=env, check=True, capture_output=True)
        subprocess.run([KEEL, "demo"], env=env, check=True, capture_output=True)
        made = subprocess.run(
            [
                KEEL,
                "shell",
                "-c",
                SETUP.format(
                    patients=args.patients,
                    nurses=args.nurses,
                    checkin_patients=args.nurses if args.versus_checkin else 0,
                ),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        server = subprocess.Popen(
            [KEEL, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_ready(port)
        credentials = setup["tokens"] if path == "api" else setup["sessions"]
        # One dose alone on the just-started server, before the nurses: a cold worker's first dose.
        alone, _status = _post(port, path, credentials[0], setup["patients"][0])

        def checkins() -> None:
            checkin.update(
                measure(
                    port, _checkin_requests(setup["checkins"]), args.nurses, args.checkin_seconds, server.pid
                )  # type: ignore[union-attr]
            )

        if args.versus_checkin and order % 2:
            checkins()
        work: queue.Queue[int] = queue.Queue()
        for pk in setup["patients"][1:]:
            work.put(pk)
        latencies: list[float] = []
        firsts: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def nurse(credential: str, offset: float) -> None:
            first = True
            due = time.perf_counter() + offset
            while True:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    return
                if args.pace:  # the next person steps up at the window
                    time.sleep(max(0.0, due - time.perf_counter()))
                    due = max(due, time.perf_counter()) + args.pace
                seconds, status = _post(port, path, credential, pk)
                with lock:
                    latencies.append(seconds)
                    statuses[status] = statuses.get(status, 0) + 1
                    if first:
                        firsts.append(seconds)
                first = False

        cpu_before = _cpu_seconds(server.pid)
        started = time.perf_counter()
        threads = [
            threading.Thread(target=nurse, args=(t, args.pace * i / len(credentials)))
            for i, t in enumerate(credentials)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        dose_cpu = (_cpu_seconds(server.pid) - cpu_before) / max(1, len(latencies)) * 1000
        if args.versus_checkin and not order % 2:
            checkins()
        healthz = measure(port, SCENARIOS["healthz"](port, []), args.nurses, 5)  # type: ignore[arg-type]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    out = {
        "n": len(lat),
        "rate": len(lat) / elapsed,
        "statuses": statuses,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": lat[-1] * 1000,
        "first": max(firsts) * 1000,
        "alone": alone * 1000,
        "healthz_p95": float(healthz["p95_ms"]),
        "cpu": dose_cpu,
        "load": os.getloadavg()[0],
    }
    if checkin:
        out |= {
            "checkin_p95": checkin["p95_ms"],
            "checkin_p99": checkin["p99_ms"],
            "checkin_cpu": checkin["server_cpu_ms"],
            "checkin_errors": checkin["errors"],
            "ratio": dose_cpu / checkin["server_cpu_ms"],
        }
    return out


def _reset_postgres(url: str) -> None:
    """An empty database of that name, every round (the URL's database is dropped and made again)."""
    base, _, name = url.rpartition("/")
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True, capture_output=True)


def _sources(specs: list[str]) -> list[tuple[str, str | None]]:
    """`--src LABEL=DIR` (a `src` tree, e.g. a `git archive` of another commit) as (label, dir); none given:
    the environment's own (`this`)."""
    if not specs:
        return [("this", None)]
    out = []
    for spec in specs:
        label, _, folder = spec.rpartition("=")
        out.append((label or folder, str(Path(folder).resolve())))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--nurses", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (keel serve's default)")
    parser.add_argument("--path", choices=("api", "page", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--pace", type=float, default=0.0, help="seconds per person at each nurse's window (0: closed loop)"
    )
    parser.add_argument(
        "--database-url", help="a throwaway PostgreSQL database, dropped and made again (default: SQLite)"
    )
    parser.add_argument(
        "--versus-checkin",
        action="store_true",
        help="also time patients' check-ins (as many clients as nurses) on the same server: p95, and server "
        "CPU per request of both (the gunicorn processes, from /proc) with their ratio",
    )
    parser.add_argument("--checkin-seconds", type=float, default=5.0)
    parser.add_argument(
        "--src",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="a src tree to serve (PYTHONPATH), repeatable: the trees alternate round by round in one run",
    )
    args = parser.parse_args()
    database = "PostgreSQL" if args.database_url else "SQLite"
    paths = ("api", "page") if args.path == "both" else (args.path,)
    sources = _sources(args.src)
    print(
        f"Dosing window ({database}): {args.patients} patients, {args.nurses} nurses at once, "
        f"gunicorn {args.workers} workers, {args.rounds} rounds, "
        + (f"a person every {args.pace:g} s per nurse" if args.pace else "closed loop")
        + (f"; check-ins by {args.nurses} patients on the same server" if args.versus_checkin else "")
        + f"; load average {os.getloadavg()[0]:.1f}"
    )
    for path in paths:
        results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in sources}
        for n in range(args.rounds):
            turn = sources[n % len(sources) :] + sources[: n % len(sources)]  # order rotated per round
            for label, src in turn:
                r = _round(args, path, src, order=n)
                results[label].append(r)
                extra = (
                    f"; CPU ms/dose {r['cpu']:.2f}"
                    + (
                        f"; check-in p95 {r['checkin_p95']:.1f} p99 {r['checkin_p99']:.1f} CPU ms "
                        f"{r['checkin_cpu']:.2f} (errors {r['checkin_errors']}); dose CPU / check-in CPU "
                        f"{r['ratio']:.2f}"
                        if "ratio" in r
                        else ""
                    )
                    + f"; load {r['load']:.1f}"
                )
                print(
                    f"  {label} {path}: {r['n']} doses, {r['rate']:.1f}/s, statuses {r['statuses']}; ms p50 "
                    f"{r['p50']:.1f} p95 {r['p95']:.1f} p99 {r['p99']:.1f} max {r['max']:.1f}; slowest first "
                    f"dose {r['first']:.1f}; first dose alone {r['alone']:.1f}; healthz p95 "
                    f"{r['healthz_p95']:.1f}" + extra,
                    flush=True,
                )
        for label, rounds in results.items():

            def mmm(key: str, rs: list[dict[str, Any]] = rounds, digits: int = 1) -> str:
                values = sorted(r[key] for r in rs)
                return "/".join(f"{v:.{digits}f}" for v in (values[0], values[len(values) // 2], values[-1]))

            ratios = sorted(r["p95"] / r["healthz_p95"] for r in rounds)
            print(
                f"{database} {label} {path}: record-dose p95 ms {mmm('p95')} (min/median/max); healthz p95 "
                f"{mmm('healthz_p95')}; p95 / healthz p95 {ratios[0]:.1f}/{ratios[len(ratios) // 2]:.1f}/"
                f"{ratios[-1]:.1f}; slowest first dose {mmm('first')}; first dose alone {mmm('alone')}; "
                f"CPU ms/dose {mmm('cpu', digits=2)}"
                + (
                    f"; check-in p95 {mmm('checkin_p95')} p99 {mmm('checkin_p99')} CPU ms "
                    f"{mmm('checkin_cpu', digits=2)}; dose CPU / check-in CPU {mmm('ratio', digits=2)}"
                    if args.versus_checkin
                    else ""
                )
                + f"; load average {mmm('load')}"
            )


if __name__ == "__main__":
    main()
