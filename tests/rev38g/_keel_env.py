"""Run the `keel` command in a fresh process with a chosen environment (what an operator does on day one)."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess  # nosec B404 - the test runs the project's own command
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def base_env(data_dir: Path) -> dict[str, str]:
    """The parent's environment without KEEL_* or Django settings, a private data dir, src/ first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "DJANGO_", "PYTEST"))}
    env["KEEL_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def production_env(data_dir: Path) -> dict[str, str]:
    """Every variable docs/deploy.md lists as required in production, valid, except KEEL_PUBLIC_URL."""
    from keel.audit.signing import generate

    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = data_dir / "checkpoint.pem"
    generate(key)
    env = base_env(data_dir)
    env.update(
        KEEL_PRODUCTION="1",
        KEEL_SECRET_KEY=secrets.token_urlsafe(60),
        KEEL_DATA_KEYS="k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_AUDIT_KEYS="a1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_CHECKPOINT_KEY=str(key),
        KEEL_EMAIL_URL="smtp+tls://keel:pw@mail.clinic.example:587?from=keel@clinic.example",
        KEEL_ALLOWED_HOSTS="keel.clinic.example",
    )
    return env


def keel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603 - fixed argv
        [sys.executable, "-m", "keel.cli", *args],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
