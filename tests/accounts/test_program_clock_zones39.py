"""Lane zones39: what an operator reads says a day on the PROGRAM's clock (`patients.models.day_in`), not
the server's (KEEL_TIME_ZONE, here UTC): `keel policy show`'s last change, the day a staff member joined
(a pick-list telling two alike apart), the closure days' allowed range. The program is in Pacific/Auckland
(UTC+12/+13): 12:30 UTC is already the next day there, in winter and in summer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from keel.accounts import services as accounts
from keel.accounts.checks import program_settings
from keel.accounts.models import User
from keel.accounts.names import staff_choices
from keel.core.rules.inputs import FieldsInvalid
from keel.treatment.services.policy import set_value
from keel.web.dates import shown_date
from tests.conftest import PASSWORD, World, sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db
AUCKLAND, LOS_ANGELES = "Pacific/Auckland", "America/Los_Angeles"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.fixture
def auckland(world: World, settings: Any) -> World:
    settings.TIME_ZONE = "UTC"
    world.riverside.time_zone = AUCKLAND
    world.riverside.save(update_fields=["time_zone"])
    world.lakeside.time_zone = LOS_ANGELES
    world.lakeside.save(update_fields=["time_zone"])
    return world


def _late(days_back: int = 0) -> datetime:
    """12:30 UTC `days_back` days ago: the next calendar day in Auckland."""
    today = timezone.now().astimezone(ZoneInfo("UTC")).date() - timedelta(days=days_back)
    return datetime.combine(today, time(12, 30), tzinfo=ZoneInfo("UTC"))


def _day(moment: datetime, zone: str) -> date:
    day = moment.astimezone(ZoneInfo(zone)).date()
    assert day != moment.astimezone(ZoneInfo("UTC")).date()  # the test's moment straddles midnight
    return day


# --- keel policy show: the last change's day ---------------------------------------------------------


def test_policy_show_says_the_last_change_on_the_programs_day(auckland: World) -> None:
    at = _late(days_back=1)
    set_value(
        by=auckland.staff["program_admin"],
        program_slug="riverside",
        rule="methadone-dose-check",
        field="titration_step_max_mg",
        value=5,
        reason="new protocol from the medical director",
        now=at,
    )
    out = io.StringIO()
    call_command("policy", "show", "--program", "riverside", "--by", "r-nurse", stdout=out)
    line = next(x for x in out.getvalue().splitlines() if "new protocol" in x)
    assert f", {_day(at, AUCKLAND).isoformat()}: new protocol" in line, line


# --- the day a staff member joined (a pick-list's two alike) -----------------------------------------


def _two_nameless_nurses(world: World, joined: datetime) -> list[User]:
    second, _device = accounts.create_user(
        username="r-nurse-two", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    User.objects.filter(pk=world.staff["nurse"].pk).update(date_joined=joined - timedelta(days=3))
    User.objects.filter(pk=second.pk).update(date_joined=joined)
    return [User.objects.get(pk=world.staff["nurse"].pk), User.objects.get(pk=second.pk)]


def test_the_day_a_colleague_joined_is_the_programs_day(auckland: World) -> None:
    joined = _late(days_back=2)
    both = _two_nameless_nurses(auckland, joined)
    with translation.override("en"):
        labels = dict(staff_choices(both, zone=AUCKLAND))
    assert labels[both[1].pk] == f"Nurse (no name on file), joined {shown_date(_day(joined, AUCKLAND))}"


def test_a_staff_member_of_two_programs_joined_on_the_day_of_the_list_shown(auckland: World) -> None:
    """One account, one moment: each program's list says the day on its own clock."""
    joined = _late(days_back=2)
    both = _two_nameless_nurses(auckland, joined)
    with translation.override("en"):
        there = dict(staff_choices(both, zone=AUCKLAND))[both[1].pk]
        here = dict(staff_choices(both, zone=LOS_ANGELES))[both[1].pk]
    assert there.endswith(shown_date(_day(joined, AUCKLAND)))
    assert here.endswith(shown_date(joined.astimezone(ZoneInfo(LOS_ANGELES)).date()))


def test_the_care_team_page_says_the_joined_day_on_the_programs_clock(auckland: World) -> None:
    joined = _late(days_back=2)
    both = _two_nameless_nurses(auckland, joined)
    from keel.patients.models import CareTeamMember

    CareTeamMember.objects.filter(user__in=both).delete()
    page = sign_in(Client(), auckland.staff["program_admin"]).get(f"/patients/{auckland.alice.pk}/care-team/")
    assert page.status_code == 200
    assert f"joined {shown_date(_day(joined, AUCKLAND))}" in page.content.decode()


# --- the closure days' allowed range -----------------------------------------------------------------


def test_the_closure_days_range_counts_from_the_programs_today(auckland: World) -> None:
    """Two years ahead of today in Auckland, which is a day past two years ahead of today in UTC when
    Auckland is already on tomorrow; and a year back from Auckland's today refuses UTC's first allowed day."""
    late = _late()
    with time_machine.travel(late, tick=False):
        today = _day(late, AUCKLAND)
        last = today + timedelta(days=2 * 366)
        got = program_settings({"time_zone": AUCKLAND, "closure_days": [last.isoformat()]})
        assert got["closure_days"] == [last.isoformat()]
        too_far_back = today - timedelta(days=367)
        with pytest.raises(FieldsInvalid) as caught:
            program_settings({"time_zone": AUCKLAND, "closure_days": [too_far_back.isoformat()]})
        assert [e.field for e in caught.value.errors] == ["closure_days"]
