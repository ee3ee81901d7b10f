"""SECURITY.md T3, the pages: no server error for anything a browser can send. Every page in the route table
(tests/access/expectations.py) is opened as each persona allowed to see it, anonymous included (for patient
pages: on their own patient); every form on it is found (POST forms, and GET forms such as the searches), and
hypothesis sends variations of it: each field left out, empty, one of the page's own choices, any text
(unicode, control characters, very long), numbers, dates. Every answer must be below 500, must not be Django's
error page, and must carry the security headers."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.access.expectations import ROLES, ROUTES
from tests.conftest import World, sign_in
from tests.fuzz import FORM_EXAMPLES, fuzz_settings, missing_security_headers

pytestmark = pytest.mark.django_db

SKIP_ACTIONS = ("/accounts/logout/", "/i18n/setlang/")  # end the session or only switch the language


class _Forms(HTMLParser):
    """The forms of a page: method, action, and each field with the values the page offers for it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, list[str]]]] = []
        self._current: dict[str, list[str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {}
            self.forms.append((a.get("method", "get").lower(), a.get("action", ""), self._current))
        elif self._current is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            if a["name"] == "csrfmiddlewaretoken":
                return
            values = self._current.setdefault(a["name"], [])
            if a.get("value"):
                values.append(a["value"])
            self._select = a["name"] if tag == "select" else None
        elif tag == "option" and self._current is not None and self._select and "value" in a:
            self._current[self._select].append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def _pages() -> list[tuple[str, str]]:
    """(route name, persona) for every HTML page a persona may open (its own patient, for patient pages)."""
    found = []
    for name, route in sorted(ROUTES.items()):
        other_ids = route.path.replace("{patient}", "").count("{")  # a record made for the access test
        if (
            route.method != "GET"
            or route.path.startswith("/api/")
            or route.path.endswith((".pdf", "/photo/"))  # a document or an image, not a page with forms
            or other_ids
        ):
            continue
        for role in ROLES:
            expected = route.expect.get(role)
            status = expected[0] if isinstance(expected, tuple) else expected
            if status == 200:
                found.append((name, role))
    return found


_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=3000),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.sampled_from(
        ["", " ", "0", "-1", "null", "true", "\x00", "\uff12", "\u0663", "1e309", "<script>", "../../"]
    ),
)


def _value(offered: list[str]) -> st.SearchStrategy[Any]:
    choices = [st.none(), _TEXT]  # None: the field is left out
    if offered:
        choices.append(st.sampled_from(offered))
        choices.append(st.lists(st.sampled_from(offered), max_size=4))  # checkboxes: several at once
    return st.one_of(*choices)


@pytest.mark.parametrize(("name", "persona"), _pages(), ids=[f"{n}-{p}" for n, p in _pages()])
def test_no_form_submission_gets_a_server_error(world: World, name: str, persona: str) -> None:
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        sign_in(client, world.user(persona))
    path = ROUTES[name].path.replace("{patient}", str(world.alice.pk))
    page = client.get(path)
    assert page.status_code == 200, (name, persona, path)
    parser = _Forms()
    parser.feed(page.content.decode())
    forms = [(m, a or path, fields) for m, a, fields in parser.forms if a not in SKIP_ACTIONS and fields]
    for method, action, fields in forms:
        _submit_variations(client, method, action, fields)


def _submit_variations(client: Client, method: str, action: str, fields: dict[str, list[str]]) -> None:
    send = client.post if method == "post" else client.get

    @fuzz_settings(FORM_EXAMPLES)
    @given(data=st.fixed_dictionaries({field: _value(offered) for field, offered in fields.items()}))
    def one(data: dict[str, Any]) -> None:
        response = send(action, {k: v for k, v in data.items() if v is not None})
        assert response.status_code < 500, (action, data, response.content[:300])
        assert b"Server Error" not in response.content
        assert b"Traceback" not in response.content
        headers = {k.lower(): v for k, v in response.headers.items()}
        assert not missing_security_headers(headers, action), (action, response.status_code, headers)

    one()
