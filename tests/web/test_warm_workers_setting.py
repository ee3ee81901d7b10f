"""`KEEL_WARM_WORKERS` is read as every other setting is (keel/settings.py through keel/env.py): a value that
is not a yes or a no stops the process with a message naming it, instead of meaning "on"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _load(value: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KEEL_WARM_WORKERS": value,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "keel.settings",
    }
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.KEEL_WARM_WORKERS)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_off_is_read() -> None:
    assert _load("0").stdout.strip() == "False"


def test_an_unknown_value_is_refused_by_name() -> None:
    assert "KEEL_WARM_WORKERS must be one of" in _load("maybe").stderr
