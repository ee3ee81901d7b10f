"""Re-attack 38b, finding 3 (severity: low): a death recorded at another desk while a code is being made is
not seen by the store: the code is shown to the desk (201 with the code; sent by text or email if asked, to
the phone of a person who has died), though it never works (activation refuses it under the record's lock).
Lane fix38b's rule is that a code that never works is never handed out; `death_recorded`'s own docstring says
no activation, link or reset code is given for her, asked after the record's lock.

What the user does: the nurse asks for an activation code for Evangelina as a colleague records her death.
What goes wrong: `activation.issue_activation_code` asks `death_refused` once, before its transaction, and
`_store_code` takes only the program's lock (`lock_program_for_code`) and asks the giver again, never the
death (`died_under_lock`, the one second look consents, disclosures and emergency access take); the same in
`issue_reset_code` and `issue_link_code`. A discharge takes the record's lock, not the program's, so the two
never wait for each other on PostgreSQL.
What should hold: the store asks `died_under_lock` too; a death committed meanwhile: no code (refused,
audited as a death's refusal), nothing sent. (Simulated here as lane fix38b's tests simulate a giver
leaving: the death is committed between the route's check and the store's re-check.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.access import policy
from keel.patients.models import Enrollment, Patient
from tests.accounts.test_leaver_codes_fix37e import _record
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def death_recorded_as_it_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = policy.may_still_give_code_for

    def died_then_asked(user: Any, patient: Patient) -> bool:
        Enrollment.objects.filter(patient=patient).update(
            ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
        )
        return asked(user, patient)

    monkeypatch.setattr(policy, "may_still_give_code_for", died_then_asked)


@pytest.mark.usefixtures("death_recorded_as_it_is_stored")
def test_no_activation_code_is_handed_out_for_a_death_recorded_as_it_is_stored(world: World) -> None:
    path = f"/api/v1/patients/{_record(world).pk}/activation-code"
    answer = sign_in(Client(), world.staff["nurse"]).post(path, "{}", content_type="application/json")
    assert "code" not in answer.json()
