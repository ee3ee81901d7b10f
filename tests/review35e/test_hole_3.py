"""Hole 3: people without a signal are listed with every accented name after Z.

What the user did: a nurse in a Spanish-speaking program opens the caseload; past the people with a signal,
the others are listed by name.
What happened: "Ángela Ruiz" is listed after "Zoe Quintero" (and "Óscar", "Úrsula", "Élodie" likewise: the
names are compared code point by code point, so every accented capital sorts after every plain letter); with
fifty a page she is on the last page.
What should happen: "Ángela" is listed with the A names, before "Zoe".
"""

from __future__ import annotations

from typing import Any

import pytest

from keel.careteam import queries
from tests.review35e._setup import on_team

pytestmark = pytest.mark.django_db


def test_an_accented_name_is_listed_with_its_letter(world: Any) -> None:
    zoe = on_team(world, "Zoe", "Quintero", "RR-5001")
    angela = on_team(world, "Ángela", "Ruiz", "RR-5002")
    ids = [r.id for r in queries.caseload(world.staff["nurse"])]
    assert ids.index(angela.pk) < ids.index(zoe.pk)
