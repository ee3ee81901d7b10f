"""Journeys 1 and 2 on a phone, in English and Spanish, with JavaScript off; axe-core on every public page
(issue #4). Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_foundation_journeys import PHONE
from tests.public.pages import PAGES

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

WORDS = {
    "en": {
        "recognize": "Recognize",
        "needles": "I found needles",
        "nodding": "Nodding off",
        "sick": "Sick when not using",
        "meaning": "What could this mean?",
        "pattern": "What the signs may mean",
        "talk": "How to talk about it",
        "learn": "Learn the signs and how to use it",
        "overdose": "Signs of an overdose",
        "find": "Find care and family groups",
        "families": "Nar-Anon Family Groups",
        "meetings": "Meetings near me (NA and more)",
        "check": "Check my use: 11 short questions",
        "yes": "Yes",
        "no": "No",
        "see": "See my result",
        "severe": "Severe opioid use disorder",
        "side": "See the three medicines side by side",
        "methadone": "Methadone",
        "buprenorphine": "Buprenorphine",
        "naltrexone": "Naltrexone shot",
        "safe": "Stay safe today",
        "treatment": "Treatment",
        "findhelp": "Find help",
        "helpline": "SAMHSA National Helpline: 1-800-662-4357",
    },
    "es": {
        "recognize": "Reconocer",
        "needles": "Encontré agujas",
        "nodding": "Se queda dormido",
        "sick": "Se enferma cuando no consume",
        "meaning": "¿Qué podría significar?",
        "pattern": "Lo que las señales pueden significar",
        "talk": "Cómo hablar del tema",
        "learn": "Aprenda las señales y cómo usarla",
        "overdose": "Señales de una sobredosis",
        "find": "Buscar atención y grupos para familias",
        "families": "Grupos de Familia Nar-Anon",
        "meetings": "Reuniones cerca de mí (NA y más)",
        "check": "Revisar mi consumo: 11 preguntas cortas",
        "yes": "Sí",
        "no": "No",
        "see": "Ver mi resultado",
        "severe": "Trastorno grave por consumo de opioides",
        "side": "Ver los tres medicamentos lado a lado",
        "methadone": "Metadona",
        "buprenorphine": "Buprenorfina",
        "naltrexone": "Inyección de naltrexona",
        "safe": "Cuídese hoy",
        "treatment": "Tratamiento",
        "findhelp": "Buscar ayuda",
        "helpline": "Línea Nacional de Ayuda de SAMHSA: 1-800-662-4357",
    },
}


def _phone(browser: Any, url: str, lang: str) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{url}/")
    if lang == "es":
        page.get_by_role("link", name="Español").first.click()
    return context, page


def _more(page: Any, lang: str) -> Any:
    return page.get_by_role("navigation", name="More help" if lang == "en" else "Más ayuda")


def _fits(page: Any) -> None:
    # JavaScript is off for the person; Playwright's own evaluation still works through the protocol.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_journey_1_a_parent_finds_needles(live_server: Any, browser: Any, shot: Any, lang: str) -> None:
    w = WORDS[lang]
    context, page = _phone(browser, live_server.url, lang)
    page.get_by_role("link", name=w["recognize"]).click()
    for sign in ("needles", "nodding", "sick"):
        page.get_by_label(w[sign]).check()
    page.get_by_role("button", name=w["meaning"]).click()
    result = page.get_by_role("region", name=w["pattern"])
    expect(result).to_contain_text("naloxon", ignore_case=True)
    expect(page.get_by_role("heading", name=w["talk"])).to_be_visible()
    _fits(page)
    shot(page, f"public-journey1-worried-{lang}")
    page.get_by_role("link", name=w["learn"]).click()
    expect(page.get_by_role("heading", name=w["overdose"])).to_be_visible()
    expect(page.locator("a[href='tel:911']").first).to_be_visible()
    shot(page, f"public-journey1-safety-{lang}")
    _more(page, lang).get_by_role("link", name=w["treatment"]).click()
    expect(page.get_by_role("heading", name=w["methadone"], exact=True)).to_be_visible()
    _more(page, lang).get_by_role("link", name=w["findhelp"]).click()
    assert (
        page.get_by_role("link", name=w["families"], exact=True).get_attribute("href")
        == "https://www.nar-anon.org"
    )
    assert page.get_by_role("link", name=w["meetings"]).get_attribute("href") == f"/{lang}/find/meetings/"
    crisis = page.get_by_role("region", name="Help now" if lang == "en" else "Ayuda ahora")
    assert crisis.get_by_role("link", name="988").get_attribute("href") == "tel:988"
    shot(page, f"public-journey1-find-{lang}")
    assert context.cookies() == []
    context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_journey_2_a_self_check(live_server: Any, browser: Any, shot: Any, lang: str) -> None:
    w = WORDS[lang]
    context, page = _phone(browser, live_server.url, lang)
    page.get_by_role("link", name=w["check"]).click()
    page.locator("#q-as_prescribed input[value='no']").check()
    for i in range(1, 12):
        page.locator(f"#q-dsm5_{i}").get_by_label(w["yes"] if i <= 6 else w["no"], exact=True).check()
    _fits(page)
    page.get_by_role("button", name=w["see"]).click()
    expect(page.get_by_role("heading", name=w["severe"])).to_be_visible()
    shot(page, f"public-journey2-result-{lang}")
    page.get_by_role("link", name=w["side"]).click()
    for medicine in ("methadone", "buprenorphine", "naltrexone"):
        expect(page.get_by_role("heading", name=w[medicine], exact=True)).to_be_visible()
    _fits(page)
    shot(page, f"public-journey2-treatment-{lang}")
    _more(page, lang).get_by_role("link", name=w["safe"]).click()
    expect(page.locator("a[href='tel:911']").first).to_be_visible()
    _more(page, lang).get_by_role("link", name=w["findhelp"]).click()
    assert page.get_by_role("link", name=w["helpline"], exact=True).get_attribute("href") == "tel:18006624357"
    shot(page, f"public-journey2-find-{lang}")
    context.close()


def _axe(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_axe_finds_no_serious_problem_on_any_public_page(live_server: Any, browser: Any, lang: str) -> None:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make install` (npm ci)")
    # axe is injected by the test through the browser protocol; the pages' own CSP stays as served.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    if lang == "es":
        page.get_by_role("link", name="Español").first.click()
    problems: dict[str, Any] = {}
    for name, path in PAGES.items():
        page.goto(f"{live_server.url}{path}")
        problems[name] = _axe(page)
    # and the result pages, after the forms are sent
    page.goto(f"{live_server.url}{PAGES['check']}")
    with page.expect_navigation():  # axe on the answer, not on the page being left
        page.locator("#page-text form button[type=submit]").click()  # nothing answered: the error state
    problems["check-errors"] = _axe(page)
    for i in range(1, 12):
        page.locator(f"#q-dsm5_{i} input[value='1']").check()
    page.locator("#q-as_prescribed input[value='yes']").check()
    with page.expect_navigation():
        page.locator("#page-text form button[type=submit]").click()
    problems["check-result"] = _axe(page)
    # the find pages with results, a way on, an error; the sign-up page and its errors (issue #20)
    from keel.directory import samples

    samples.load()
    prefix = f"{live_server.url}/{lang}"
    for name, path in [
        ("meetings-results", "/find/meetings/?place=Poughkeepsie&day=3"),
        ("meetings-empty", "/find/meetings/?place=Oneonta, NY&radius_mi=5&fellowship=smart&day=1"),
        ("meetings-error", "/find/meetings/?place=Springfield"),
        ("treatment-results", "/find/treatment/?place=Poughkeepsie&language=es"),
        ("treatment-error", "/find/treatment/?place=00000&radius_mi=1000"),
        ("signup", "/start/"),
        ("deleted", "/start/deleted/"),
    ]:
        page.goto(prefix + path)
        problems[name] = _axe(page)
    page.goto(prefix + "/start/")
    with page.expect_navigation():  # axe on the answer, not on the page being left (a CI flake)
        page.locator("#page-text form button[type=submit]").click()
    problems["signup-errors"] = _axe(page)
    page.goto(f"{live_server.url}{PAGES['worried']}")
    page.locator("input[value='needles']").check()
    with page.expect_navigation():
        page.locator("#page-text form button[type=submit]").click()
    problems["worried-result"] = _axe(page)
    found = {k: [(v["id"], v["impact"], len(v["nodes"])) for v in vs] for k, vs in problems.items() if vs}
    assert not found, json.dumps(found, indent=1)
    # The check itself works: an image without a text alternative is caught.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')")
    assert "image-alt" in {v["id"] for v in _axe(page)}
    context.close()
