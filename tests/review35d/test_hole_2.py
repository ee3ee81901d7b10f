"""Hole 2: a nurse who left is still listed on her patients' care teams.

Ana, the Riverside nurse on Alicia's care team, leaves; the director turns her account off on the staff page
(Alicia keeps a counselor and a prescriber, so nothing refuses it). The next morning the director opens
Alicia's record (`GET /api/v1/patients/{id}`, the same list the record page and the care team page show) to
see who looks after her: Ana is still there, as "Nurse", with nothing saying she is gone. The director
reads the team as covered by a nurse, and the team page offers her no one to replace.

Should: the care team lists the people who can act for her; an account turned off is no longer listed as
a member (or, the lead's call, is marked as gone: see HOLES.md, decisions)."""

from __future__ import annotations

from typing import Any

from keel.accounts import staff


def test_a_turned_off_nurse_is_not_listed_on_the_care_team(world: Any, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)

    record = signed_in("program_admin").get(f"/api/v1/patients/{world.alice.pk}").json()

    assert nurse.pk not in [m["id"] for m in record["care_team"]], (
        "the nurse whose account was turned off is still listed on Alicia's care team"
    )
