"""The methadone dosing window under load: 300 patients dosed in a morning by 8 nurses at once, each dose a
real POST /api/v1/patients/{id}/doses (scoped, guard rails with the program policy, unique slot, audit row),
against /healthz in the same run at the same concurrency.

    .venv/bin/python bench/dosing_window.py [--patients 300] [--nurses 8] [--database-url postgresql://...]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http_load import KEEL, SCENARIOS, _free_port, _wait_ready, measure

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
print(json.dumps({{"patients": ids, "tokens": tokens}}))
"""


def _post(port: int, token: str, patient_id: int) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request(
        "POST",
        f"/api/v1/patients/{patient_id}/doses",
        body=b'{"amount_mg": "60", "sequence": 1}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return time.perf_counter() - started, response.status


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--nurses", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (keel serve's default)")
    parser.add_argument("--database-url", help="an empty, throwaway PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="keel-dosing-"))
    env = dict(os.environ, KEEL_DATA_DIR=str(data_dir))
    for name in ("KEEL_DATABASE_URL", "KEEL_TESTING"):
        env.pop(name, None)
    if args.database_url:
        env["KEEL_DATABASE_URL"] = args.database_url
    port = _free_port()
    server = None
    try:
        subprocess.run([KEEL, "migrate", "--no-input"], env=env, check=True, capture_output=True)
        subprocess.run([KEEL, "demo"], env=env, check=True, capture_output=True)
        made = subprocess.run(
            [KEEL, "shell", "-c", SETUP.format(patients=args.patients, nurses=args.nurses)],
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
        work: queue.Queue[int] = queue.Queue()
        for pk in setup["patients"]:
            work.put(pk)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def nurse(token: str) -> None:
            while True:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    return
                seconds, status = _post(port, token, pk)
                with lock:
                    latencies.append(seconds)
                    statuses[status] = statuses.get(status, 0) + 1

        started = time.perf_counter()
        threads = [threading.Thread(target=nurse, args=(t,)) for t in setup["tokens"]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        healthz = measure(port, SCENARIOS["healthz"](port, []), args.nurses, 5)  # type: ignore[arg-type]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"Dosing window ({database}): {args.patients} patients, {args.nurses} nurses at once, gunicorn {args.workers} workers"
    )
    print(
        f"record-dose: {len(lat)} doses in {elapsed:.2f} s ({len(lat) / elapsed:.1f}/s), statuses {statuses}"
    )
    print(
        f"record-dose latency ms: p50 {pct(50):.1f}  p95 {pct(95):.1f}  p99 {pct(99):.1f}  max {lat[-1] * 1000:.1f}"
    )
    print(
        f"healthz at {args.nurses} clients: {healthz['rps']:.0f}/s, p50 {healthz['p50_ms']:.2f} ms, "
        f"p95 {healthz['p95_ms']:.2f} ms"
    )


if __name__ == "__main__":
    main()
