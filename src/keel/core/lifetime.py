"""Inside the person's life (lane fix33f, review 33d H4, H5; one definition for every route since lane fix38d,
review 38d hole 1): a clinical result dated before the person's birth date or after the day of their
recorded death is not theirs (a wrong-person filing, a mistyped year, or a death recorded in error). The day
of the death itself stands (answered that morning). Plain Python: the caller names the field it refuses."""

from __future__ import annotations

from datetime import date

from keel.core.words import gettext_noop as N_

BEFORE_BIRTH = N_("is before the person's birth date: check whom the response is about")
AFTER_DEATH = N_("is after the person's recorded death: check whom the response is about")


def outside_life(day: date, *, born: date | None, died: date | None) -> str | None:
    """The problem with `day` (a catalogued phrase, said after the field's name), or None inside her life."""
    if born is not None and day < born:
        return BEFORE_BIRTH
    if died is not None and day > died:
        return AFTER_DEATH
    return None
