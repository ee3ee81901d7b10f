"""When each scheduled job is due: plain time arithmetic, no Django, no clock (`now` is passed in).

A job runs once a day at a local wall-clock time in the deployment's zone (KEEL_TIME_ZONE). Its slot is the
local calendar day; the slot due at `now` is the latest one whose start is not after `now`. A worker that was
down for days runs only the latest missed slot when it comes back (each job covers everything up to its run:
the silence scan looks back 30 days, a backup copies the whole database, a verification walks the whole
chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A failed attempt is tried again after these delays; after the last one the run is FAILED and reported.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=10))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


@dataclass(frozen=True)
class Daily:
    """A job's schedule: every day at `at` (local wall-clock time in the deployment's zone)."""

    name: str
    at: time

    def start_of(self, day: date, zone: ZoneInfo) -> datetime:
        # fold=0: in the repeated hour of a fall-back change, the first; in a spring-forward gap, zoneinfo
        # reads the missing time with the offset before the change, i.e. one hour later on the clock.
        return datetime.combine(day, self.at, tzinfo=zone)

    def due(self, now: datetime, zone: ZoneInfo) -> tuple[str, datetime]:
        """The slot due at `now` (an aware time): its key (the local day, ISO) and its start (in UTC, so that
        subtracting two starts counts real hours, 23 or 25 across a DST change)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        today = now.astimezone(zone).date()
        start = self.start_of(today, zone)
        if start > now:
            today -= timedelta(days=1)
            start = self.start_of(today, zone)
        return today.isoformat(), start.astimezone(UTC)


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed attempts; None when there is no attempt left."""
    if attempts < 1:
        raise ValueError("attempts starts at 1")
    return RETRY_DELAYS[attempts - 1] if attempts < MAX_ATTEMPTS else None


def backoff(attempts: int, *, max_attempts: int) -> timedelta | None:
    """The same delays for work with its own bound (a reminder send, KEEL_REMINDER_MAX_ATTEMPTS): after
    `attempts` failed attempts, the next waits RETRY_DELAYS[attempts - 1] (the last delay once they run
    out); None when `max_attempts` are used up."""
    if attempts < 1 or max_attempts < 1:
        raise ValueError("attempts and max_attempts start at 1")
    if attempts >= max_attempts:
        return None
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
