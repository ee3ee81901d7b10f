"""Issue #20 in a phone's browser, English and Spanish, JavaScript on and off: journeys 1 and 2 end to end to
a real meeting and a clinic, Back from each result without an error page, no cookie at all (and the tools with
cookies blocked), an account of one's own made, used, downloaded and deleted, the place table, and a feed
without time zones uploaded by a program admin. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from keel.directory import samples
from tests.browser.test_foundation_journeys import PHONE, _code

W = {
    "en": {
        "spanish": "Español",
        "recognize": "Recognize",
        "needles": "I found needles",
        "nodding": "Nodding off",
        "meaning": "What could this mean?",
        "pattern": "What the signs may mean",
        "heroin": "How people use heroin",
        "learn": "Learn the signs and how to use it",
        "overdose": "Signs of an overdose",
        "more": "More help",
        "findhelp": "Find help",
        "treatment": "Treatment",
        "places": "Treatment places near me",
        "meetings": "Meetings near me (NA and more)",
        "place": "ZIP code or city (like Oneonta, NY)",
        "pay": "How you pay",
        "spoken": "Language spoken",
        "search": "Search",
        "group": "Group",
        "far": "How far",
        "near": "Near",
        "showing": "Showing only:",
        "sample": "Sample listing for the demo",
        "closed": "Closed: only for people who want to stop drinking or using drugs.",
        "check": "Check my use: 11 short questions",
        "prescribed": "No, or not always",
        "yes": "Yes",
        "no": "No",
        "see": "See my result",
        "severe": "Severe opioid use disorder",
        "side": "See the three medicines side by side",
        "pregnant": "If you are pregnant",
        "aa": "Alcoholics Anonymous",
        "crisis": "Help now",
        "own": "Make my own account",
        "samhsa": "From SAMHSA's 2017 national directory of treatment programs.",
        "call first": "call before you go",
    },
    "es": {
        "spanish": "Español",
        "recognize": "Reconocer",
        "needles": "Encontré agujas",
        "nodding": "Se queda dormido",
        "meaning": "¿Qué podría significar?",
        "pattern": "Lo que las señales pueden significar",
        "heroin": "Cómo se usa la heroína",
        "learn": "Aprenda las señales y cómo usarla",
        "overdose": "Señales de una sobredosis",
        "more": "Más ayuda",
        "findhelp": "Buscar ayuda",
        "treatment": "Tratamiento",
        "places": "Lugares de tratamiento cerca de mí",
        "meetings": "Reuniones cerca de mí (NA y más)",
        "place": "Código postal o ciudad (por ejemplo, Oneonta, NY)",
        "pay": "Cómo paga",
        "spoken": "Idioma que se habla",
        "search": "Buscar",
        "group": "Grupo",
        "far": "Qué tan lejos",
        "near": "Cerca de",
        "showing": "Solo se muestra:",
        "sample": "Ejemplo para la demostración",
        "closed": "Cerrada: solo para personas que quieren dejar de beber o de usar drogas.",
        "check": "Revisar mi consumo: 11 preguntas cortas",
        "prescribed": "No, o no siempre",
        "yes": "Sí",
        "no": "No",
        "see": "Ver mi resultado",
        "severe": "Trastorno grave por consumo de opioides",
        "side": "Ver los tres medicamentos lado a lado",
        "pregnant": "Si está embarazada",
        "aa": "Alcohólicos Anónimos",
        "crisis": "Ayuda ahora",
        "own": "Crear mi propia cuenta",
        "samhsa": "Del directorio nacional de programas de tratamiento de SAMHSA de 2017.",
        "call first": "llame antes de ir",
    },
}
RUNS = [("en", True), ("en", False), ("es", True), ("es", False)]


def _visitor(browser: Any, url: str, lang: str, js: bool) -> tuple[Any, Any]:
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=js,
        locale="en-US",
        timezone_id="America/New_York",
    )
    page = context.new_page()
    page.on(
        "response",
        lambda r: (
            print("SETCOOKIE", r.request.method, r.url, r.status) if "set-cookie" in r.all_headers() else None
        ),
    )
    page.goto(f"{url}/")
    if lang == "es":
        page.get_by_role("link", name=W[lang]["spanish"]).first.click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
    return context, page


def _menu(page: Any, lang: str) -> Any:
    return page.get_by_role("navigation", name=W[lang]["more"])


def _frame(page: Any, lang: str) -> None:
    """The crisis bar, Quick exit and the help menu, on this page."""
    crisis = page.get_by_role("region", name=W[lang]["crisis"])
    expect(crisis.locator("a[href='tel:988']")).to_be_visible()
    expect(crisis.locator("a[href='tel:911']")).to_be_visible()
    expect(page.locator("a.quick-exit")).to_be_visible()
    expect(_menu(page, lang).get_by_role("link", name=W[lang]["findhelp"])).to_be_visible()


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _back_shows(page: Any, locator: Any) -> None:
    """Back from the page after a result: the result again, never the browser's error page."""
    page.go_back()
    expect(locator).to_be_visible()
    assert not page.url.startswith("chrome-error://")


