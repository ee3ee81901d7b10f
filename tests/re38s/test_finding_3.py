"""Re-attack 38s, finding 3 (low-medium): production accepts a KEEL_PUBLIC_URL whose host is not a host name,
or whose port is 0, and writes every link Keel sends on it.

What the operator does: pastes the site's address with a stray space (`https://keel clinic.example`, a
line-wrapped copy) or a port of 0 from a template (`https://keel.clinic.example:0`).
What goes wrong: `keel.env.parse_public_url(production=True)` checks the scheme, the path, the query, the
user and the loopback, but not that the host is a name or an address, nor the port's range: Keel starts and
every invitation, activation code and reminder stop link is written on an address no device can open.
What should hold: production refuses a public URL whose host is not a valid DNS name or IP address, or
whose port is not 1-65535, naming KEEL_PUBLIC_URL (as it refuses a non-numeric port today).
"""

from __future__ import annotations

import pytest

from keel.env import ConfigError, parse_public_url


@pytest.mark.parametrize("url", ["https://keel clinic.example", "https://keel.clinic.example:0"])
def test_production_refuses_a_public_url_no_device_can_open(url: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_PUBLIC_URL"):
        parse_public_url(url, production=True)
