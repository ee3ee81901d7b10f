"""Review 14a: dates judged against today in the program's zone, around midnight (discharge, readmission,
registration), through the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import time_machine
from django.test import Client

from tests.conftest import World, sign_in

API = "/api/v1"


def _zone(world: World, zone: str) -> None:
    from keel.accounts.models import Program

    Program.objects.filter(pk=world.riverside.pk).update(time_zone=zone)


def _post(c: Client, path: str, body: Any) -> Any:
    return c.post(API + path, data=json.dumps(body), content_type="application/json")


def _fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def test_discharge_tomorrow_in_chicago_refused_though_today_in_utc(world: World) -> None:
    _zone(world, "America/Chicago")
    with time_machine.travel(datetime(2026, 12, 3, 3, 0, tzinfo=UTC), tick=False):  # Chicago: Dec 2, 21:00
        c = sign_in(Client(), world.staff["nurse"])
        r = _post(c, f"/patients/{world.alice.pk}/discharge", {"reason": "left", "ended_on": "2026-12-03"})
        assert r.status_code == 422, r.content
        assert "ended_on" in _fields(r)
        r = _post(c, f"/patients/{world.alice.pk}/discharge", {"reason": "left"})
        assert r.status_code == 200, r.content
        assert r.json()["ended_on"] == "2026-12-02"  # blank: today in the program's zone


def test_discharge_today_in_kiritimati_accepted_though_tomorrow_in_utc(world: World) -> None:
    _zone(world, "Pacific/Kiritimati")
    with time_machine.travel(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), tick=False):  # Dec 4, 02:00 there
        c = sign_in(Client(), world.staff["nurse"])
        r = _post(c, f"/patients/{world.alice.pk}/discharge", {"reason": "left", "ended_on": "2026-12-04"})
        assert r.status_code == 200, r.content


def test_readmit_in_the_programs_tomorrow_refused(world: World) -> None:
    _zone(world, "America/Los_Angeles")
    with time_machine.travel(datetime(2026, 12, 3, 7, 30, tzinfo=UTC), tick=False):  # LA: Dec 2, 23:30
        c = sign_in(Client(), world.staff["nurse"])
        assert _post(c, f"/patients/{world.alice.pk}/discharge", {"reason": "left"}).status_code == 200
        r = _post(
            c,
            f"/patients/{world.alice.pk}/readmit",
            {"notice_given": True, "consented": True, "started_on": "2026-12-03"},
        )
        assert r.status_code == 422 and "started_on" in _fields(r), r.content


def test_register_born_tomorrow_in_the_programs_zone_refused(world: World) -> None:
    _zone(world, "America/Chicago")
    with time_machine.travel(datetime(2026, 12, 3, 3, 0, tzinfo=UTC), tick=False):
        c = sign_in(Client(), world.staff["program_admin"])
        body = {
            "given_name": "Zed",
            "family_name": "Zone",
            "date_of_birth": "2026-12-03",
            "episode_kind": "otp",
            "notice_given": True,
            "consented": True,
        }
        r = _post(c, "/patients", body)
        assert r.status_code == 422 and "date_of_birth" in _fields(r), r.content