@pytest.mark.parametrize(("lang", "js"), RUNS)
def test_journey_1_a_parent_finds_needles_and_reaches_a_clinic_and_a_family_group(
    live_server: Any, browser: Any, shot: Any, lang: str, js: bool
) -> None:
    samples.load()
    w, tag = W[lang], f"{lang}-{'js' if js else 'nojs'}"
    context, page = _visitor(browser, live_server.url, lang, js)
    page.get_by_role("link", name=w["recognize"]).click()
    page.get_by_label(w["needles"]).check()
    page.get_by_label(w["nodding"]).check()
    page.get_by_role("button", name=w["meaning"]).click()
    result = page.get_by_role("region", name=w["pattern"])
    expect(result).to_contain_text("naloxon", ignore_case=True)
    expect(page.get_by_role("heading", name=w["heroin"])).to_be_visible()
    _frame(page, lang)
    _fits(page)
    shot(page, f"journey1-result-{tag}")
    page.get_by_role("link", name=w["learn"]).click()
    expect(page.get_by_role("heading", name=w["overdose"])).to_be_visible()
    expect(page.locator("a[href='tel:18004843731']")).to_be_visible()
    _back_shows(page, result)  # Back from the answer page's next page: the answer, from the browser's cache
    page.go_forward()
    _menu(page, lang).get_by_role("link", name=w["findhelp"]).click()
    page.get_by_role("link", name=w["places"]).click()
    _frame(page, lang)
    page.get_by_label(w["place"]).fill("Poughkeepsie, NY")
    page.get_by_label(w["pay"]).select_option("medicaid")
    page.get_by_label(w["spoken"]).select_option("es")
    page.get_by_role("button", name=w["search"]).click()
    clinic = page.locator("article.clinic", has_text="Sample: Valley Opioid Treatment Program")
    expect(clinic).to_be_visible()
    expect(clinic).to_contain_text(w["sample"])
    expect(clinic.locator("a[href^='tel:']")).to_be_visible()
    expect(page.locator(".active-filters")).to_contain_text(w["showing"])
    expect(page.get_by_label(w["pay"])).to_have_value("medicaid")  # what was chosen stays chosen
    _frame(page, lang)
    _fits(page)
    shot(page, f"journey1-clinic-{tag}")
    _menu(page, lang).get_by_role("link", name=w["findhelp"]).click()
    _back_shows(page, clinic)
    _menu(page, lang).get_by_role("link", name=w["findhelp"]).click()
    page.get_by_role("link", name=w["meetings"]).click()
    expect(page.locator("#use-location")).to_be_visible() if js else expect(
        page.locator("#use-location")
    ).to_be_hidden()
    page.get_by_label(w["place"]).fill("Poughkeepsie, NY")
    page.get_by_label(w["group"]).select_option("families")
    page.get_by_role("button", name=w["search"]).click()
    family = page.locator("article.meeting", has_text="Sample: Families Together Nar-Anon")
    expect(family).to_be_visible()
    expect(page.get_by_text(w["closed"])).to_be_visible()
    _fits(page)
    shot(page, f"journey1-family-group-{tag}")
    _menu(page, lang).get_by_role("link", name=w["treatment"], exact=True).click()
    _back_shows(page, family)
    print([(c["name"], c["path"]) for c in context.cookies()], page.url)
    assert context.cookies() == []  # the whole journey left no cookie: blocking them changes nothing
    context.close()


