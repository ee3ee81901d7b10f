"""Run by test_durability (SECURITY.md T9) in a fresh process against a database of its own: Keel's real
server (`keel serve`: gunicorn, its workers and threads) takes check-ins from phones while it is killed with
SIGKILL again and again, mid-load, and restarted. Every check-in the server acknowledged (a 2xx answer read
in full) must be there afterwards, as acknowledged, with the audit chain whole. Prints what it saw as JSON.

    python tests/db/kill9.py TAG [CYCLES]
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

KEEL = Path(sys.executable).parent / "keel"
PATIENTS = 4
CYCLES = 20  # SECURITY.md T9: at least 20 kill -9 cycles under load
CANARY = "canary-kill9-c4e1"  # the note is encrypted: it must not appear in the database or WAL file (T13)
BODY = json.dumps({"craving": 3, "mood": 4, "used": False, "medication": "taken", "note": CANARY}).encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [KEEL, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the master and every worker
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not come up")


def _client(
    port: int, secret: str, stop: threading.Event, acked: list[tuple[str, int, int]], errors: list[str]
) -> None:
    """Save check-ins until the server dies; remember each acknowledged one as (key, check-in id, version)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not stop.is_set():
        key = uuid.uuid4().hex
        try:
            conn.request(
                "POST",
                "/api/v1/me/checkins",
                body=BODY,
                headers={
                    "Authorization": f"Bearer {secret}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                },
            )
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            return  # killed mid-request: not acknowledged
        if not 200 <= response.status < 300:
            errors.append(f"{response.status}: {data[:200]!r}")
            return
        checkin = json.loads(data)["checkin"]
        acked.append((key, checkin["id"], checkin["version"]))


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.patients.models import Patient

    tag, cycles = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else CYCLES
    call_command("migrate", verbosity=0)
    program = Program.objects.create(slug=f"kill-{tag}", name="Kill")
    secrets = []
    for i in range(PATIENTS):
        user, _ = accounts.create_user(
            username=f"kill-{tag}-{i}",
            role="patient",
            password="kill password 12345",
            program_slug=program.slug,
        )
        Patient.objects.create(
            program=program,
            user=user,
            record_number=f"K-{i}",
            given_name="K",
            family_name=str(i),
            date_of_birth=date(1990, 1, 1),
        )
        secrets.append(accounts.create_token(user=user, name="kill").secret)
    connection.close()

    rng = random.Random(tag)
    acked: list[tuple[str, int, int]] = []
    errors: list[str] = []
    port = _free_port()
    for _ in range(cycles):
        server = _serve(port)
        stop = threading.Event()
        clients = [threading.Thread(target=_client, args=(port, s, stop, acked, errors)) for s in secrets]
        for c in clients:
            c.start()
        time.sleep(rng.uniform(0.2, 0.6))  # mid-load
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        stop.set()
        for c in clients:
            c.join()

    # T13 on SQLite: the last kill left committed frames in the WAL file (not yet copied into the database
    # file); neither file holds the note in plain text.
    files: dict[str, int] = {}
    canary_found = plain_found = False
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        for kind, path in (("db", Path(name)), ("wal", Path(f"{name}-wal"))):
            raw = path.read_bytes() if path.exists() else b""
            files[kind] = len(raw)
            canary_found = canary_found or CANARY.encode() in raw
            plain_found = plain_found or f"kill-{tag}-0".encode() in raw  # a username: stored in plain text

    from keel.audit.services import verify_chain
    from keel.recovery.models import CheckIn, IdempotencyKey

    stored = {k.key: k for k in IdempotencyKey.objects.filter(key__in=[a[0] for a in acked])}
    versions = dict(CheckIn.objects.values_list("id", "version"))
    lost = [a for a in acked if a[0] not in stored]
    behind = [a for a in acked if versions.get(a[1], 0) < a[2]]  # a row older than what was acknowledged
    print(
        json.dumps(
            {
                "cycles": cycles,
                "acknowledged": len(acked),
                "lost": len(lost),
                "behind": len(behind),
                "chain_ok": verify_chain().ok,
                "files": files,
                "canary_found": canary_found,
                "plain_found": plain_found,
                "errors": errors,
            }
        )
    )


if __name__ == "__main__":
    main()
