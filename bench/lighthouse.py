"""Lighthouse 12.2.3 (mobile) on every public page of Keel as `make run` serves it: performance and
accessibility scores, in English and Spanish. Target (issue #4): both >= 95 on every page.

    make bench-lighthouse        # or: .venv/bin/python bench/lighthouse.py [--json]

Needs Node.js and Debian's Chromium; installs Lighthouse from bench/package-lock.json (npm ci) on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.public.pages import PAGES

from bench.http_load import KEEL, _free_port, _wait_ready

BENCH = Path(__file__).resolve().parent
LIGHTHOUSE = BENCH / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = os.environ.get("KEEL_CHROMIUM", "/usr/bin/chromium")


def run_lighthouse(url: str, lang: str, attempts: int = 3) -> dict[str, float]:
    """Lighthouse sometimes fails to record a trace (NO_NAVSTART) in headless Chromium: try again."""
    for attempt in range(attempts):
        try:
            return _once(url, lang)
        except RuntimeError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _once(url: str, lang: str) -> dict[str, float]:
    flags = f"--headless=new --no-sandbox --disable-gpu --lang={lang}"
    done = subprocess.run(
        [
            "node",
            str(LIGHTHOUSE),
            url,
            "--output=json",
            "--quiet",
            "--only-categories=performance,accessibility",
            "--form-factor=mobile",
            f"--chrome-flags={flags}",
            f"--locale={lang}",
            f"--extra-headers={json.dumps({'Accept-Language': lang, 'Cookie': f'django_language={lang}'})}",
        ],
        env=dict(os.environ, CHROME_PATH=CHROMIUM),
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-1500:]}")
    report = json.loads(done.stdout)
    audits = report["audits"]
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "bytes": round(audits["total-byte-weight"]["numericValue"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=BENCH, check=True)
    data_dir = Path(tempfile.mkdtemp(prefix="keel-lighthouse-"))
    env = dict(os.environ, KEEL_DATA_DIR=str(data_dir))
    for name in ("KEEL_DATABASE_URL", "KEEL_TESTING"):
        env.pop(name, None)
    port = _free_port()
    server = None
    results: dict[str, dict[str, float]] = {}
    try:
        subprocess.run([KEEL, "migrate", "--no-input"], env=env, check=True, capture_output=True)
        server = subprocess.Popen(
            [KEEL, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_ready(port)
        for lang in ("en", "es"):
            for name, path in PAGES.items():
                results[f"{name} ({lang})"] = run_lighthouse(f"http://127.0.0.1:{port}{path}", lang)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(results))
        return
    print("Lighthouse 12.2.3, mobile (simulated slow 4G, 4x CPU slowdown), Keel served by gunicorn")
    print(f"{'page':<20} {'perf':>5} {'a11y':>5} {'FCP ms':>7} {'LCP ms':>7} {'CLS':>6} {'bytes':>7}")
    for name, r in results.items():
        print(
            f"{name:<20} {r['performance']:>5} {r['accessibility']:>5} {r['fcp_ms']:>7} {r['lcp_ms']:>7} "
            f"{r['cls']:>6} {r['bytes']:>7}"
        )
    worst = min(min(r["performance"], r["accessibility"]) for r in results.values())
    print(f"lowest score: {worst} (target: 95 or more on every page)")


if __name__ == "__main__":
    main()