@pytest.mark.parametrize(("lang", "js"), RUNS)
def test_journey_2_a_self_check_reaches_a_real_meeting_and_a_clinic(
    live_server: Any, browser: Any, shot: Any, lang: str, js: bool
) -> None:
    samples.load()
    w, tag = W[lang], f"{lang}-{'js' if js else 'nojs'}"
    context, page = _visitor(browser, live_server.url, lang, js)
    page.get_by_role("link", name=w["check"]).click()
    page.locator("#q-as_prescribed").get_by_label(w["prescribed"]).check()
    for i in range(1, 12):
        page.locator(f"#q-dsm5_{i}").get_by_label(w["yes"] if i <= 6 else w["no"], exact=True).check()
    page.get_by_role("button", name=w["see"]).click()
    severe = page.get_by_role("heading", name=w["severe"])
    expect(severe).to_be_visible()
    assert "dsm5" not in page.url and "as_prescribed" not in page.url  # answers never in the address
    _frame(page, lang)
    shot(page, f"journey2-result-{tag}")
    page.get_by_role("link", name=w["side"]).click()
    expect(page.get_by_role("heading", name=w["pregnant"])).to_be_visible()
    _back_shows(page, severe)
    expect(page.get_by_role("link", name=w["own"])).to_be_visible()
    _menu(page, lang).get_by_role("link", name=w["findhelp"]).click()
    page.get_by_role("link", name=w["meetings"]).click()
    page.get_by_label(w["place"]).fill("Belleville, ON")
    page.get_by_role("button", name=w["search"]).click()
    expect(page.get_by_role("heading", name=f"{w['near']} Belleville, ON")).to_be_visible()
    real = page.locator("article.meeting", has_text="New Direction Discussion")  # the real Quinte feed
    expect(real).to_be_visible()
    expect(real).to_contain_text(w["aa"])
    expect(real).not_to_contain_text(w["sample"])
    _fits(page)
    shot(page, f"journey2-real-meeting-{tag}")
    _menu(page, lang).get_by_role("link", name=w["treatment"], exact=True).click()
    _back_shows(page, real)
    _menu(page, lang).get_by_role("link", name=w["findhelp"]).click()
    page.get_by_role("link", name=w["places"]).click()
    page.get_by_label(w["place"]).fill("Poughkeepsie")
    page.get_by_role("button", name=w["search"]).click()
    expect(page.locator("article.clinic", has_text="Sample: Main Street Health")).to_be_visible()
    shot(page, f"journey2-clinic-{tag}")
    page.get_by_label(w["place"]).fill("Birmingham, AL")  # a real clinic: SAMHSA's 2017 directory
    page.get_by_role("button", name=w["search"]).click()
    expect(page.get_by_role("heading", name=f"{w['near']} Birmingham, AL")).to_be_visible()
    clinic = page.locator("article.clinic", has_text="Birmingham Metro Treatment Center")
    expect(clinic).to_be_visible()
    expect(clinic).to_contain_text("151 Industrial Drive")
    expect(clinic).to_contain_text(w["samhsa"])
    expect(clinic).to_contain_text(w["call first"])
    expect(clinic).not_to_contain_text(w["sample"])
    expect(clinic.locator("a[href='tel:2059411799']")).to_be_visible()
    _frame(page, lang)
    _fits(page)
    shot(page, f"journey2-real-clinic-{tag}")
    _menu(page, lang).get_by_role("link", name=w["treatment"], exact=True).click()
    _back_shows(page, clinic)
    assert context.cookies() == []
    context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_tools_and_the_language_work_with_cookies_blocked(
    live_server: Any, browser: Any, lang: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)

    def no_cookies(route: Any) -> None:  # the browser refuses every cookie the server might set
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        route.fulfill(response=response, headers=headers)

    context.route("**/*", no_cookies)
    page = context.new_page()
    page.goto(f"{live_server.url}/{lang}/help/check-my-use/")
    w = W[lang]
    page.locator("#q-as_prescribed").get_by_label(w["prescribed"]).check()
    for i in range(1, 12):
        page.locator(f"#q-dsm5_{i}").get_by_label(w["yes"] if i <= 6 else w["no"], exact=True).check()
    page.get_by_role("button", name=w["see"]).click()
    expect(page.get_by_role("heading", name=w["severe"])).to_be_visible()
    _menu(page, lang).get_by_role("link", name=w["findhelp"]).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)  # the choice held without a cookie
    page.goto(f"{live_server.url}/{lang}/help/worried-about-someone/")
    page.get_by_label(w["needles"]).check()
    page.get_by_role("button", name=w["meaning"]).click()
    expect(page.get_by_role("region", name=w["pattern"])).to_be_visible()
    page.wait_for_load_state("load")
    # A stylesheet still in flight would reach the handler after the context is gone and fail the
    # next test (seen in CI): let in-flight routes end quietly before closing.
    context.unroute_all(behavior="ignoreErrors")
    context.close()


