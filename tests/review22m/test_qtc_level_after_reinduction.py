"""Review 22m: "never below the level already given" (`level_given_under`, review 20a: stopping a stable dose
abruptly is harmful too) counts a level given on any day under the order, however long ago. After 25 days
with no methadone (a new induction by the program's policy: tolerance is gone, she is on 0 mg) and a QTc of
560 ms saved after the order was written (never weighed by a prescriber), the window treats the re-start as
"within the level given" (80 mg, a month ago): no QTc refusal, only the missed-days reassessment, which a
day's override releases, then titration back to 80 mg on 560 ms. A re-start after a re-induction gap is a
start: START_ON_LATER_QTC ("no methadone until the prescriber re-writes the start with a reason")."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.services.overrides import add_override
from tests.conftest import World
from tests.factories import given_daily
from tests.review22m.test_qtc_gate_rewrites import NEEDS_NEW_ORDER, _dose, _order, _qtc


def test_restart_after_a_reinduction_gap_on_an_unweighed_qtc_560_is_a_start(world: World) -> None:
    today = local_today(world.alice, timezone.now())
    order = _order(world, "80")
    given_daily(world, order, [today - timedelta(days=n) for n in range(60, 25, -1)], 80)  # last: 26 days ago
    _qtc(world, 560)
    add_override(  # the missed-days reassessment, as the window asks: a day's override
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg="30",
        reason="reassessed after 25 days away, restarting at thirty milligrams",
    )
    assert _dose(world, "30") == NEEDS_NEW_ORDER  # today: allowed_with_rationale, on 560 ms never weighed
