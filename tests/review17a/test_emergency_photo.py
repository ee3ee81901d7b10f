"""Review 17a: break-the-glass access must not change who the window thinks a person is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_cannot_change_the_identity_photo(world: Any) -> None:
    """Scenario: a Riverside nurse not on Bob's care team breaks the glass on his record, then opens the
    photo change (`patients.photos._photo_patient`, emergency_access=True). The photo is what the dosing
    window checks the face against before a dose; contact details are refused to emergency access for the
    same kind of reason (they route the account's messages), the photo is not. An emergency reader could
    swap Bob's photo for someone else's and a stranger is dosed as Bob. Safe outcome: refused
    (`check_can_change`, which raises exactly as `set_photo` would, raises)."""
    from keel.patients import photos
    from keel.sharing.services import emergency_access

    nurse = world.staff["nurse"]
    bob = world.bob
    emergency_access(
        by=nurse, record_number=bob.record_number, reason="found unresponsive in the lobby", password=PASSWORD
    )
    with pytest.raises(Exception):
        photos.check_can_change(by=nurse, patient_id=bob.pk)
