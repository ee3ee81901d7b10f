"""re37p finding 2: a role change that takes away giving codes (a nurse made an auditor or a peer specialist)
leaves the codes she gave working, though the same change withdraws the invitations she sent."""

from __future__ import annotations

import pytest

from keel.accounts import staff
from tests.accounts.test_leaver_codes_fix37e import _issue, _record, _works
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["auditor", "peer_specialist"])
@pytest.mark.parametrize("kind", ["activation", "link"])
def test_code_outlives_role_change(world: World, kind: str, role: str) -> None:
    nurse = world.staff["nurse"]
    code = _issue(kind, nurse, _record(world))
    staff.change_role(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, role=role)
    assert not _works(kind, code, world)
