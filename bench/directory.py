"""Directory at scale: import throughput for a 100,000-meeting feed and 20,000 facilities, then p50/p95 of a
radius search with filters, in-process against a fresh database (SQLite by default).

    .venv/bin/python bench/directory.py [--meetings 100000] [--facilities 20000] [--searches 300]
    .venv/bin/python bench/directory.py --database-url postgresql://postgres@127.0.0.1:5432/keel_bench
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def _setup(database_url: str | None, data_dir: Path | None = None) -> Path:
    """Django on a fresh data directory (or `data_dir`, kept between runs by the side-by-side benches)."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="keel-bench-dir-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KEEL_DATA_DIR"] = str(data_dir)
    os.environ.pop("KEEL_TESTING", None)
    if database_url:
        os.environ["KEEL_DATABASE_URL"] = database_url
    else:
        os.environ.pop("KEEL_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def _centroids() -> list[tuple[float, float, str]]:
    import zipcodes

    return [
        (float(z["lat"]), float(z["long"]), z["zip_code"])
        for z in zipcodes.list_all()
        if z.get("lat") and z["state"] not in {"AK", "HI", "PR", "GU", "VI", "AS", "MP"}
    ]


def _meeting_feed(
    n: int, rng: random.Random, places: list[tuple[float, float, str]]
) -> list[dict[str, object]]:
    zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
    types = ["O", "C", "D", "SP", "ST", "W", "M", "S", "BE", "LGBTQ", "X"]
    feed = []
    for i in range(n):
        lat, lon, _ = rng.choice(places)
        online = rng.random() < 0.15
        record: dict[str, object] = {
            "name": f"Meeting {i}",
            "slug": f"m{i}",
            "day": rng.randrange(7),
            "time": f"{rng.randrange(6, 22):02d}:{rng.choice(['00', '15', '30', '45'])}",
            "timezone": zones[int((lon + 125) / 15) % 4],
            "types": rng.sample(types, 3),
            "address": f"{rng.randrange(1, 999)} Main St",
            "city": "Town",
        }
        if online:
            record["conference_url"] = f"https://meet.example/{i}"
        else:
            record["latitude"] = round(lat + rng.uniform(-0.05, 0.05), 5)
            record["longitude"] = round(lon + rng.uniform(-0.05, 0.05), 5)
        feed.append(record)
    return feed


def _facility_csv(n: int, rng: random.Random, places: list[tuple[float, float, str]]) -> str:
    services = ["otp", "buprenorphine", "naltrexone", "outpatient", "counseling", "harm_reduction"]
    rows = [
        "id,name,street,city,state,zip,latitude,longitude,phone,website,services,payment,languages,data_as_of"
    ]
    for i in range(n):
        lat, lon, zip_code = rng.choice(places)
        rows.append(
            f"f{i},Clinic {i},1 Main St,Town,NY,{zip_code},{lat + rng.uniform(-0.05, 0.05):.5f},"
            f"{lon + rng.uniform(-0.05, 0.05):.5f},,,{';'.join(rng.sample(services, 2))},"
            "medicaid,en,2026-10-01"
        )
    return "\n".join(rows) + "\n"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    _setup(args.database_url)

    from keel.directory import services
    from keel.directory.queries import MeetingSearch, search_facilities, search_meetings

    rng = random.Random(7)
    places = _centroids()
    feed = json.dumps(_meeting_feed(args.meetings, rng, places)).encode()
    started = time.perf_counter()
    parsed = services.parse_meetings(
        feed, fmt="meeting-guide", default_tz="America/New_York", fellowship="na"
    )
    report = services.import_parsed(kind="meetings", parsed=parsed, source="bench", fmt="meeting-guide")
    import_s = time.perf_counter() - started
    started = time.perf_counter()
    again = services.import_parsed(kind="meetings", parsed=parsed, source="bench", fmt="meeting-guide")
    reimport_s = time.perf_counter() - started
    facilities = _facility_csv(args.facilities, rng, places).encode()
    started = time.perf_counter()
    f_report = services.import_parsed(
        kind="facilities", parsed=services.parse_facilities(facilities), source="bench", fmt="csv"
    )
    f_import_s = time.perf_counter() - started

    now = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    cases = {
        "10 mi, any time (+ online 24 h)": {},
        "10 mi, next 24 h, in person": {"within_hours": 24.0, "attendance": "in_person"},
        "25 mi, evening, language": {"radius_km": 40.2336, "part": "evening", "language": "es"},
    }
    print(
        f"Keel directory bench ({'PostgreSQL' if args.database_url else 'SQLite'}), "
        f"{args.meetings:,} meetings, {args.facilities:,} facilities"
    )
    rate = report.created / import_s
    print(f"import meetings: {report.created:,} created in {import_s:.1f} s = {rate:,.0f} records/s")
    rate = args.meetings / reimport_s
    print(f"re-import (unchanged {again.unchanged:,}): {reimport_s:.1f} s = {rate:,.0f} records/s")
    rate = f_report.created / f_import_s
    print(f"import facilities: {f_report.created:,} in {f_import_s:.1f} s = {rate:,.0f} records/s")
    # CPU p95 (this process's CPU time per search) is the steadier figure on a shared machine; on SQLite it
    # includes the database's own work, on PostgreSQL only Keel's side.
    print(f"{'search':<32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'avg hits':>9} {'CPU p95':>8}")
    for name, extra in cases.items():
        times, hits, cpu = [], [], []
        for _ in range(args.searches):
            lat, lon, _ = rng.choice(places)
            search = MeetingSearch(latitude=lat, longitude=lon, **({"radius_km": 16.09344} | extra))  # type: ignore[arg-type]
            started, cpu_started = time.perf_counter(), time.process_time()
            nearby, _online = search_meetings(search, now=now)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            hits.append(len(nearby))
        print(
            f"{name:<32} {_pct(times, 50):>8.1f} {_pct(times, 95):>8.1f} {max(times):>8.1f} "
            f"{statistics.fmean(hits):>9.1f} {_pct(cpu, 95):>8.1f}"
        )
    times, cpu = [], []
    for _ in range(args.searches):
        lat, lon, _ = rng.choice(places)
        started, cpu_started = time.perf_counter(), time.process_time()
        search_facilities(latitude=lat, longitude=lon, radius_km=40.2336, service="buprenorphine")
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    label = "facilities 25 mi, buprenorphine"
    print(
        f"{label:<32} {_pct(times, 50):>8.1f} {_pct(times, 95):>8.1f} {max(times):>8.1f} {'':>9} "
        f"{_pct(cpu, 95):>8.1f}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
