"""The public pages (issue #4): shared scoring, nothing stored, reading level, kind words, Spanish, weight."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import polib
import pytest
import textstat
from django.apps import apps
from django.db import connection
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from keel.core.instruments.scoring import score
from keel.public import words
from tests.public.pages import PAGES, in_language, main_text

pytestmark = pytest.mark.django_db
TEMPLATE_DIR = Path(apps.get_app_config("public").path) / "templates" / "public"
PO = Path(apps.get_app_config("public").path).parent / "locale" / "es" / "LC_MESSAGES" / "django.po"


def spanish(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    return client


SCRIPTS = {"find_meetings": "/static/directory/locate.js"}  # "Use my location", optional; no other script


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_public_page_answers_anonymously(name: str, lang: str) -> None:
    response = Client().get(in_language(PAGES[name], lang))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert 'href="tel:988"' in page
    assert 'href="tel:911"' in page
    assert "quick-exit" in page
    assert 'class="doors-small"' in page  # the help menu
    scripts = re.findall(r"<script[^>]*>", page)  # works with JavaScript off: none is needed
    assert scripts == ([f'<script src="{SCRIPTS[name]}" defer>'] if name in SCRIPTS else [])
    assert 'class="sources"' in page or name == "home"


# --- check my use: the shared DSM-5 scorer, every severity ---------------------------------------------


@pytest.mark.parametrize(
    ("yes", "band", "words_on_page"),
    [
        (0, "none", "Does not meet the criteria"),
        (1, "none", "Does not meet the criteria"),
        (2, "mild", "Mild opioid use disorder"),
        (3, "mild", "Mild opioid use disorder"),
        (4, "moderate", "Moderate opioid use disorder"),
        (5, "moderate", "Moderate opioid use disorder"),
        (6, "severe", "Severe opioid use disorder"),
        (11, "severe", "Severe opioid use disorder"),
    ],
)
def test_check_my_use_gives_the_shared_scorers_severity(yes: int, band: str, words_on_page: str) -> None:
    answers = {f"dsm5_{i}": 1 if i <= yes else 0 for i in range(1, 12)}
    assert (score("dsm5-oud", answers).band.code if yes >= 2 else "none") == band  # type: ignore[union-attr]
    page = Client().post("/en/help/check-my-use/", {**answers, "as_prescribed": "no"}).content.decode()
    assert words_on_page in page
    assert escape(str(words.CHECK_STEPS[band][0])) in page
    assert f"You said yes to {yes} question" in page


def test_check_my_use_names_each_unanswered_question() -> None:
    response = Client().post("/en/help/check-my-use/", {"dsm5_1": 1})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count('class="error" id="err-dsm5_') == 10
    assert 'class="error" id="err-as_prescribed"' in page
    assert "Please fix 11 answers below." in page


ALL_YES_BUT = {f"dsm5_{i}": 1 for i in range(1, 12)}


def test_the_self_check_asks_whether_opioids_are_taken_as_prescribed() -> None:
    page = Client().get("/en/help/check-my-use/").content.decode()
    assert "Do you take opioids only the way a doctor prescribed them?" in page
    assert "methadone, buprenorphine or pain pills" in page
    assert page.index('name="as_prescribed"') < page.index('name="dsm5_10"')  # asked before tolerance


@pytest.mark.parametrize(
    ("prescribed", "counted"),
    [("yes", 9), ("no", 11)],
)
def test_tolerance_and_withdrawal_are_not_counted_when_taken_as_prescribed(
    prescribed: str, counted: int
) -> None:
    page = (
        Client().post("/en/help/check-my-use/", {**ALL_YES_BUT, "as_prescribed": prescribed}).content.decode()
    )
    assert f"You said yes to {counted} questions of 11." in page
    assert ("were not counted" in page) is (prescribed == "yes")


def test_only_tolerance_and_withdrawal_as_prescribed_is_not_a_use_disorder() -> None:
    answers = {f"dsm5_{i}": 1 if i in (10, 11) else 0 for i in range(1, 12)}
    page = Client().post("/en/help/check-my-use/", {**answers, "as_prescribed": "yes"}).content.decode()
    assert "Does not meet the criteria" in page


def test_a_missing_prescribed_answer_keeps_every_other_answer() -> None:
    response = Client().post("/en/help/check-my-use/", ALL_YES_BUT)
    page = response.content.decode()
    assert response.status_code == 422
    assert "Please fix 1 answer below." in page
    assert page.count('value="1" checked') == 11


def test_withdrawal_scores_sows_and_shows_no_band() -> None:
    answers = {f"sows_{i}": 2 for i in range(1, 17)}
    page = Client().post("/en/help/withdrawal/", answers).content.decode()
    assert f"Your score: {score('sows', answers).total} of 64" in page
    assert "no published severity groups" in page
    assert Client().post("/en/help/withdrawal/", {}).status_code == 422


@pytest.mark.parametrize(
    ("signs", "expected"),
    [
        ([], "You did not check any signs"),
        (["money", "mood"], "can have many causes"),
        (["needles"], "can point to opioid use"),
        (["nodding", "withdrawal"], "depend on opioids"),
    ],
)
def test_worried_about_someone_explains_the_pattern(signs: list[str], expected: str) -> None:
    page = Client().post("/en/help/worried-about-someone/", {"signs": signs}).content.decode()
    assert expected in page
    assert "not a diagnosis" in page


def test_the_reflection_compares_risks_and_strengths() -> None:
    page = (
        Client()
        .post("/en/help/why-it-happens/", {"factors": ["family", "trauma", "support"]})
        .content.decode()
    )
    assert "more risks than strengths" in page
    assert "Risk is not destiny" in page


# --- nothing is stored ------------------------------------------------------------------------------------

WALK: list[tuple[str, str, dict[str, Any]]] = [("GET", path, {}) for path in PAGES.values()] + [
    ("POST", "/en/help/check-my-use/", {f"dsm5_{i}": 1 for i in range(1, 12)} | {"as_prescribed": "yes"}),
    ("POST", "/en/help/check-my-use/", {"dsm5_1": 1}),
    ("POST", "/en/help/withdrawal/", {f"sows_{i}": 3 for i in range(1, 17)}),
    ("POST", "/en/help/worried-about-someone/", {"signs": ["needles", "withdrawal"]}),
    ("POST", "/en/help/why-it-happens/", {"factors": ["family", "support"]}),
    ("GET", "/en/find/meetings/?place=13820", {}),
    ("GET", "/en/find/treatment/?place=13820", {}),
]


def _row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def test_a_full_walk_stores_nothing_and_sets_only_language_and_csrf_cookies(caplog: Any) -> None:
    before = _row_counts()
    client = Client(enforce_csrf_checks=True)
    for lang in ("en", "es"):
        for method, path, data in WALK:
            path = in_language(path, lang)
            response = client.get(path) if method == "GET" else client.post(path, data)
            assert response.status_code in (200, 422), (path, response.status_code)
    assert _row_counts() == before  # every table, every row: nothing written
    assert not client.cookies  # no cookie at all: not the session, the CSRF token or the language
    for record in caplog.records:  # and nothing of the answers reached the logs
        assert "dsm5_" not in record.getMessage()
        assert "sows_" not in record.getMessage()


# --- reading level, words, Spanish, weight -------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
def test_reading_level_is_grade_8_or_below(name: str) -> None:
    text = main_text(Client().get(PAGES[name]).content.decode())
    assert len(text.split()) > 40
    assert textstat.flesch_kincaid_grade(text) <= 8, text


STIGMA = re.compile(
    r"\b(addicts?|junkies?|junky|abusers?|substance abuse|drug abuse|clean|dirty|relapsed?|relapses|relapsing"
    r"|adictos?|drogadictos?|yonquis?|abuso de (sustancias|drogas)|limpios?|sucios?|reca[ií]das?)\b",
    re.I,
)


def _visible(page: str) -> str:
    page = re.sub(r'<section class="sources".*?</section>', " ", page, flags=re.S)  # titles of cited works
    return re.sub(r"<[^>]+>", " ", page)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_stigmatizing_words_on_public_pages(lang: str) -> None:
    client = Client()
    pages = [client.get(in_language(p, lang)).content.decode() for p in PAGES.values()]
    pages += [client.post(in_language(p, lang), d).content.decode() for m, p, d in WALK if m == "POST"]
    for page in pages:
        assert not STIGMA.findall(_visible(page))


def _msgids(path: Path) -> set[str]:
    template = engines["django"].from_string(path.read_text()).template
    ids = set()
    for node in template.nodelist.get_nodes_by_type(TranslateNode):
        literal = node.filter_expression.var.literal
        if literal is not None:  # `{% translate s.citation %}`: a value whose words are marked at its source
            ids.add(literal)
    for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
        ids.add(node.render_token_list(node.singular)[0])
        if node.plural:
            ids.add(node.render_token_list(node.plural)[0])
    return ids


def test_every_public_string_has_a_spanish_translation() -> None:
    catalog = {e.msgid: e for e in polib.pofile(str(PO)) if not e.obsolete}
    catalog.update({e.msgid_plural: e for e in catalog.values() if e.msgid_plural})
    ids = set()
    for path in [
        *TEMPLATE_DIR.glob("*.html"),
        TEMPLATE_DIR.parents[2] / "assessments/templates/assessments/_questions.html",
    ]:
        ids |= _msgids(path)
    with translation.override("en"):  # English is the source language: a lazy string gives its msgid
        for table in (words.SIGNS, words.PATTERNS, words.RISKS, words.PROTECTIONS, words.REFLECTION):
            ids |= {str(p) for p in table.values()}
        ids |= {str(p) for steps in words.CHECK_STEPS.values() for p in steps}
    assert len(ids) > 150
    missing = sorted(
        i for i in ids if i not in catalog or not catalog[i].translated() or "fuzzy" in catalog[i].flags
    )
    assert not missing, missing


@pytest.mark.parametrize("name", list(PAGES))
def test_the_language_switch_keeps_the_reader_on_the_same_page(name: str) -> None:
    page = Client().get(PAGES[name]).content.decode()
    spanish_page = in_language(PAGES[name], "es")
    assert f'<a href="{spanish_page}" lang="es" hreflang="es" class="lang">Español</a>' in page
    back = Client().get(spanish_page).content.decode()
    assert '<html lang="es">' in back
    assert f'href="{PAGES[name]}" lang="en"' in back


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_is_under_60_kb_compressed_with_everything_it_loads(name: str) -> None:
    client = Client()
    page = client.get(PAGES[name]).content
    total = _gz(page)
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', page)
    assert assets  # the stylesheet
    for asset in assets:
        response = client.get(asset.decode())
        total += _gz(b"".join(response.streaming_content) if response.streaming else response.content)
    assert not re.search(rb"fonts\.googleapis|@font-face|\.woff", page)
    assert total <= 60 * 1024, total
