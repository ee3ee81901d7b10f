"""Lane fix35f (review 35f, holes 1 and 3): an early re-dose override lifts the re-dose interval only, never
its check that a dose is not the same dose entered twice (within the program's `same_dose_minutes` of the
last dose, any amount, any route, across midnight); and no override of any kind is written for a person
whose episode of care has ended (the service, the API: 422 naming `patient`; the medication page: its
message), nothing written. A readmitted person's prescriber writes one again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.core.rules.window import SAME_DOSE_FIELD
from keel.patients import services as patients
from keel.patients.models import Enrollment
from keel.patients.schemas import DischargeIn
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride
from tests.conftest import World, sign_in
from tests.treatment.test_redose_override_meth35 import SPLIT, _api, _page, blocked, steady, words
from tests.treatment.test_titration_meth35 import at, give, override

pytestmark = pytest.mark.django_db
TWICE = "it looks like the same dose entered twice"


# --- Hole 1: the same dose entered twice is held whatever the override ------------------------------------


def test_another_amount_a_minute_later_is_held_on_an_early_re_dose_override(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert blocked(world, "10", at(world, today, 9, 1)).decision.decision == "needs_override"


def test_the_refusal_says_it_may_be_the_same_dose_entered_twice(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    # lane fix36c (review 35f, left): under the override the words say the same dose plainly
    assert TWICE in words(blocked(world, "15", at(world, today, 9, 1)))


def test_a_limit_override_with_the_re_dose_override_does_not_pass_it(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), max_total_mg="50", reason=SPLIT)
    override(world, at(world, today, 8, 5), kind="redose", reason=SPLIT)
    give(world, "30", at(world, today))
    assert blocked(world, "20", at(world, today, 9, 2)).decision.decision == "needs_override"


def test_across_midnight_the_new_days_override_does_not_pass_it(world: World) -> None:
    today = steady(world, days=(3, 2))
    give(world, "15", at(world, today - timedelta(days=1), 23, 58))
    override(world, at(world, today, 0, 0), kind="redose", reason=SPLIT)
    assert blocked(world, "15", at(world, today, 0, 2)).decision.decision == "needs_override"


def test_the_api_retry_without_a_sequence_is_held(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    with time_machine.travel(at(world, today, 9, 1), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"medication": "methadone", "amount_mg": "15"},
            content_type="application/json",
        )
    assert response.status_code != 201


def test_at_the_duplicate_window_the_split_dose_is_given(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    # lane fix36c: the bound is program policy now (`same_dose_minutes`); the default here
    later = at(world, today) + timedelta(minutes=float(SAME_DOSE_FIELD.default or 0))
    assert give(world, "15", later).decision.decision == "allowed_with_rationale"


# --- Hole 3: no override for a person not in care ----------------------------------------------------------


def _discharged(world: World, today: Any) -> None:
    """The program admin discharges Alice at 08:00 today (the discharge service)."""
    with time_machine.travel(at(world, today, 8), tick=False):
        patients.discharge(
            by=world.staff["program_admin"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "other"}),
        )


@pytest.mark.parametrize(
    "kw", [{"kind": "redose"}, {"kind": "limit", "max_total_mg": "40"}, {"kind": "hours"}]
)
def test_no_override_of_any_kind_for_a_discharged_person(world: World, kw: dict[str, Any]) -> None:
    today = steady(world)
    _discharged(world, today)
    with pytest.raises(TreatmentInvalid) as exc:
        override(world, at(world, today, 9), reason=SPLIT, **kw)
    assert exc.value.errors[0].field == "patient"


def test_nothing_is_written_for_a_discharged_person(world: World) -> None:
    today = steady(world)
    _discharged(world, today)
    with pytest.raises(TreatmentInvalid):
        override(world, at(world, today, 9), kind="redose", reason=SPLIT)
    assert not DoseOverride.objects.filter(patient=world.alice).exists()


def test_the_api_names_the_person_with_422(world: World) -> None:
    today = steady(world)
    _discharged(world, today)
    response = _api(world, "prescriber", {"kind": "redose", "reason": SPLIT}, at(world, today, 9))
    assert response.json()["errors"][0]["field"] == "patient"


def test_the_api_refuses_it_with_422(world: World) -> None:
    today = steady(world)
    _discharged(world, today)
    response = _api(world, "prescriber", {"kind": "redose", "reason": SPLIT}, at(world, today, 9))
    assert response.status_code == 422


def test_the_stale_medication_page_says_the_episode_ended(world: World) -> None:
    today = steady(world)
    _discharged(world, today)
    page = _page(
        world, "prescriber", at(world, today, 9), kind="redose", medication="methadone", reason=SPLIT
    )
    assert "episode of care has ended: no override can be written" in page.content.decode()


def test_a_readmitted_person_gets_an_override_again(world: World) -> None:
    today = steady(world)
    _discharged(world, today)
    Enrollment.objects.create(patient=world.alice, program=world.riverside, started_on=today)
    assert override(world, at(world, today, 9), kind="redose", reason=SPLIT).kind == "redose"
