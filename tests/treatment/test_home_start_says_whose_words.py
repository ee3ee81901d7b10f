"""Lane es21 (item 1): the home start page says where each time of last use comes from. Before this, every
time was labelled "Last time you told us" ("La última vez nos dijo"), a dose the clinic gave that morning
too: the clinic's record was put in the person's mouth. Now a dose given at the clinic, a pharmacy fill and
a care team's correction say so, and only the person's own answer says "you told us", in English and
Spanish."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import World, sign_in
from tests.factories import ready_at_home

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York), a Thursday


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _labels(world: World, language: str = "en") -> dict[str, str]:
    """Each opioid's line under its name on Alice's home start page, its spaces joined."""
    page = sign_in(Client(), world.alice.user).get("/me/home-start/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    html = page.content.decode()
    rows = re.findall(
        r'<label for="last-(\w+)">.*?</label>\s*(?:<p class="muted" id="last-\w+-said">(.*?)</p>)?',
        html,
        re.S,
    )
    return {code: " ".join(said.split()) for code, said in rows if said.strip()}


def _methadone_at_the_clinic(world: World) -> None:
    from keel.treatment.services import prescribe, record_dose

    prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="20", now=NOW
    )
    record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="20", now=NOW - timedelta(minutes=30)
    )


def test_a_clinic_dose_is_the_clinics_record_and_a_reported_use_the_persons_words(world: World) -> None:
    ready_at_home(world, NOW)  # heroin at 10:00 on Wednesday, as reported
    _methadone_at_the_clinic(world)  # given at 09:30 today
    labels = _labels(world)
    assert labels["methadone"] == "Your last dose at the clinic: Thu 09:30"
    assert labels["heroin"] == "You told us you last used it: Wed 10:00"
    assert not any("Last time you told us" in text for text in labels.values())


def test_each_note_is_read_with_its_field(world: World) -> None:
    """A screen reader hears the note with the field it is about (aria-describedby)."""
    ready_at_home(world, NOW)
    html = sign_in(Client(), world.alice.user).get("/me/home-start/").content.decode()
    assert 'id="last-heroin-said"' in html
    assert 'aria-describedby="last-heroin-said"' in html


def test_the_same_in_spanish(world: World) -> None:
    ready_at_home(world, NOW)
    _methadone_at_the_clinic(world)
    labels = _labels(world, "es")
    assert labels["methadone"] == "Su última dosis en la clínica: jue 09:30"
    assert labels["heroin"] == "Nos dijo que lo usó por última vez: mié 10:00"
    assert not any("nos dijo" in text.lower() for code, text in labels.items() if code != "heroin")


def test_a_pharmacy_fill_is_not_the_persons_words(world: World) -> None:
    from keel.treatment.models import MedicationOrder
    from keel.treatment.services import record_fill

    ready_at_home(world, NOW)
    order = MedicationOrder.objects.get(patient=world.alice, medication="buprenorphine")
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=order.pk,
        filled_on="2026-12-03",
        days_supply=7,
        source="pharmacy",
        now=NOW,
    )
    assert _labels(world)["buprenorphine"] == "Your pharmacy supply counts as taken through Dec. 3, 2026"
    spanish = _labels(world, "es")["buprenorphine"]
    assert spanish == "Su medicamento de la farmacia cuenta como tomado hasta el 3 de diciembre de 2026"


def test_a_time_the_care_team_corrected_says_so(world: World) -> None:
    from keel.treatment.services import correct_last_use

    ready_at_home(world, NOW)
    correct_last_use(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        opioid="heroin",
        struck_at="2026-12-02T10:00:00-05:00",
        corrected_at="2026-12-02T08:00:00-05:00",
        reason="She told me at the visit it was earlier, around eight in the morning",
        now=NOW,
    )
    assert _labels(world)["heroin"] == "Your care team changed the time you gave us to: Wed 08:00"
    assert _labels(world, "es")["heroin"] == "Su equipo de atención cambió la hora que nos dio a: mié 08:00"
