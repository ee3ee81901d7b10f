"""re37q finding 3: codes follow the role's gift, not the giver's access. A program admin gives codes for
any of the program's people (her scope is the program); made a counselor, she still gives codes
(`can_give_link_code`), so `staff._change_role` voids nothing, but she now sees only her care teams'
people (`patients_visible_to`). Her unused codes for everyone else keep working, and a code is the way to
an account on that record. Care-team removal voids a clinician's codes (lane fix37j); this is the same
loss of access by another route."""

from __future__ import annotations

import pytest

from keel.access import policy
from keel.accounts import services, staff
from keel.patients.services import activation
from tests.accounts.test_leaver_codes_fix37e import _record, _works
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["activation", "link"])
def test_admin_made_counselor_keeps_codes_for_people_she_no_longer_sees(world: World, kind: str) -> None:
    from keel.selfguided.services import issue_link_code

    admin = world.staff["program_admin"]
    other_admin, _device = services.create_user(
        username="r-second-admin", role="program_admin", password=PASSWORD, program_slug="riverside"
    )
    patient = _record(world)  # the clinicians' team; the admin is on no team
    if kind == "activation":
        code = activation.issue_activation_code(by=admin, patient_id=patient.pk).code
    else:
        code = issue_link_code(by=admin, patient_id=patient.pk).code
    staff.change_role(by=other_admin, program_slug="riverside", user_id=admin.pk, role="counselor")
    admin.refresh_from_db()
    assert not policy.patients_visible_to(admin).filter(pk=patient.pk).exists()  # out of her scope now
    assert not _works(kind, code, world)  # a code she could not give now must not work
