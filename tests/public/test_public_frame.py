"""Issue #20 on the public pages: the facts that were missing (each cited), Back without an error page,
answers never in a URL, tools and the language choice with cookies blocked."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from keel.core.sources import SOURCES
from tests.public.pages import PAGES, in_language

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("page", "fact", "source"),
    [
        (
            "worried",
            "People smoke heroin (often on foil), snort it, or inject it with a needle.",
            "nida-heroin",
        ),
        (
            "safety",
            "Syringe services programs give them free, take used ones, and test for HIV and hepatitis C.",
            "cdc-hiv-injection",
        ),
        ("safety", "call Never Use Alone first.", "never-use-alone"),
        ("treatment", "Methadone or buprenorphine is the standard of care in pregnancy.", "acog-711"),
    ],
)
def test_each_missing_fact_is_on_its_page_and_cites_its_source(page: str, fact: str, source: str) -> None:
    body = html.unescape(Client().get(PAGES[page]).content.decode())
    assert fact in body
    assert f'href="#src-{source}"' in body and f'<li id="src-{source}">' in body
    assert source in SOURCES


def test_the_never_use_alone_number_is_a_link_to_call() -> None:
    body = Client().get(PAGES["safety"]).content.decode()
    assert '<a href="tel:18004843731">1-800-484-3731</a>' in body


TOOLS = [
    ("check", {f"dsm5_{i}": 1 for i in range(1, 12)} | {"as_prescribed": "no"}),
    ("withdrawal", {f"sows_{i}": 2 for i in range(1, 17)}),
    ("worried", {"signs": ["needles"]}),
    ("why", {"factors": ["family"]}),
]


@pytest.mark.parametrize(("name", "answers"), TOOLS)
def test_a_tool_answers_with_cookies_blocked(name: str, answers: dict[str, object]) -> None:
    client = Client(enforce_csrf_checks=True)  # no CSRF cookie was ever set: a browser that blocks cookies
    response = client.post(PAGES[name], answers)
    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.parametrize(("name", "answers"), TOOLS)
def test_an_answer_page_may_be_kept_by_the_browser_for_back_but_by_no_shared_cache(
    name: str, answers: dict[str, object]
) -> None:
    response = Client().post(PAGES[name], answers)
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_without_answers_is_never_kept(name: str) -> None:
    assert Client().get(PAGES[name])["Cache-Control"] == "no-store"


def test_a_signed_in_page_is_never_kept_even_after_a_post() -> None:
    response = Client().post("/accounts/login/", {"username": "x", "password": "y"})
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("name", "answers"), TOOLS)
def test_answers_never_go_into_a_url(name: str, answers: dict[str, object]) -> None:
    page = Client().get(PAGES[name]).content.decode()
    forms = re.findall(r"<form [^>]*>", page)
    tool = [f for f in forms if "search" not in f]
    assert tool
    assert all('method="post"' in f for f in tool)
    response = Client().post(PAGES[name], answers)
    assert response.status_code == 200
    assert "Location" not in response


@pytest.mark.parametrize("name", list(PAGES))
def test_every_link_on_a_spanish_page_stays_in_spanish(name: str) -> None:
    body = Client().get(in_language(PAGES[name], "es")).content.decode()
    internal = re.findall(r'href="(/(?:en|es)/[^"]*)"', body)
    english = [h for h in internal if h.startswith("/en/")]
    assert internal and english == [in_language(PAGES[name], "en")]  # only the switch back to English


def test_an_address_without_a_language_goes_to_the_browsers_language() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="es").get("/help/check-my-use/")
    assert response.status_code == 302
    assert response["Location"] == "/es/help/check-my-use/"
    assert Client().get("/help/check-my-use/")["Location"] == "/en/help/check-my-use/"


def test_home_in_spanish_for_a_spanish_browser_links_to_spanish_pages() -> None:
    body = Client(HTTP_ACCEPT_LANGUAGE="es").get("/").content.decode()
    assert '<html lang="es">' in body
    assert 'href="/es/help/check-my-use/"' in body
    assert 'href="/en/" lang="en"' in body  # English, chosen without a cookie


def _spanish_questions() -> list[str]:
    import json
    from importlib import resources

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "valueString" and isinstance(value, str) and "?" in value:
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for code in ("dsm5-oud", "sows", "phq9", "gad7", "cssrs-screen", "bam"):
        path = resources.files("keel.core.instruments") / "definitions" / f"{code}.json"
        walk(json.loads(path.read_text(encoding="utf-8")))
    return found


def test_every_spanish_question_opens_with_its_question_mark() -> None:
    import polib
    from django.apps import apps

    po = polib.pofile(str(apps.get_app_config("public").path) + "/../locale/es/LC_MESSAGES/django.po")
    questions = _spanish_questions() + [e.msgstr for e in po if "?" in e.msgstr]
    assert len(questions) > 20
    missing = [q for q in questions for part in re.findall(r"[^.!¡]*\?", q) if "¿" not in part]
    assert not missing, missing


def test_the_withdrawal_menu_item_cannot_be_read_as_abstinence() -> None:
    body = html.unescape(Client().get(in_language(PAGES["home"], "es")).content.decode())
    menu = body.split('class="doors-small"')[1].split("</nav>")[0]
    assert "Síntomas al dejar los opioides" in menu
    assert ">Abstinencia<" not in menu


def test_every_directory_and_self_guided_message_has_a_spanish_translation() -> None:
    from pathlib import Path

    import polib
    from django.apps import apps
    from django.utils import translation

    from keel.directory import words as directory_words
    from keel.selfguided import words as own_words
    from tests.public.test_public import _msgids

    root = Path(apps.get_app_config("public").path).parent
    po = {e.msgid: e for e in polib.pofile(str(root / "locale/es/LC_MESSAGES/django.po")) if not e.obsolete}
    po.update({e.msgid_plural: e for e in po.values() if e.msgid_plural})
    ids: set[str] = set()
    for folder in ("directory/templates/directory", "selfguided/templates/selfguided"):
        for path in (root / folder).glob("*.html"):
            ids |= _msgids(path)
    with translation.override("en"):
        ids |= {str(v) for v in directory_words.TYPE_MEANINGS.values()}
        ids |= {str(v) for v in directory_words.LANGUAGE_NAMES.values()}
        ids |= {str(v) for v in own_words.ZONES.values()}
        ids |= {str(v) for table in own_words._ERRORS.values() for v in table.values()}
    assert len(ids) > 100
    missing = sorted(i for i in ids if i not in po or not po[i].translated() or "fuzzy" in po[i].flags)
    assert not missing, missing
