"""Re-attack 38b, finding 2 (severity: low-medium, availability of the person's way in): a code voided as it
is stored (its giver lost the record meanwhile: lane fix38b answers 409 "No code was given: try again")
still removes the person's EARLIER live code, one another clinician gave and may already have handed her or
texted to her phone. Nobody is told: the desk that lost the record hears "no code was given", the
clinician who gave the earlier code sees nothing, and the person's code silently stops working.

What the user does: the counselor gives Evangelina an activation code (she takes it home). Later a nurse,
being taken off her care team at that moment, asks for a new one: the page answers 409.
What goes wrong: `activation._store_code` runs `_replace_code` (deleting every unused code of the purpose)
before `giver_may_not`, and the voiding rolls only the new code back; the same order in
`password_reset.issue_reset_code` and `selfguided.services.issue_link_code`.
What should hold: an attempt whose code is voided as it is stored changes nothing else: the earlier live
code keeps working (the giver is asked before the old code is removed, or the removal is undone with it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.access import policy
from keel.patients.models import ActivationCode, CareTeamMember, Patient
from tests.accounts.test_leaver_codes_fix37e import _record
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _activation(world: World, role: str, patient: Patient) -> Any:
    path = f"/api/v1/patients/{patient.pk}/activation-code"
    return sign_in(Client(), world.staff[role]).post(path, "{}", content_type="application/json")


def _nurse_leaves_as_hers_is_stored(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = policy.may_still_give_code_for

    def removed_then_asked(user: Any, patient: Patient) -> bool:
        if user.pk == world.staff["nurse"].pk:
            CareTeamMember.objects.filter(user=user).delete()
        return asked(user, patient)

    monkeypatch.setattr(policy, "may_still_give_code_for", removed_then_asked)


def test_a_voided_attempt_leaves_the_counselors_earlier_code_working(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = _record(world)
    given = _activation(world, "counselor", patient)
    assert given.status_code == 201  # the counselor's code, handed to her
    _nurse_leaves_as_hers_is_stored(world, monkeypatch)
    refused = _activation(world, "nurse", patient)
    assert refused.status_code == 409  # "No code was given: try again"
    assert ActivationCode.objects.filter(patient=patient, created_by=world.staff["counselor"]).exists()
