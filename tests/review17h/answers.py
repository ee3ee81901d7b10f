"""Issue #17 (lane shape17h): the answers of the seven writes whose bodies become typed (registration,
contact details, discharge, readmission, the bulk care team, the staff invitation, the program settings), API
and page, for every persona (tests/access) x 3 targets x a set of good and bad bodies. Not a test: run it
on the base commit and on the branch and compare the two files (`compare`):

    KEEL_ANSWERS_OUT=/tmp/base.jsonl pytest tests/review17h/answers.py -q -p no:cacheprovider
    python -m tests.review17h.answers /tmp/base.jsonl /tmp/branch.jsonl

Each answer is the status, the body (HTML with its CSRF token and nonce masked; in a 2xx JSON answer the ids
and times masked) and the audit rows the request wrote (action, outcome, target type, reason, detail). Every
request runs in a savepoint rolled back after it: each starts from the same world."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.conftest import ALL_ROLES, World, sign_in

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", *ALL_ROLES, "self_guided"]
TARGETS = ["own", "same_program", "other_program"]
LONG = "x" * 301
TOMORROW = (date.today() + timedelta(days=2)).isoformat()
FAR = "2099-01-01"


# Who may act on which target gets every body; the others (refused before any field is judged) these few.
FULL = {
    ("counselor", "own"),
    ("nurse", "own"),
    ("prescriber", "own"),
    ("program_admin", "own"),
    ("program_admin", "same_program"),
}
PROBES = {"good", "unknown key", "wrong types", "not an object"}


class _Rollback(Exception):
    pass


REGISTRATION = {
    "given_name": "Maya",
    "family_name": "Okafor",
    "date_of_birth": "1991-04-02",
    "episode_kind": "otp",
    "notice_given": True,
    "consented": True,
}
_PAGE_TRUE = {"notice_given": "on", "consented": "on"}

_COMMON_BAD: list[tuple[str, Any]] = [
    ("not an object", ["a", "list"]),
    ("null body", None),
]


def _registration_bodies() -> list[tuple[str, Any]]:
    r = REGISTRATION
    return [
        ("good", r),
        (
            "good full",
            {
                **r,
                "preferred_name": "M",
                "pronouns": "she/her",
                "phone": "555-123-4567",
                "email": "maya@example.org",
                "gender": "female",
                "birth_sex": "F",
                "preferred_language": "es",
                "record_number": "RX-77",
                "started_on": "2026-02-01",
                "address_line": "1 Main",
                "city": "Town",
                "region": "ST",
                "postal_code": "12345",
                "emergency_contact_name": "Ann",
                "emergency_contact_relationship": "sister",
                "emergency_contact_phone": "555 987 6543",
                "not_a_duplicate": True,
            },
        ),
        ("empty", {}),
        ("missing names", {k: v for k, v in r.items() if "name" not in k}),
        (
            "wrong types",
            {**r, "given_name": 5, "date_of_birth": 19910402, "notice_given": "yes", "gender": ["female"]},
        ),
        ("lists for text", {**r, "family_name": ["a"], "phone": ["555"], "email": ["a@b.org"]}),
        ("nulls", {k: None for k in r}),
        ("unknown key", {**r, "favourite_colour": "blue"}),
        ("unknown keys and bad", {"nickname": "x", "given_name": ""}),
        ("too long", {**r, "given_name": LONG, "pronouns": LONG, "postal_code": LONG, "record_number": LONG}),
        ("bad email", {**r, "email": "not an email"}),
        ("long email", {**r, "email": "a" * 250 + "@example.org"}),
        ("future birth", {**r, "date_of_birth": FAR}),
        ("birth tomorrow", {**r, "date_of_birth": TOMORROW}),
        ("before 1900", {**r, "date_of_birth": "1899-12-31"}),
        ("date with zone", {**r, "date_of_birth": "1991-04-02T00:00:00-05:00"}),
        ("started before birth", {**r, "started_on": "1990-01-01"}),
        ("started future", {**r, "started_on": TOMORROW}),
        (
            "bad choices",
            {**r, "gender": "x", "birth_sex": "Q", "preferred_language": "fr", "episode_kind": "z"},
        ),
        ("bad phone", {**r, "phone": "12", "emergency_contact_phone": "abc"}),
        ("contact half", {**r, "emergency_contact_relationship": "sister"}),
        ("bad record number", {**r, "record_number": "has space!"}),
        ("taken record number", {**r, "record_number": "RR-0001"}),
        (
            "duplicate",
            {**r, "given_name": "Alicia", "family_name": "Zamorano", "date_of_birth": "1990-05-17"},
        ),
        (
            "duplicate confirmed",
            {
                **r,
                "given_name": "Alicia",
                "family_name": "Zamorano",
                "date_of_birth": "1990-05-17",
                "not_a_duplicate": True,
            },
        ),
        ("not confirmed", {**r, "notice_given": False, "consented": "false"}),
        ("program unknown", {**r, "program": "nowhere"}),
        ("program list", {**r, "program": ["riverside"]}),
        *_COMMON_BAD,
    ]


def _contact_bodies() -> list[tuple[str, Any]]:
    return [
        ("good", {"phone": "555-222-3333", "preferred_language": "es"}),
        ("good email", {"email": "alicia@example.org", "version": 1}),
        ("empty", {}),
        ("unknown key", {"given_name": "Other", "phone": "555-222-3333"}),
        ("unknown keys", {"zzz": 1, "aaa": 2}),
        ("wrong types", {"phone": 5555555, "preferred_language": 1, "version": "x"}),
        ("lists for text", {"city": ["a"], "email": ["a@b.org"]}),
        ("nulls", {"city": None, "email": None, "preferred_language": None, "version": None}),
        ("blank language", {"preferred_language": ""}),
        ("too long", {"city": LONG, "postal_code": LONG}),
        ("bad email", {"email": "no at sign"}),
        ("long email", {"email": "a" * 250 + "@example.org"}),
        ("contact half", {"emergency_contact_phone": "555 987 6543"}),
        ("contact name only", {"emergency_contact_name": "Ann"}),
        ("stale version", {"phone": "555-222-3333", "version": 99}),
        ("negative version", {"version": -1}),
        ("bool version", {"version": True}),
        *_COMMON_BAD,
    ]


def _discharge_bodies() -> list[tuple[str, Any]]:
    return [
        ("good", {"reason": "completed"}),
        ("good dated", {"reason": "left", "ended_on": "2026-03-01"}),
        ("empty", {}),
        ("unknown key", {"reason": "completed", "note": "x"}),
        ("wrong types", {"reason": 5, "ended_on": 20260301}),
        ("list reason", {"reason": ["completed"]}),
        ("nulls", {"reason": None, "ended_on": None}),
        ("future", {"reason": "completed", "ended_on": FAR}),
        ("tomorrow", {"reason": "completed", "ended_on": TOMORROW}),
        ("before start", {"reason": "completed", "ended_on": "2025-12-01"}),
        ("before 1900", {"reason": "completed", "ended_on": "1899-01-01"}),
        ("date with zone", {"reason": "completed", "ended_on": "2026-03-01T00:00:00+09:00"}),
        ("bad reason", {"reason": "bored"}),
        ("transfer no consent", {"reason": "transferred", "recipient_name": "Elsewhere", "password": "x"}),
        ("transfer bad consent", {"reason": "transferred", "consent": "abc", "password": ["x"]}),
        *_COMMON_BAD,
    ]


def _readmit_bodies() -> list[tuple[str, Any]]:
    ok = {"notice_given": True, "consented": True}
    return [
        ("good", ok),
        ("good full", {**ok, "started_on": "2026-03-01", "episode_kind": "obot"}),
        ("empty", {}),
        ("unknown key", {**ok, "reason": "back"}),
        ("wrong types", {**ok, "started_on": 5, "episode_kind": 3}),
        ("strings true", {"notice_given": "true", "consented": "on"}),
        ("list kind", {**ok, "episode_kind": ["otp"]}),
        ("nulls", {"notice_given": None, "consented": None, "started_on": None, "episode_kind": None}),
        ("future", {**ok, "started_on": FAR}),
        ("tomorrow", {**ok, "started_on": TOMORROW}),
        ("before last end", {**ok, "started_on": "2026-01-20"}),
        ("before 1900", {**ok, "started_on": "1800-01-01"}),
        ("date with zone", {**ok, "started_on": "2026-03-01Z"}),
        ("bad kind", {**ok, "episode_kind": "spa"}),
        *_COMMON_BAD,
    ]


def _bulk_bodies(world: World, target: str) -> list[tuple[str, Any]]:
    p = world.target(target).pk
    nurse = world.staff["nurse"].pk
    return [
        ("good", {"patient_ids": [p], "user_id": nurse}),
        ("good both", {"patient_ids": [world.alice.pk, world.bob.pk], "user_id": nurse}),
        ("ids as text", {"patient_ids": [str(p)], "user_id": str(nurse)}),
        ("empty", {}),
        ("empty list", {"patient_ids": [], "user_id": nurse}),
        ("duplicate ids", {"patient_ids": [p, p, p], "user_id": nurse}),
        ("other program", {"patient_ids": [p, world.charlie.pk], "user_id": nurse}),
        ("not a list", {"patient_ids": p, "user_id": nurse}),
        ("text in list", {"patient_ids": ["abc"], "user_id": nurse}),
        ("null in list", {"patient_ids": [None], "user_id": nurse}),
        ("float in list", {"patient_ids": [1.5], "user_id": nurse}),
        ("too many", {"patient_ids": list(range(1, 203)), "user_id": nurse}),
        ("no user", {"patient_ids": [p]}),
        ("bad user", {"patient_ids": [p], "user_id": "abc"}),
        ("not team user", {"patient_ids": [p], "user_id": world.staff["auditor"].pk}),
        ("lakeside user", {"patient_ids": [p], "user_id": world.lakeside_nurse.pk}),
        ("unknown key", {"patient_ids": [p], "user_id": nurse, "role": "nurse"}),
        ("nulls", {"patient_ids": None, "user_id": None}),
        *_COMMON_BAD,
    ]


def _invite_bodies() -> list[tuple[str, Any]]:
    ok = {"email": "new.nurse@example.org", "role": "nurse"}
    return [
        ("good", ok),
        ("good names", {**ok, "first_name": "  Ana  Maria ", "last_name": "Lopez"}),
        ("empty", {}),
        ("unknown key", {**ok, "username": "ana"}),
        ("wrong types", {"email": 5, "role": 3, "first_name": 7}),
        ("lists", {"email": ["a@b.org"], "role": ["nurse"], "last_name": ["x"]}),
        ("nulls", {"email": None, "role": None, "first_name": None}),
        ("bad email", {**ok, "email": "not an email"}),
        ("bad role", {**ok, "role": "patient"}),
        ("too long", {**ok, "first_name": "y" * 151, "last_name": LONG}),
        ("taken", {**ok, "email": "r-nurse@example.org"}),
        *_COMMON_BAD,
    ]


def _settings_bodies() -> list[tuple[str, Any]]:
    ok = {"time_zone": "America/Chicago"}
    return [
        ("good", ok),
        (
            "good full",
            {
                **ok,
                "dosing_opens": "07:00",
                "dosing_closes": "11:30",
                "closure_days": [date.today().isoformat()],
                "contact_phone": "555 1212",
                "contact_address": "1 Main St",
            },
        ),
        ("days as text", {**ok, "closure_days": f"{date.today().isoformat()}, {date.today().isoformat()}"}),
        ("empty", {}),
        ("unknown key", {**ok, "name": "Other"}),
        ("wrong types", {"time_zone": 5, "dosing_opens": 700, "closure_days": 3, "contact_phone": 5}),
        ("lists", {"time_zone": ["UTC"], "contact_address": ["x"]}),
        ("nulls", {"time_zone": None, "dosing_opens": None, "dosing_closes": None, "closure_days": None}),
        ("bad zone", {"time_zone": "Mars/Olympus"}),
        ("one time", {**ok, "dosing_opens": "07:00"}),
        ("closes first", {**ok, "dosing_opens": "11:00", "dosing_closes": "07:00"}),
        ("time with offset", {**ok, "dosing_opens": "07:00+02:00", "dosing_closes": "09:00"}),
        ("bad day", {**ok, "closure_days": ["2026-13-01"]}),
        ("far day", {**ok, "closure_days": [FAR]}),
        ("empty days", {**ok, "closure_days": []}),
        ("duplicate days", {**ok, "closure_days": [date.today().isoformat()] * 3}),
        ("too long", {**ok, "contact_phone": LONG, "contact_address": LONG}),
        *_COMMON_BAD,
    ]


def _slug(target: str) -> str:
    return "lakeside" if target == "other_program" else "riverside"


def _form(body: Any) -> Any:
    """A JSON body as a page's form: true ticks a box ("on"), lists repeat, None and false are left out."""
    if not isinstance(body, dict):
        return {}
    out: dict[str, Any] = {}
    for k, v in body.items():
        if v is None or v is False:
            continue
        out[k] = "on" if v is True else v if isinstance(v, list) else str(v)
    return out


