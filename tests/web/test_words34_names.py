"""Lane words34: two staff members with no name on file read alike ("Nurse (no name on file)" twice); a
pick-list tells them apart by the day each joined (then the time, when they joined the same day), never by a
username or an id. The API keeps its machine fields (`written_by`, `set_by`) and adds a readable `*_name`."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from keel.accounts import services as accounts
from keel.accounts.models import User
from keel.accounts.names import staff_choices
from keel.patients.models import CareTeamMember
from keel.treatment import queries
from keel.treatment.services.orders import prescribe
from keel.treatment.services.policy import set_value
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db
LANGS = ["en", "es"]


def _second_nameless_nurse(world: World, days_later: int = 40) -> User:
    nurse, _device = accounts.create_user(
        username="r-nurse-two", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    first = world.staff["nurse"]
    User.objects.filter(pk=nurse.pk).update(date_joined=first.date_joined + timedelta(days=days_later))
    CareTeamMember.objects.create(patient=world.alice, user=nurse)
    return User.objects.get(pk=nurse.pk)


def _options(text: str, select_id: str) -> list[str]:
    found = re.search(rf'<select[^>]*\bid="{select_id}"[^>]*>.*?</select>', text, re.S)
    assert found, select_id
    return [html.unescape(o).strip() for o in re.findall(r"<option[^>]*>(.*?)</option>", found[0], re.S)]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("role", "url", "select_id"),
    [
        ("program_admin", "/program/care-teams/", "user_id"),
        ("program_admin", "/patients/{bob}/care-team/", "id_user_id"),
        ("counselor", "/patients/{alice}/appointments/", "with_id"),
        ("prescriber", "/patients/{alice}/start/", "responsible"),
    ],
)
def test_two_nameless_nurses_read_apart_in_every_pick_list(
    world: World, signed_in: Any, lang: str, role: str, url: str, select_id: str
) -> None:
    second = _second_nameless_nurse(world)
    path = url.format(alice=world.alice.pk, bob=world.bob.pk)
    response = signed_in(role).get(path, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    options = [o for o in _options(response.content.decode(), select_id) if o not in {"", "—"}]
    assert len(options) == len(set(options)), options
    text = response.content.decode()
    assert world.staff["nurse"].username not in text and second.username not in text


def test_a_nameless_nurse_is_told_apart_by_the_day_she_joined(world: World) -> None:
    second = _second_nameless_nurse(world)
    with translation.override("en"):
        labels = dict(
            staff_choices(
                [world.staff["nurse"], second, world.staff["prescriber"]], zone=world.riverside.time_zone
            )
        )
    assert labels[second.pk].startswith("Nurse (no name on file), joined ")
    assert labels[world.staff["prescriber"].pk] == "Prescriber (no name on file)"  # no twin: as it was


def test_two_who_joined_the_same_day_are_told_apart_by_the_time(world: World) -> None:
    second = _second_nameless_nurse(world, days_later=0)
    zone = world.riverside.time_zone  # the list is the program's: its clock (lane zones39)
    noon = timezone.localtime(world.staff["nurse"].date_joined, ZoneInfo(zone)).replace(hour=12, minute=0)
    User.objects.filter(pk=world.staff["nurse"].pk).update(date_joined=noon)
    User.objects.filter(pk=second.pk).update(date_joined=noon + timedelta(minutes=5))
    both = [User.objects.get(pk=world.staff["nurse"].pk), User.objects.get(pk=second.pk)]
    labels = [label for _pk, label in staff_choices(both, zone=zone)]
    assert labels[0] != labels[1]
    assert "12:00" in labels[0] and "12:05" in labels[1]  # the day and the time of day


def test_the_policy_api_adds_who_set_a_value_as_a_person_reads_it(world: World, signed_in: Any) -> None:
    admin = world.staff["program_admin"]
    User.objects.filter(pk=admin.pk).update(first_name="Rosa", last_name="Marín")
    admin.refresh_from_db()
    set_value(
        by=admin,
        program_slug="riverside",
        rule="take-home-eligibility",
        field="program_max_days",
        value=14,
        reason="Our medical director asked for a longer first stretch this year.",
    )
    body = signed_in("program_admin").get("/api/v1/programs/riverside/policy").json()
    row = next(v for v in body["values"] if v["field"] == "program_max_days")
    assert row["set_by"] == admin.username  # the machine field, kept
    assert row["set_by_name"] == "Rosa Marín"
    unset = next(v for v in body["values"] if v["set_by"] is None)
    assert unset["set_by_name"] is None


def test_a_stale_orders_409_adds_who_wrote_the_newest_order_by_name(world: World, signed_in: Any) -> None:
    token = queries.orders_version(world.alice)
    prescriber = world.staff["prescriber"]
    prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        orders_version=queries.orders_version(world.alice),
    )
    response = signed_in("prescriber").post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        {"medication": "methadone", "dose_mg": "60", "orders_version": token},
        content_type="application/json",
    )
    assert response.status_code == 409, response.content
    newest = response.json()["changed"]["newest_order"]
    assert newest["written_by_name"] == "Prescriber (no name on file)"
    assert newest["written_by"] == prescriber.username  # the field integrators read, kept as it was
