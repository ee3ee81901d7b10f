"""A flag follows its corrected result (lane fix38d, review 38d hole 2): what a correction of a PHQ-9's item 9,
or of a C-SSRS screener's risk level (lane fix38n, re38r finding 2), does to the screen's suicide-risk flag.
Plain Python: the caller reads the values and writes the note.

Every correction that changes the value (item 9; the C-SSRS level, `cssrs_level`) is noted on the screen's
flag, whichever way it goes and whether the flag is open or resolved: the flag's last word says what the
screen in force says. A correction that makes the value higher than it was when a clinician resolved the flag
puts the flag back before the care team: the clinician judged a lower risk than the record now says."""

from __future__ import annotations

from dataclasses import dataclass

from keel.core.instruments.interpretation import CSSRS_LEVELS


@dataclass(frozen=True)
class Follow:
    """What the flag does: `note` (say the value now) and `reopen` (put it back before the care team)."""

    note: bool
    reopen: bool


def risk_follow(*, before: int | None, now: int | None, when_resolved: int | None) -> Follow:
    """`before`: the value (a PHQ-9's item 9, a C-SSRS's level) in force before the correction; `now`: after
    it; `when_resolved`: in force when the flag was resolved (None: the flag is open). No value (a screen
    without item 9): nothing."""
    if now is None or before is None or now == before:
        return Follow(note=False, reopen=False)
    return Follow(note=True, reopen=when_resolved is not None and now > when_resolved)


def cssrs_level(band: str | None) -> int | None:
    """A C-SSRS screener's risk level (0 none .. 3 high, `CSSRS_LEVELS`) from its band code; None: no such
    band (a screen stored without one)."""
    return next((i for i, b in enumerate(CSSRS_LEVELS) if b.code == band), None)


def cssrs_label(level: int) -> str:
    """The level's plain words ("high risk"), as the screener's result says them (catalogued)."""
    return CSSRS_LEVELS[level].label