def _routes(world: World, target: str) -> list[tuple[str, str, str, list[tuple[str, Any]], bool]]:
    """(name, method, path, bodies, is_page)"""
    p = world.target(target).pk
    slug = _slug(target)
    reg = _registration_bodies()
    if target == "same_program":
        reg = [
            (n, {**b, "program": "riverside"}) if isinstance(b, dict) and "program" not in b else (n, b)
            for n, b in reg
        ]
    elif target == "other_program":
        reg = [
            (n, {**b, "program": "lakeside"}) if isinstance(b, dict) and "program" not in b else (n, b)
            for n, b in reg
        ]
    readmit = _readmit_bodies()
    return [
        ("api register", "POST", "/api/v1/patients", reg, False),
        ("page register", "POST", "/patients/new/", reg, True),
        ("api contact", "PATCH", f"/api/v1/patients/{p}/contact", _contact_bodies(), False),
        ("page contact", "POST", f"/patients/{p}/contact/", _contact_bodies(), True),
        ("api discharge", "POST", f"/api/v1/patients/{p}/discharge", _discharge_bodies(), False),
        ("page discharge", "POST", f"/patients/{p}/discharge/", _discharge_bodies(), True),
        ("api readmit", "POST", f"/api/v1/patients/{p}/readmit", readmit, False),
        (
            "page readmit",
            "POST",
            f"/patients/{p}/readmit/",
            [(n, {**b, "confirmed": True} if isinstance(b, dict) else b) for n, b in readmit],
            True,
        ),
        ("api bulk", "POST", "/api/v1/patients/care-teams", _bulk_bodies(world, target), False),
        ("page bulk", "POST", "/program/care-teams/", _bulk_bodies(world, target), True),
        ("api invite", "POST", f"/api/v1/programs/{slug}/invitations", _invite_bodies(), False),
        ("page invite", "POST", "/program/staff/", _invite_bodies(), True),
        ("api settings", "PUT", f"/api/v1/programs/{slug}/settings", _settings_bodies(), False),
        ("page settings", "POST", "/program/settings/", _settings_bodies(), True),
    ]


