"""A time typed on a page (the program's wall clock, no offset) as an instant, read the safe way (review 13c).

On the night the clocks go back, a wall time in the repeated hour happened twice; which one is safe depends on
what the time is for, so every caller names it:

- LATER for a time of last use: the later instant means a longer wait before a start (never an hour early);
- EARLIER for a withdrawal score's time (COWS, SOWS): the earlier instant makes the score older, and it must
  be fresh and after the last use.

A wall time the clocks skip (spring forward) never happened: it is refused (WallTimeMissing), never moved.
Plain Python: no Django, no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import available_timezones

EARLIER, LATER = "earlier", "later"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone of this machine's database. The one check every form and service
    uses; the list is read from disk once per process (a scan of the zoneinfo tree is about 30 ms)."""
    return name in _zones()


class WallTimeMissing(ValueError):
    """The wall time does not exist in that zone that day (the clocks skip it)."""


def instant(wall: datetime, zone: tzinfo, *, ambiguous: str) -> datetime:
    """`wall` (naive, the zone's clock) as an aware time in `zone`. A time the clocks show twice: the earlier
    or the later instant (`ambiguous`, EARLIER or LATER: no default, the caller decides); a time the clocks
    skip raises WallTimeMissing."""
    if ambiguous not in (EARLIER, LATER):
        raise ValueError("ambiguous must be EARLIER or LATER")
    if wall.tzinfo is not None:
        raise ValueError("a wall time has no zone")
    real = [
        aware
        for aware in (wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1))
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
    ]
    if not real:
        raise WallTimeMissing(
            f"{wall.isoformat(timespec='minutes')} does not exist on the clock in this zone"
        )
    chosen = (
        min(real, key=lambda a: a.astimezone(UTC))
        if ambiguous == EARLIER
        else max(real, key=lambda a: a.astimezone(UTC))
    )
    return chosen.astimezone(UTC).astimezone(zone)