@pytest.mark.parametrize(("lang", "js"), RUNS)  # English and Spanish, JavaScript on and off (issue #20)
def test_an_account_of_ones_own_is_made_used_downloaded_and_deleted(
    live_server: Any, browser: Any, shot: Any, lang: str, js: bool
) -> None:
    from keel.accounts.models import User
    from keel.patients.models import Patient
    from keel.recovery.models import CheckIn

    words = {
        "en": (
            "Username",
            "Password",
            "Password again",
            "I understand",
            "Make my account",
            "My recovery",
            "Check in for today",
            "Save check-in",
            "Download all my data",
            "Delete my account and all my data",
            "Your password",
            "Delete everything for good",
            "Your account is deleted",
            "I'm not on medication",
        ),
        "es": (
            "Nombre de usuario",
            "Contraseña",
            "Contraseña otra vez",
            "Entiendo",
            "Crear mi cuenta",
            "Mi recuperación",
            "Hacer mi registro diario de hoy",
            "Guardar mi registro diario",
            "Descargar todos mis datos",
            "Borrar mi cuenta y todos mis datos",
            "Su contraseña",
            "Borrar todo para siempre",
            "Su cuenta está borrada",
            "No tomo medicamento",
        ),
    }[lang]
    (
        user_l,
        pw_l,
        again_l,
        understood_l,
        make_l,
        home_h,
        checkin_l,
        save_l,
        download_l,
        delete_l,
        confirm_l,
        forever_l,
        deleted_h,
        no_med,
    ) = words
    tag = f"{lang}-{'js' if js else 'nojs'}"
    context, page = _visitor(browser, live_server.url, lang, js)
    page.get_by_role("link", name=W[lang]["check"]).click()
    page.locator("#q-as_prescribed").get_by_label(W[lang]["prescribed"]).check()
    for i in range(1, 12):
        page.locator(f"#q-dsm5_{i}").get_by_label(W[lang]["no"], exact=True).check()
    page.get_by_role("button", name=W[lang]["see"]).click()
    page.get_by_role("link", name=W[lang]["own"]).click()
    name = f"quiet-river-{tag}"
    page.get_by_label(user_l, exact=True).fill(name)
    page.get_by_label(pw_l, exact=True).fill("long walk by the river 42")
    page.get_by_label(again_l, exact=True).fill("long walk by the river 42")
    page.get_by_label(understood_l).check()
    _fits(page)
    shot(page, f"own-account-signup-{tag}")
    page.get_by_role("button", name=make_l).click()
    expect(page.get_by_role("heading", name=home_h)).to_be_visible()
    shot(page, f"own-account-home-{tag}")
    page.get_by_role("link", name=checkin_l).click()
    page.locator("input[name=craving][value='3']").check(force=True)
    page.locator("input[name=mood][value='4']").check(force=True)
    page.locator("input[name=used][value='no']").check()
    page.get_by_label(no_med).check()
    page.get_by_role("button", name=save_l).click()
    assert CheckIn.objects.filter(patient__user__username=name).count() == 1
    page.goto(f"{live_server.url}/me/account/")
    with page.expect_download() as download:
        page.get_by_role("link", name=download_l).click()
    data = json.loads(download.value.path().read_text())
    assert data["account"]["username"] == name
    assert len(data["checkins"]) == 1
    page.get_by_role("link", name=delete_l).click()
    page.get_by_label(confirm_l).fill("long walk by the river 42")
    shot(page, f"own-account-delete-{tag}")
    page.get_by_role("button", name=forever_l).click()
    expect(page.get_by_role("heading", name=deleted_h)).to_be_visible()
    _frame(page, lang)
    shot(page, f"own-account-deleted-{tag}")
    assert not User.objects.filter(username=name).exists()
    assert not Patient.objects.filter(user__username=name).exists()
    assert not CheckIn.objects.exists()
    context.close()


