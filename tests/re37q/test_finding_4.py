"""re37q finding 4 (PostgreSQL only; written from reading, not run here: the brief allows SQLite runs only):
care-team removal takes its locks in the order fix37e ruled out. `care_team.remove_from_care_team` locks the
person's row (`care_gap.lock_people`, FOR NO KEY UPDATE) and then, since lane fix37j, the removed member's
codes for her (`void_codes_issued_by` -> `_locked`, FOR UPDATE). A code being used locks the other way: its
own row, then its person's (`selfguided.services._locked_code_and_record`; `activation._activate` then
`lock_for_account_change`). An admin taking the nurse off the team as the person types the nurse's code:
each waits for the other, PostgreSQL kills one (a deadlock error, a 500 for the admin or for the person)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import transaction

from keel.patients.models import Patient
from keel.patients.services import care_team
from keel.selfguided.models import LinkCode
from tests.accounts.test_leaver_codes_fix37e import _issue, _record
from tests.conftest import World
from tests.lock_waits import RACE_ON_POSTGRESQL, run, wait_for_a_lock_waiter

pytestmark = RACE_ON_POSTGRESQL


def _join_locks(link: LinkCode, held: threading.Event, go: threading.Event) -> Callable[[], bool]:
    """A link code being used, in `_locked_code_and_record`'s order: the code's row, then its person's."""

    def work() -> bool:
        with transaction.atomic():
            LinkCode.objects.select_for_update().filter(pk=link.pk).first()
            held.set()
            go.wait(timeout=30)
            Patient.objects.select_for_update(no_key=True).filter(pk=link.patient_id).first()
        return True

    return work


def test_care_team_removal_and_a_code_in_use_do_not_deadlock(world: World) -> None:
    nurse = world.staff["nurse"]
    patient = _record(world)
    _issue("link", nurse, patient)
    held, go = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {"waited": False}
    one = run(_join_locks(LinkCode.objects.get(created_by=nurse), held, go), outcomes, "join")
    assert held.wait(timeout=30)
    two = run(
        lambda: care_team.remove_from_care_team(
            by=world.staff["program_admin"], patient_id=patient.pk, user_id=nurse.pk
        ),
        outcomes,
        "removal",
    )
    outcomes["waited"] = wait_for_a_lock_waiter()  # the removal, holding the person, waits for the code
    go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert outcomes["waited"]
    assert not isinstance(outcomes.get("join"), Exception), outcomes  # a deadlock error lands here
    assert not isinstance(outcomes.get("removal"), Exception), outcomes
