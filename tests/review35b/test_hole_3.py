"""Hole 3: an anonymous answer page may be kept by the browser; Back after "Quick exit" shows it again.

What the user did: a parent on a shared family phone ticks the signs on "Worried about someone" (needles,
small pupils, nodding off), reads the answer, then taps "Quick exit" (to weather.gov) when the child walks in.
What happened: the answer page is sent `Cache-Control: private, no-cache`, which lets the browser store
it (disk/back-forward cache): Back on the weather page, or the browser's history, shows the ticked signs and
"signs that fit opioid use" again to whoever picks up the phone next.
What should happen: a page that holds what a visitor answered is sent `no-store` (as SECURITY.md asks of
pages with health data), so nothing of it stays on the device once the visitor leaves.
"""

from __future__ import annotations

from django.test import Client


def test_worried_answer_page_is_not_kept_on_the_phone() -> None:
    response = Client().post(
        "/en/help/worried-about-someone/", {"signs": ["needles", "tiny_pupils", "nodding"]}
    )
    assert "no-store" in response.headers.get("Cache-Control", "")
