"""Browser tests wait through `page.evaluate` polling (`wait_until`), never `page.wait_for_function`: its
polling loop evaluates a string inside the page, which Keel's CSP (no 'unsafe-eval') refuses on Chromium 156.
CI failed on this on 2026-12-02 while local runs, whose first check happened to be true, passed."""

from __future__ import annotations

from pathlib import Path

BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"


def test_no_browser_test_polls_with_wait_for_function() -> None:
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(BROWSER_TESTS.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "wait_for_function(" in line and not line.lstrip().startswith(("#", '"""'))
    ]
    assert offenders == []
