"""The demo ships a directory that answers: samples around the demo programs (marked as samples) and a real
public feed (Quinte AA, 2017), imported without being told its time zone or fellowship."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from keel.directory import samples
from keel.directory.models import Facility, FeedSource, Meeting

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


@pytest.fixture
def directory() -> None:
    samples.load()


@pytest.mark.parametrize("place", [p for p in samples.DEMO_PLACES])
def test_a_search_near_each_demo_program_finds_meetings_and_clinics(directory: None, place: object) -> None:
    where = f"{place.town}, {place.state}"  # type: ignore[attr-defined]
    meetings = html.unescape(Client().get(f"/en/find/meetings/?place={where}").content.decode())
    clinics = html.unescape(Client().get(f"/en/find/treatment/?place={where}").content.decode())
    assert "Sample: New Day NA" in meetings
    assert "Sample: Valley Opioid Treatment Program" in clinics
    assert "Sample listing for the demo: not a real meeting" in meetings
    assert "Sample listing for the demo: not a real clinic" in clinics


def test_every_sample_is_named_and_flagged_as_a_sample(directory: None) -> None:
    sample_sources = set(FeedSource.objects.filter(is_sample=True).values_list("name", flat=True))
    assert sample_sources == {samples.SAMPLE_MEETINGS, samples.SAMPLE_CLINICS}
    for name in Meeting.objects.filter(source__in=sample_sources).values_list("name", flat=True):
        assert name.startswith("Sample: ")
    for name in Facility.objects.filter(source__in=sample_sources).values_list("name", flat=True):
        assert name.startswith("Sample: ")
    links = Meeting.objects.exclude(conference_url="").values_list("conference_url", flat=True)
    assert links and all(link.startswith("https://meet.example.org/") for link in links)  # a reserved domain


def test_the_real_feed_is_shipped_and_imported_as_aa_in_its_own_zone(directory: None) -> None:
    real = Meeting.objects.filter(source=samples.REAL_SOURCE)
    assert real.count() == 45
    assert set(real.values_list("fellowship", "time_zone")) == {("aa", "America/Toronto")}
    assert not FeedSource.objects.get(name=samples.REAL_SOURCE).is_sample
    page = html.unescape(Client().get("/en/find/meetings/?place=Belleville, ON").content.decode())
    assert "Alcoholics Anonymous" in page
    assert "Sample listing" not in page.split("Online, starting soonest")[0]


@pytest.mark.parametrize("hour", [0, 3, 6, 9, 12, 15, 18, 21])
def test_an_online_meeting_is_starting_soon_at_any_hour(directory: None, hour: int) -> None:
    with time_machine.travel(datetime(2026, 12, 2, hour, 5, tzinfo=NY), tick=False):
        page = Client().get("/en/find/meetings/?attendance=online&within_hours=24").content.decode()
    assert page.count('class="card meeting"') >= 5


def test_loading_the_demo_directory_twice_changes_nothing(directory: None) -> None:
    before = (Meeting.objects.count(), Facility.objects.count())
    reports = samples.load()
    assert all(r.created == r.updated == r.deactivated == 0 for r in reports)
    assert (Meeting.objects.count(), Facility.objects.count()) == before


def test_the_demo_loads_the_directory() -> None:
    from keel import demo

    demo.load(patients_per_program=2)
    assert Meeting.objects.filter(source=samples.REAL_SOURCE).count() == 45
    assert Facility.objects.filter(source=samples.SAMPLE_CLINICS).count() == 8


def test_the_shipped_feed_is_the_real_public_one() -> None:
    import hashlib
    from pathlib import Path

    test_copy = Path(__file__).resolve().parents[1] / "data" / samples.REAL_FEED
    assert hashlib.sha256(samples.real_feed()).digest() == hashlib.sha256(test_copy.read_bytes()).digest()