_MASKS = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken" value="*"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce="*"'),
    (re.compile(r"/accounts/invitation/[^/\s\"']+/"), "/accounts/invitation/*/"),
    (re.compile(r"works until \d{4}-\d\d-\d\d \d\d:\d\d"), "works until *"),  # the time of the run
    (re.compile(r"/patients/\d+/\?registered=1"), "/patients/*/?registered=1"),  # a sequence (PostgreSQL)
]
_MASK_KEYS = {"id", "expires_at", "uploaded_at", "sha256"}


def _masked(text: str) -> str:
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "*" if k in _MASK_KEYS else _mask_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(v) for v in value]
    return value


def _body(response: Any) -> Any:
    text = response.content.decode(errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        return _mask_json(data) if response.status_code < 300 else data
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text


def _ended(world: World, target: str) -> None:
    """Readmission needs someone out of care: the target's episode ended (inside the savepoint)."""
    from keel.patients.models import Enrollment

    Enrollment.objects.filter(patient=world.target(target)).update(
        status="ended", ended_on=date(2026, 2, 1), end_reason="completed"
    )


def _audit_rows(before: int) -> list[Any]:
    from keel.audit.models import AuditEvent

    return [
        [e.action, e.outcome, e.target_type, e.reason, e.detail, e.patient_id is not None]
        for e in AuditEvent.objects.order_by("id")[before:]
    ]


def _send(client: Client, method: str, path: str, body: Any, page: bool) -> Any:
    if page:
        return client.post(path, _form(body))
    return client.generic(method, path, json.dumps(body), content_type="application/json")


@pytest.mark.skipif(
    not os.environ.get("KEEL_ANSWERS_OUT"), reason="a capture, run by hand (see the docstring)"
)
@pytest.mark.timeout(0)  # a capture of hundreds of requests: as long as the machine takes
@pytest.mark.parametrize("route", range(14))
def test_capture(world: World, route: int) -> None:
    from keel.audit.models import AuditEvent

    out = open(os.environ["KEEL_ANSWERS_OUT"] + f".{route:02d}", "w")  # noqa: SIM115
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            sign_in(client, world.user(role))
        for target in TARGETS:
            name, method, path, bodies, page = _routes(world, target)[route]
            if (role, target) not in FULL:  # refused before the body is read: a few bodies show it
                bodies = [(label, body) for label, body in bodies if label in PROBES]
            for label, body in bodies:
                before = AuditEvent.objects.count()
                try:
                    with transaction.atomic():
                        if "readmit" in name:
                            _ended(world, target)
                        response = _send(client, method, path, body, page)
                        row = {
                            "key": [name, role, target, label],
                            "status": response.status_code,
                            "location": _masked(response.get("Location", "")),
                            "body": _body(response),
                            "audit": _audit_rows(before),
                        }
                        raise _Rollback
                except _Rollback:
                    pass
                out.write(json.dumps(row, sort_keys=True, default=str) + "\n")
    out.close()


UNKNOWN = "not an input of this rule"


def _unknown_key_refused(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The change made on purpose: a JSON key that is not a field is now refused by name (422), alone, or
    first beside the same errors as before; nothing written."""
    if after["status"] != 422 or not isinstance(after["body"], dict) or after["audit"]:
        return False
    errors = after["body"].get("errors", [])
    rest = [e for e in errors if e["reason"] != UNKNOWN]
    if len(rest) == len(errors):
        return False
    if before["status"] == 422 and isinstance(before["body"], dict):
        return rest == before["body"].get("errors")
    return rest == []


def compare(before_path: str, after_path: str) -> int:
    def load(path: str) -> dict[str, Any]:
        rows: dict[str, Any] = {}
        for i in range(14):
            with open(f"{path}.{i:02d}") as f:
                for line in f:
                    row = json.loads(line)
                    for pattern, repl in _MASKS:  # (masks added after a capture apply to it too)
                        row["location"] = pattern.sub(repl, row["location"])
                        if isinstance(row["body"], str):
                            row["body"] = pattern.sub(repl, row["body"])
                    rows[json.dumps(row.pop("key"))] = row
        return rows

    before, after = load(before_path), load(after_path)
    common = [k for k in before if k in after]
    same = [k for k in common if after[k] == before[k]]
    unknown = [k for k in common if after[k] != before[k] and _unknown_key_refused(before[k], after[k])]
    other = [k for k in common if after[k] != before[k] and k not in unknown]
    refused = sum(1 for k in common if before[k]["status"] == 422)
    print(
        f"{len(before)} answers before, {len(after)} after, {len(common)} compared ({refused} of them 422 "
        f"before): identical {len(same)}; a key that is not a field now refused by name {len(unknown)}; "
        f"other differences {len(other)}"
    )
    by_status: dict[str, int] = {}
    for k in unknown:
        label = f"{json.loads(k)[0]}: {before[k]['status']} -> 422"
        by_status[label] = by_status.get(label, 0) + 1
    for label, n in sorted(by_status.items()):
        print(f"  unknown key refused, {label}: {n}")
    for k in other:
        b, a = before[k], after[k]
        parts = [f"{f}: {str(b[f])[:300]!r} -> {str(a[f])[:300]!r}" for f in b if b[f] != a.get(f)]
        print(k, "|", " | ".join(parts))
    return 0 if not other else 1


if __name__ == "__main__":
    sys.exit(compare(sys.argv[1], sys.argv[2]))
