"""Lane fix38a item 2: methadone at the window beside low-dose (Bernese) buprenorphine steps GIVEN HERE passes
(the planned overlap, Hammig 2016) and its decision says so, with its sources, as a pharmacy fill of the
low-dose order does (`LOW_DOSE_FILL`, lane fix37c): the sibling reason `LOW_DOSE_STEPS`, naming the step
given here, stored on the dose, shown on the API's answer, said in Spanish."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from keel.core.rules.agonists import LOW_DOSE_STEPS
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.review36f._setup import order
from tests.treatment.test_switching_fix37c import STEPS, _methadone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _third_step_here(world: World, now: datetime) -> None:
    """The low-dose order begun two days ago, its steps 1 and 2 given here, step 3 given here two hours ago;
    methadone 30 mg written an hour ago."""
    today = local_today(world.alice, now)
    first = today - timedelta(days=2)
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        schedule=STEPS,
        now=now - timedelta(days=2, hours=1),
        starts_on=first,
    )
    given_on(world, bup, first, STEPS[0]["mg"], 1)
    given_on(world, bup, first + timedelta(days=1), STEPS[1]["mg"], 2)
    given_on(world, bup, today, STEPS[2]["mg"], 3, at=now - timedelta(hours=2))
    order(world, "methadone", "30", now - timedelta(hours=1))


def test_methadone_beside_a_low_dose_step_given_here_is_given(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    assert _methadone(world, now).dose.amount_mg == 30


def test_the_verdict_says_the_step_given_here_is_the_planned_overlap(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    assert LOW_DOSE_STEPS in [r.template for r in _methadone(world, now).decision.reasons]


def test_the_planned_overlap_of_steps_here_cites_the_bernese_method(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    sources = {s for r in _methadone(world, now).decision.reasons for s in r.sources}
    assert "hammig-2016" in sources


def test_the_planned_overlap_of_steps_here_cites_one_agonist_a_day(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    sources = {s for r in _methadone(world, now).decision.reasons for s in r.sources}
    assert "keel-one-agonist-a-day" in sources


def test_the_planned_overlap_names_the_step_given_here(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    said = next(r for r in _methadone(world, now).decision.reasons if r.template == LOW_DOSE_STEPS)
    assert dict(said.params)["step"] == 3


def test_the_planned_overlap_of_steps_here_is_stored_on_the_dose(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    dose = DoseRecord.objects.get(pk=_methadone(world, now).dose.pk)
    assert any("low-dose start" in r["text"] for r in dose.decision["reasons"])


def test_the_apis_answer_says_the_step_given_here_is_the_planned_overlap(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        data=json.dumps({"amount_mg": 30, "sequence": 1}),
        content_type="application/json",
    )
    assert "planned overlap" in response.content.decode(), response.content


def test_the_planned_overlap_of_steps_here_is_said_in_spanish() -> None:
    with translation.override("es"):
        assert translation.gettext(LOW_DOSE_STEPS) != LOW_DOSE_STEPS


def test_the_medication_page_says_the_step_given_here_is_the_planned_overlap(world: World) -> None:
    now = timezone.now()
    _third_step_here(world, now)
    _methadone(world, now)
    client = sign_in(Client(), world.staff["prescriber"])
    page = html.unescape(client.get(f"/patients/{world.alice.pk}/medication/").content.decode())
    assert "as step 3 of the person's 7-step low-dose start" in page
