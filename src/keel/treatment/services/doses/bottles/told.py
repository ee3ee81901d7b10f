"""Lane take31: which bottles a change of a day's total told the nurse to call back, by plan and day (a
bottle of one plan told is never taken for another plan's bottle of the same day). Every step that writes a
call-back word notes its plan's days (`note_told`, through `hand_out._taken_back` and the window's words);
`corrections.amend_dose` reads them (`telling`) to tell the nurse once of each bottle newly at home that no
step told (`_newly_called_back`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# (plan id, ISO day) of each bottle told to be called back in the change under way; None: none is read
_TOLD: ContextVar[set[tuple[int, str]] | None] = ContextVar("bottles_told", default=None)


@contextmanager
def telling() -> Iterator[set[tuple[int, str]]]:
    """The bottles told to be called back inside the block, as (plan id, ISO day), filled as steps tell."""
    told: set[tuple[int, str]] = set()
    token = _TOLD.set(told)
    try:
        yield told
    finally:
        _TOLD.reset(token)


def note_told(plan_pk: int | None, days: Iterable[str]) -> None:
    """A step told the nurse to call back the bottles of `days` (ISO) of plan `plan_pk` (None: no one plan's,
    not noted)."""
    told = _TOLD.get()
    if told is not None and plan_pk is not None:
        told.update((plan_pk, day) for day in days)
