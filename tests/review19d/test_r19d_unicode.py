"""Review 19d: a typed reason made of characters no one sees is no reason."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_break_the_glass_refuses_a_reason_of_blank_musical_noteheads(world: Any) -> None:
    from keel.sharing.errors import SharingInvalid
    from keel.sharing.services.emergency import emergency_access

    blank = "\U0001d159" * 12  # MUSICAL SYMBOL NULL NOTEHEAD: drawn as nothing, like the braille blank
    with pytest.raises(SharingInvalid):
        emergency_access(by=world.staff["nurse"], record_number="RR-0002", reason=blank, password=PASSWORD)


def test_break_the_glass_refuses_a_reason_of_unassigned_code_points(world: Any) -> None:
    from keel.sharing.errors import SharingInvalid
    from keel.sharing.services.emergency import emergency_access

    unassigned = "\U000e0080" * 12  # unassigned (Cn) in the tag block: no font draws it
    with pytest.raises(SharingInvalid):
        emergency_access(
            by=world.staff["nurse"], record_number="RR-0002", reason=unassigned, password=PASSWORD
        )
