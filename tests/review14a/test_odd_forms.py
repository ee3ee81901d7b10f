"""Review 14a: odd emails, record numbers that differ only in case, and the contact page's version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import World, sign_in


def _post(c: Client, path: str, body: Any, method: str = "post") -> Any:
    return getattr(c, method)("/api/v1" + path, data=json.dumps(body), content_type="application/json")


def _fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def _reg(**over: Any) -> dict[str, Any]:
    return {
        "given_name": "Odd",
        "family_name": "Form",
        "date_of_birth": "1980-01-01",
        "episode_kind": "obot",
        "notice_given": True,
        "consented": True,
        **over,
    }


@pytest.mark.parametrize("email", ["a@localhost", "a@[127.0.0.1]", "a@@b.org", " @b.org"])
def test_registration_odd_email_refused(world: World, email: str) -> None:
    """Reminders and codes go to this address: a host with no domain or a bare IP literal is not one."""
    r = _post(sign_in(Client(), world.staff["program_admin"]), "/patients", _reg(email=email))
    assert r.status_code == 422, (email, r.status_code, r.content[:200])
    assert "email" in _fields(r)


@pytest.mark.parametrize("email", ["a@localhost", "a@[127.0.0.1]"])
def test_invitation_odd_email_refused(world: World, email: str) -> None:
    r = _post(
        sign_in(Client(), world.staff["program_admin"]),
        "/programs/riverside/invitations",
        {"email": email, "role": "nurse"},
    )
    assert r.status_code == 422, (email, r.status_code, r.content[:200])
    assert "email" in _fields(r)


def test_registration_record_number_taken_in_other_case(world: World) -> None:
    r = _post(sign_in(Client(), world.staff["program_admin"]), "/patients", _reg(record_number="rr-0001"))
    assert r.status_code == 422 and "record_number" in _fields(r)


def test_registration_record_number_with_confusable_letters(world: World) -> None:
    """A Cyrillic letter that looks like Latin is not accepted in a record number."""
    r = _post(
        sign_in(Client(), world.staff["program_admin"]), "/patients", _reg(record_number="\u0420R-0001")
    )
    assert r.status_code == 422 and "record_number" in _fields(r)


def test_registration_duplicate_needs_confirmation_and_double_submit(world: World) -> None:
    c = sign_in(Client(), world.staff["program_admin"])
    body = _reg(given_name="alicia", family_name="ZAMORANO", date_of_birth="1990-05-17")
    r = _post(c, "/patients", body)
    assert r.status_code == 422 and "not_a_duplicate" in _fields(r)
    r = _post(c, "/patients", {**body, "not_a_duplicate": True})
    assert r.status_code == 201
    r = _post(c, "/patients", {**body, "not_a_duplicate": "true"})  # schema: a boolean
    assert r.status_code == 422, r.content[:200]


def test_settings_put_with_only_the_required_field_does_not_wipe_the_rest(world: World) -> None:
    """The published schema requires only time_zone; a client that sends just it must not silently clear
    the dosing hours, closure days and contact details (either refuse naming them, or leave them)."""
    c = sign_in(Client(), world.staff["program_admin"])
    full = {
        "time_zone": "America/Chicago",
        "dosing_opens": "06:00",
        "dosing_closes": "11:00",
        "closure_days": [],
        "contact_phone": "555 123 4567",
        "contact_address": "1 Main St",
    }
    assert _post(c, "/programs/riverside/settings", full, method="put").status_code == 200
    r = _post(c, "/programs/riverside/settings", {"time_zone": "America/Denver"}, method="put")
    if r.status_code == 422:
        assert {"contact_phone", "dosing_opens"} <= set(_fields(r))
    else:
        got = r.json()
        assert got["contact_phone"] == "555 123 4567" and got["dosing_opens"] == "06:00", got
