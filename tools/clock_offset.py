"""The offset from now to a named moment, as libfaketime's relative `FAKETIME` ("+<seconds>s"), for the
Makefile's moved-clock passes (issue #12: the suite passes on any date and at any hour).

    .venv/bin/python tools/clock_offset.py year-ahead        # +365 days
    .venv/bin/python tools/clock_offset.py spring-forward    # 01:30 New York, 30 min before the next DST jump
    .venv/bin/python tools/clock_offset.py new-york-midnight # 00:00:30 in New York, at least a day ahead

Why an offset and not faketime's absolute "@<time>": libfaketime reads an absolute time in the process's local
zone, and pytest-xdist's workers inherit the `TZ` that Django sets in the controller (settings.TIME_ZONE,
America/New_York), so "@2027-03-14 06:30:00" with `TZ=UTC` on the command line was 06:30 in New York (10:30
UTC) in every worker: the passes ran at moments they did not name (found in session 37, when the CI at 00:01
in New York failed five tests no pass had run at that hour). An offset is the same in every process and zone.
Each moment is computed from today, so the passes never fall into the past as the calendar moves on.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")  # the settings' default TIME_ZONE, the test programs' zone


def _spring_forward_after(today: date) -> datetime:
    """01:30 local on the first day after `today` whose New York offset grows overnight (the DST jump)."""
    day = today + timedelta(days=1)
    while True:
        before = datetime.combine(day, time(0, 30), tzinfo=NEW_YORK).utcoffset()
        after = datetime.combine(day, time(4, 0), tzinfo=NEW_YORK).utcoffset()
        if before is not None and after is not None and after > before:
            return datetime.combine(day, time(1, 30), tzinfo=NEW_YORK)
        day += timedelta(days=1)


def moment(name: str, now: datetime) -> datetime:
    """The named moment, on or after a day past `now`."""
    local = now.astimezone(NEW_YORK).date()
    if name == "year-ahead":
        return now + timedelta(days=365)
    if name == "spring-forward":
        return _spring_forward_after(local)
    if name == "new-york-midnight":
        return datetime.combine(local + timedelta(days=2), time(0, 0, 30), tzinfo=NEW_YORK)
    raise KeyError(name)


def main(argv: list[str]) -> int:
    names = ("year-ahead", "spring-forward", "new-york-midnight")
    if len(argv) != 1 or argv[0] not in names:
        print(f"usage: clock_offset.py {{{'|'.join(names)}}}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    print(f"+{round((moment(argv[0], now) - now).total_seconds())}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
