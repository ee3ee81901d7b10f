"""Public directory pages (no sign-in, nothing stored, no JavaScript needed) and the admin's feed upload."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from keel.directory.models import ImportRun, Meeting
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data"
WED_6PM = datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo("America/New_York"))


def _feed() -> bytes:
    base = {
        "day": 3,
        "time": "19:00",
        "timezone": "America/New_York",
        "address": "1 Main St",
        "city": "Oneonta",
    }
    return json.dumps(
        [
            base
            | {
                "name": "Hope for Families",
                "slug": "fam",
                "latitude": 42.465,
                "longitude": -75.045,
                "types": ["S"],
            },
            base | {"name": "Tuesday Steps", "slug": "na1", "latitude": 42.47, "longitude": -75.06, "day": 2},
            base
            | {
                "name": "Night Owls Online",
                "slug": "web",
                "conference_url": "https://meet.example/1",
                "time": "20:00",
            },
        ]
    ).encode()


def _upload(client: Client, content: bytes, **extra: str) -> object:
    from keel.accounts.models import Program

    data = {
        "program": str(Program.objects.get(slug="riverside").pk),
        "kind": "meetings",
        "format": "meeting-guide",
        "source": "feed",
        "timezone": "",
        "fellowship": "aa",
    }
    return client.post(
        "/en/directory/import/", data | extra | {"file": SimpleUploadedFile("feed.json", content)}
    )


def test_a_program_admin_uploads_a_feed_and_sees_the_report(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    response = _upload(client, _feed())
    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200 and "Import report" in page  # type: ignore[attr-defined]
    assert ImportRun.objects.get().counts["created"] == 3
    again = _upload(client, _feed()).content.decode()  # type: ignore[attr-defined]
    assert "<dt>Unchanged</dt><dd>3</dd>" in again.replace("\n", "")


def test_an_upload_that_is_not_a_feed_changes_nothing(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    response = _upload(client, b"<html>not a feed</html>")
    assert response.status_code == 422 and "Nothing was changed" in response.content.decode()  # type: ignore[attr-defined]
    assert Meeting.objects.count() == 0


def test_only_program_admins_may_upload(world: World) -> None:
    response = _upload(sign_in(Client(), world.staff["nurse"]), _feed())
    assert response.status_code == 403 and Meeting.objects.count() == 0  # type: ignore[attr-defined]


@time_machine.travel(WED_6PM, tick=False)
def test_a_family_member_finds_family_meetings_near_a_zip_and_nothing_is_stored(world: World) -> None:
    _upload(sign_in(Client(), world.staff["program_admin"]), _feed())
    counts = {m.__name__: m.objects.count() for m in apps.get_models()}
    client = Client()
    page = client.get("/en/find/meetings/?place=13820&radius_mi=10&fellowship=families")
    assert page.status_code == 200
    # fellowship=families shows Nar-Anon/Al-Anon only; this feed's meetings are AA, so none match ...
    assert "Hope for Families" not in page.content.decode()
    Meeting.objects.filter(source_id="fam").update(fellowship="nar-anon")
    body = client.get("/en/find/meetings/?place=13820&radius_mi=10&fellowship=families").content.decode()
    assert "Hope for Families" in body
    assert "Tuesday Steps" not in body
    assert "Directions" in body
    assert "Near Oneonta, NY 13820" in body
    assert "Next: Wednesday" in body
    assert {m.__name__: m.objects.count() for m in apps.get_models()} == counts
    assert set(client.cookies) <= {"csrftoken", "django_language"}


@time_machine.travel(WED_6PM, tick=False)
def test_the_meeting_page_speaks_spanish(world: World) -> None:
    _upload(sign_in(Client(), world.staff["program_admin"]), _feed())
    client = Client()
    body = client.get("/es/find/meetings/?place=13820").content.decode()
    assert (
        "Buscar una reunión" in body and "Cómo llegar" in body and "Español" in body
    )  # type label "Spanish"


def test_an_unknown_zip_is_explained_next_to_the_box() -> None:
    response = Client().get("/en/find/meetings/?place=00000")
    assert response.status_code == 422
    assert "We don&#x27;t know the ZIP code 00000" in response.content.decode()


def test_the_search_page_works_without_javascript_and_has_no_inline_script() -> None:
    body = Client().get("/en/find/meetings/").content.decode()
    assert '<form method="get"' in body
    assert "<script>" not in body
    assert 'src="/static/directory/locate.js"' in body
