"""Review 15, round 2: `keel measures` without --json or --csv (issue #15 small-cell suppression)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command


def _run(world: Any, *extra: str) -> str:
    out = StringIO()
    with time_machine.travel(datetime(2026, 3, 1, 17, tzinfo=UTC), tick=False):
        call_command(
            "measures",
            "--program",
            "riverside",
            "--by",
            world.staff["program_admin"].username,
            *extra,
            stdout=out,
        )
    return out.getvalue()


def test_plain_text_output_suppresses_small_counts(world: Any) -> None:
    """Harm: the default text report prints "(0 of 2, 2 pending)" -- two admissions, unsuppressed and not
    audited as raw counts, so a small cell leaves by the CLI that the API and --json hide as "<11"."""
    text = _run(world)
    intake = next(line for line in text.splitlines() if "intake" in line.lower())
    assert "2 pending" not in intake, intake


def test_json_output_suppresses_small_counts(world: Any) -> None:
    """Held: --json shows the two waiting admissions as "<11"."""
    data = json.loads(_run(world, "--json"))
    intake = next(m for m in data["measures"] if m["code"] == "intake_to_first_dose")
    assert intake["pending"] == "<11"
