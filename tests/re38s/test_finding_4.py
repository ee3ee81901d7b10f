"""Re-attack 38s, finding 4 (low): production's "not this machine" check on KEEL_PUBLIC_URL misses the
loopback written as an IPv4-mapped IPv6 address or in the short dotted form.

What the operator does: copies the address `ss`/`netstat` shows for gunicorn on a dual-stack machine,
`https://[::ffff:127.0.0.1]:8443`, or writes `https://127.1` (both open 127.0.0.1 in a browser).
What goes wrong: `keel.env._is_loopback` asks `ipaddress.ip_address(...).is_loopback`, which is False for
`::ffff:127.0.0.1` on this Python and which cannot parse `127.1`: production starts and every link Keel sends
points at the reader's own device, the hole fix38g closed for `https://127.0.0.1` and `https://[::1]`.
What should hold: these refused like `https://127.0.0.1`, naming KEEL_PUBLIC_URL.
"""

from __future__ import annotations

import pytest

from keel.env import ConfigError, parse_public_url


@pytest.mark.parametrize("url", ["https://[::ffff:127.0.0.1]:8443", "https://127.1"])
def test_production_refuses_the_loopback_however_it_is_written(url: str) -> None:
    with pytest.raises(ConfigError, match="names this machine"):
        parse_public_url(url, production=True)