PLACES = [
    ("St. Louis, MO", "St. Louis, MO"),
    ("Saint Louis MO", "St. Louis, MO"),
    ("New York City, NY", "New York City, NY"),
    ("Oneonta, New York", "Oneonta, NY"),
    ("Poughkeepsie", "Poughkeepsie, NY"),
    ("Toronto", "Toronto, ON"),
    ("Montreal", "Montréal, QC"),
    ("Belleville, ON", "Belleville, ON"),
]


def test_the_place_table_on_a_phone(live_server: Any, browser: Any, shot: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    page = context.new_page()
    for typed, found in PLACES:
        page.goto(f"{live_server.url}/en/find/meetings/")
        page.get_by_label(W["en"]["place"]).fill(typed)
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("heading", name=f"Near {found}")).to_be_visible()
    page.goto(f"{live_server.url}/en/find/meetings/")
    page.get_by_label(W["en"]["place"]).fill("Springfield")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("There is more than one Springfield.")
    page.get_by_role("link", name="Springfield, IL").click()
    expect(page.get_by_role("heading", name="Near Springfield, IL")).to_be_visible()
    shot(page, "place-table-springfield")
    context.close()


def test_a_feed_without_time_zones_is_uploaded_and_the_report_says_where_zones_came_from(
    live_server: Any, browser: Any, shot: Any, tmp_path: Any
) -> None:
    from keel import demo

    demo.load(patients_per_program=2)
    feed = tmp_path / "quinte.json"
    feed.write_bytes(samples.real_feed())
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("riverside.admin")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("6-digit code").fill(_code("riverside.admin"))
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live_server.url}/en/directory/import/")
    page.get_by_label("Feed file").set_input_files(str(feed))
    page.get_by_label("Feed name").fill("quinte-upload")
    page.get_by_role("button", name="Import").click()
    report = page.get_by_role("region", name="Import report")
    expect(report).to_contain_text("45 meetings had no timezone; took each one's zone from its coordinates")
    expect(report).to_contain_text("America/Toronto 45")
    shot(page, "directory-upload-without-time-zones")
    context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_axe_finds_no_serious_problem_on_the_own_account_pages(
    live_server: Any, browser: Any, lang: str
) -> None:
    from keel.selfguided import services as own
    from tests.browser.test_public_journeys import AXE, _axe

    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make install` (npm ci)")
    password = "long walk by the river 42"
    own.sign_up(
        username="axe-check",
        password=password,
        password_again=password,
        time_zone="America/New_York",
        understood=True,
        address="192.0.2.50",
    )
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("axe-check")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/me/account/")
    if lang == "es":
        page.get_by_role("button", name="Español").click()
    problems = {}
    for path in ("/me/account/", "/me/account/delete/", "/me/account/join/", "/me/checkin/"):
        page.goto(f"{live_server.url}{path}")
        problems[path] = _axe(page)
    page.goto(f"{live_server.url}/me/account/join/")
    with page.expect_navigation():  # axe on the answer, not on the page being left
        page.locator("main form button[type=submit]").click()  # a wrong (empty) code: the error state
    problems["join-error"] = _axe(page)
    found = {k: [(v["id"], v["impact"]) for v in vs] for k, vs in problems.items() if vs}
    assert not found, json.dumps(found, indent=1)
    context.close()
