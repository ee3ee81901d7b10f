"""A flag follows its corrected result (lane fix38d, review 38d hole 2): what a correction of a PHQ-9's item 9
does to the screen's suicide-risk flag. Plain Python: the caller reads the values and writes the note.

Every correction that changes item 9 is noted on the screen's flag, whichever way it goes and whether the flag
is open or resolved: the flag's last word says what the screen in force says. A correction that makes item 9
higher than it was when a clinician resolved the flag puts the flag back before the care team: the clinician
judged a lower risk than the record now says."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Follow:
    """What the flag does: `note` (say the value now) and `reopen` (put it back before the care team)."""

    note: bool
    reopen: bool


def item9_follow(*, before: int | None, now: int | None, when_resolved: int | None) -> Follow:
    """`before`: item 9 in force before the correction; `now`: after it; `when_resolved`: in force when the
    flag was resolved (None: the flag is open). No value (a screen without item 9): nothing."""
    if now is None or before is None or now == before:
        return Follow(note=False, reopen=False)
    return Follow(note=True, reopen=when_resolved is not None and now > when_resolved)
