"""Re-attack 38s, finding 1 (medium-high): production starts while KEEL_ALLOWED_HOSTS does not allow the host
of KEEL_PUBLIC_URL.

What the operator does: on day one they set KEEL_PUBLIC_URL=https://keel.clinic.example (now required and
checked, lane fix38g) but leave KEEL_ALLOWED_HOSTS out (its default is the loopback's names: 127.0.0.1,
localhost, [::1], testserver), or type it with a slip (keel.clinic.exmaple).
What goes wrong: `keel check` / `keel serve` start with exit 0 and say nothing. Every request Caddy forwards
carries Host: keel.clinic.example, which Django refuses with 400: each staff invitation, patient activation
link and reminder stop link Keel sends (all written on KEEL_PUBLIC_URL) opens a "Bad Request" page; the
site is down on its first day though the start-up checks passed. The silent default that fix38g removed for
the public URL is still there for the host list it depends on.
What should hold: with KEEL_PRODUCTION=1, a KEEL_PUBLIC_URL whose host ALLOWED_HOSTS does not allow refuses
to start with a plain message naming KEEL_ALLOWED_HOSTS, exit 2 (as the other production refusals do).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38g._keel_env import keel, production_env


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_production_without_allowed_hosts_refuses_a_public_url_it_would_answer_400_on(
    tmp_path: Path,
) -> None:
    env = production_env(tmp_path / "data")
    del env["KEEL_ALLOWED_HOSTS"]  # the default: the loopback's names only
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.example"
    result = keel(env, "check")
    assert (result.returncode, "KEEL_ALLOWED_HOSTS" in result.stderr) == (2, True), result.stdout[-300:]


def test_production_refuses_allowed_hosts_that_miss_the_public_urls_host(tmp_path: Path) -> None:
    env = production_env(tmp_path / "data")
    env["KEEL_ALLOWED_HOSTS"] = "keel.clinic.exmaple"  # a slip of the fingers
    env["KEEL_PUBLIC_URL"] = "https://keel.clinic.example"
    result = keel(env, "check")
    assert (result.returncode, "KEEL_ALLOWED_HOSTS" in result.stderr) == (2, True), result.stdout[-300:]
