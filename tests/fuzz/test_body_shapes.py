"""SECURITY.md T3, odd body shapes (issue #14): any body shape on any JSON route — JSON nested 1,000 deep,
multipart or form encoding, a JSON body labelled as a form, bad UTF-8, a NUL in any content type — gets a 4xx
in the API's error shape ({"message", "errors"}), never a server error, and never a stored NUL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
BOUNDARY = "keelboundary"


def _multipart(fields: dict[str, str]) -> bytes:
    head = f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
    parts = [f'{head}name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


CHECKIN = {"craving": 3, "mood": 4, "used": False, "medication": "taken", "note": "fine"}
SHAPES: dict[str, tuple[bytes, str]] = {
    "nested 1000 deep (list)": (DEEP, "application/json"),
    "nested 1000 deep (object)": (DEEP_OBJECT, "application/json"),
    "form encoding": (b"craving=3&mood=4&used=false&medication=taken", "application/x-www-form-urlencoded"),
    "multipart": (_multipart({"craving": "3", "mood": "4"}), f"multipart/form-data; boundary={BOUNDARY}"),
    "multipart without boundary": (b"--x\r\n", "multipart/form-data"),
    "JSON labelled as a form": (json.dumps(CHECKIN).encode(), "application/x-www-form-urlencoded"),
    "JSON labelled as multipart": (json.dumps(CHECKIN).encode(), f"multipart/form-data; boundary={BOUNDARY}"),
    "JSON labelled as text": (json.dumps(CHECKIN).encode(), "text/plain"),
    "bad UTF-8 in JSON": (b'{"note": "\xff\xfe", "craving": 3}', "application/json"),
    "bad UTF-8 in a form": (b"note=%FF%FE&craving=3", "application/x-www-form-urlencoded"),
    "raw bad UTF-8 in a form": (b"note=\xff\xfe&craving=3", "application/x-www-form-urlencoded"),
    "NUL in JSON (escaped)": (json.dumps({**CHECKIN, "note": "a\u0000b"}).encode(), "application/json"),
    "NUL in JSON (raw byte)": (b'{"note": "a\x00b", "craving": 3}', "application/json"),
    "NUL in a form": (b"note=a%00b&craving=3", "application/x-www-form-urlencoded"),
    "NUL in multipart": (_multipart({"note": "a\x00b"}), f"multipart/form-data; boundary={BOUNDARY}"),
    "NUL in text/plain": (b'{"note": "a\x00b"}', "text/plain"),
    "NUL in a JSON key": (b'{"no\\u0000te": "x", "craving": 3}', "application/json"),
    "empty body": (b"", "application/json"),
    "JSON null": (b"null", "application/json"),
    "JSON list": (b"[1, 2]", "application/json"),
    "JSON string": (b'"x"', "application/json"),
    "huge number": (b'{"craving": 1' + b"0" * 5000 + b"}", "application/json"),
    "no content type": (json.dumps(CHECKIN).encode(), ""),
}

# (role, method, path) for JSON routes that write; {alice} is the patient's id.
ROUTES = [
    ("anonymous", "POST", "/api/v1/auth/tokens"),
    ("patient", "POST", "/api/v1/me/checkins"),
    ("patient", "PUT", "/api/v1/me/plan"),
    ("patient", "POST", "/api/v1/me/thought-records"),
    ("patient", "POST", "/api/v1/me/consents"),
    ("patient", "POST", "/api/v1/me/assessments"),
    ("nurse", "POST", "/api/v1/patients/{alice}/doses"),
    ("nurse", "POST", "/api/v1/patients/{alice}/assessments"),
    ("nurse", "POST", "/api/v1/patients/{alice}/disclosures"),
    ("nurse", "POST", "/api/v1/patients/{alice}/fhir/questionnaire-responses"),
    ("nurse", "POST", "/api/v1/rules/buprenorphine-readiness"),
    ("nurse", "POST", "/api/v1/instruments/phq9/score"),
    ("prescriber", "POST", "/api/v1/patients/{alice}/orders"),
]


def _text_columns_with_nul() -> list[str]:
    """Every column of every table that holds a NUL (none may). PostgreSQL cannot store one in text at all (a
    write that tried would have been a server error, which the test above catches)."""
    if connection.vendor != "sqlite":
        return []
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            for column in connection.introspection.get_table_description(cursor, table):
                t, c = connection.ops.quote_name(table), connection.ops.quote_name(column.name)
                cursor.execute(f"SELECT COUNT(*) FROM {t} WHERE INSTR(CAST({c} AS TEXT), CHAR(0)) > 0")
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else sign_in(Client(), world.user(role))


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_body_shape_gets_a_4xx_in_the_error_shape(world: World, shape: str) -> None:
    body, content_type = SHAPES[shape]
    wrong = []
    for role, method, path in ROUTES:
        client = _client(world, role)
        client.raise_request_exception = False
        response: Any = client.generic(
            method, path.format(alice=world.alice.pk), body, content_type=content_type
        )
        ok = 400 <= response.status_code < 500
        try:
            payload = response.json()
            ok = ok and isinstance(payload.get("message"), str) and isinstance(payload.get("errors"), list)
        except ValueError:
            ok = False
        if not ok:
            wrong.append(f"{method} {path} {role}: {response.status_code} {response.content[:120]!r}")
    assert wrong == []


def test_no_nul_is_ever_stored(world: World) -> None:
    for shape, (body, content_type) in SHAPES.items():
        if "NUL" not in shape:
            continue
        for role, method, path in ROUTES:
            client = _client(world, role)
            client.raise_request_exception = False
            client.generic(method, path.format(alice=world.alice.pk), body, content_type=content_type)
    assert _text_columns_with_nul() == []
