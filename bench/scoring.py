"""In-process scoring rate per instrument (keel.core only: no Django, no database).

.venv/bin/python bench/scoring.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from keel.core.instruments import registry
from keel.core.instruments.scoring import score


def sample(code: str, rng: random.Random) -> dict[str, int]:
    instrument = registry.get(code)
    answers: dict[str, int] = {}
    for item in instrument.items:
        if instrument.is_enabled(item, answers):
            answers[item.link_id] = rng.choice(item.allowed)
    if code == "bam" and answers["bam_4"] == 0:
        answers["bam_5"] = 0
    return answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="time per instrument")
    args = parser.parse_args()
    rng = random.Random(1)
    print(f"{'instrument':<14} {'scores/s':>10} {'µs/score':>9}")
    for code in registry.codes():
        extras = {"sex": "female"} if code == "ort" else {}
        inputs = [sample(code, rng) for _ in range(500)]
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            for answers in inputs:
                score(code, answers, extras)
            n += len(inputs)
        elapsed = time.perf_counter() - start
        print(f"{code:<14} {n / elapsed:>10.0f} {elapsed / n * 1e6:>9.1f}")


if __name__ == "__main__":
    main()
