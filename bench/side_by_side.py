"""Two versions of Keel's source, timed on one built database, alternately (issue #21: on a shared machine
only figures measured side by side compare).

    git archive <base commit> src | tar -x -C /tmp/keel-base      # the version to compare against
    ARGS="--data-dir /tmp/keel-side --database-url postgresql://postgres@127.0.0.1:5432/keel_side"
    .venv/bin/python bench/side_by_side.py directory $ARGS --build     # no --database-url: SQLite
    for r in 1 2 3; do for src in /tmp/keel-base/src $PWD/src; do
        PYTHONPATH=$src .venv/bin/python bench/side_by_side.py directory $ARGS --label "$src $r"
    done; done

`directory`: 100,000 meetings (bench/directory.py's feed), then the p95 wall / CPU ms of its three meeting
searches. `measures --people N`: bench/measures.py's population, then the measures report 3 times (wall and
CPU seconds min/median/max, peak RSS, a digest of the report so both versions can be seen to agree).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import directory as bench_directory


def _directory(args: argparse.Namespace) -> None:
    from keel.directory import services
    from keel.directory.models import Meeting
    from keel.directory.queries import MeetingSearch, search_meetings

    places = bench_directory._centroids()
    if args.build:
        feed = bench_directory._meeting_feed(args.meetings, random.Random(7), places)
        parsed = services.parse_meetings(
            json.dumps(feed).encode(), fmt="meeting-guide", default_tz="America/New_York", fellowship="na"
        )
        services.import_parsed(kind="meetings", parsed=parsed, source="bench", fmt="meeting-guide")
        print(f"built {Meeting.objects.count():,} meetings")
        return
    now = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    cases: dict[str, dict[str, object]] = {
        "10 mi, any time (+ online 24 h)": {},
        "10 mi, next 24 h, in person": {"within_hours": 24.0, "attendance": "in_person"},
        "25 mi, evening, language": {"radius_km": 40.2336, "part": "evening", "language": "es"},
    }
    rng = random.Random(11)
    out = []
    for extra in cases.values():
        wall, cpu = [], []
        for _ in range(args.searches):
            lat, lon, _ = rng.choice(places)
            search = MeetingSearch(latitude=lat, longitude=lon, **({"radius_km": 16.09344} | extra))  # type: ignore[arg-type]
            started, cpu_started = time.perf_counter(), time.process_time()
            search_meetings(search, now=now)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        out.append(f"{bench_directory._pct(wall, 95):.1f}/{bench_directory._pct(cpu, 95):.1f}")
    print(f"{args.label}: p95 wall/CPU ms", " | ".join(out), f"| load {os.getloadavg()[0]:.1f}", flush=True)


def _measures(args: argparse.Namespace) -> None:
    from keel.accounts.models import User
    from keel.measures import queries

    if args.build:
        from bench.measures import _build

        started = time.perf_counter()
        _build(args.people, 7)
        print(f"built in {time.perf_counter() - started:.0f} s")
        return
    admin = User.objects.get(username="bench.admin")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = [], []
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        report = queries.report(admin, program_slug="bench", raw={})
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = hashlib.sha256(str(report.as_dict(raw_counts=True)).encode()).hexdigest()[:12]
    print(
        f"{args.label}: wall s {min(wall):.2f}/{statistics.median(wall):.2f}/{max(wall):.2f}, "
        f"CPU s {min(cpu):.2f}/{statistics.median(cpu):.2f}/{max(cpu):.2f}, "
        f"peak RSS {before / 1024:.0f} -> {peak / 1024:.0f} MB, load {os.getloadavg()[0]:.1f}, "
        f"digest {digest}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["directory", "measures"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--label", default="")
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=80)
    parser.add_argument("--people", type=int, default=1000)
    args = parser.parse_args()
    bench_directory._setup(args.database_url, args.data_dir)
    (_directory if args.what == "directory" else _measures)(args)


if __name__ == "__main__":
    main()
