"""Session 20's look, kept: each page group as its users see it, in Spanish, at their screen's size (a nurse's
tablet at the window, a prescriber's and an auditor's desktop, a nurse under emergency access, a patient's
phone). Few page loads each: signed in by session cookie, the data built with the services and the demo.
Screenshots go to test-artifacts/ (the `shot` fixture)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import Client

from keel import demo
from keel.accounts.models import User
from keel.patients.models import Patient, local_today
from tests.browser.test_treatment_journey import htmx_ready, settled
from tests.conftest import sign_in

TABLET = {"width": 1024, "height": 768}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SPANISH = "es"


def _as(browser: Any, live: str, username: str, viewport: dict[str, int], **kw: Any) -> Any:
    """A Spanish browser signed in as `username` (the session's cookie, second factor included)."""
    client = sign_in(Client(), User.objects.get(username=username))
    context = browser.new_context(
        viewport=viewport, locale=SPANISH, extra_http_headers={"Accept-Language": SPANISH}, **kw
    )
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live}])
    return context


def _fits(page: Any, viewport: dict[str, int]) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def _riverside() -> list[Patient]:
    demo.load(patients_per_program=6, seed=11)
    return list(Patient.objects.filter(program__slug="riverside").order_by("pk"))


def _staff(suffix: str) -> User:
    return User.objects.get(username=f"riverside.{suffix}")


def _take_home_from_today(patient: Patient) -> None:
    from keel.core.rules.methadone import CRITERIA
    from keel.treatment import services

    services.decide_take_home(
        by=_staff("prescriber"),
        patient_id=patient.pk,
        criteria={key: True for key, _text in CRITERIA},
        start_on=local_today(patient).isoformat(),
    )


def test_a_nurse_at_the_window_on_a_tablet(live_server: Any, browser: Any, shot: Any) -> None:
    """A dose given, a dose refused (first day, above its limits), a take-home day with the bottle back."""
    people = _riverside()
    regular, take_home, first_day = people[0], people[1], people[3]
    _take_home_from_today(take_home)
    context = _as(browser, live_server.url, "riverside.nurse", TABLET, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/dosing/")
    htmx_ready(page)
    _fits(page, TABLET)
    row = page.locator(f"#p{regular.pk}")
    amount = row.locator("input.mg")
    amount.fill(amount.get_attribute("placeholder"))  # the ordered dose, typed
    amount.press("Enter")
    page.locator(f"#p{regular.pk} .verdict.given").wait_for()
    settled(page)
    row = page.locator(f"#p{first_day.pk}")
    row.locator("input.mg").fill("80")
    row.locator("input.mg").press("Enter")
    refused = page.locator(f"#p{first_day.pk} .verdict.blocked")
    refused.wait_for()
    settled(page)
    assert "No se dio" in refused.inner_text()  # as every refusal at the window says it (lane words23)
    row = page.locator(f"#p{take_home.pk}")
    assert "día de dosis para llevar" in row.inner_text()
    row.get_by_label("devolvió sin abrir el frasco de hoy").check()
    row.locator("input.mg").fill(row.locator("input.mg").get_attribute("placeholder"))
    row.locator("input.mg").press("Enter")
    page.locator(f"#p{take_home.pk} .verdict.given").wait_for()
    settled(page)
    _fits(page, TABLET)
    shot(page, "look-window-tablet-es")
    context.close()


def test_a_prescriber_on_a_desktop(live_server: Any, browser: Any, shot: Any) -> None:
    """The medication page (the order in force and one to start later, the QTc warning, the bottles held,
    the override's kinds) and the record's notices, in Spanish with no code or English on them."""
    from keel.treatment import services
    from keel.treatment.models import MedicationOrder

    people = _riverside()
    person, high_qtc = people[1], people[4]
    _take_home_from_today(person)
    services.record_qtc(by=_staff("nurse"), patient_id=person.pk, qtc_ms=480)
    services.record_qtc(by=_staff("nurse"), patient_id=high_qtc.pk, qtc_ms=520)
    current = MedicationOrder.objects.get(patient=person, medication="methadone", status="active")
    later = local_today(person) + timedelta(days=3)
    services.prescribe(
        by=_staff("prescriber"),
        patient_id=person.pk,
        medication="methadone",
        dose_mg=str(current.dose_mg + 10),
        starts_on=later,
    )
    context = _as(browser, live_server.url, "riverside.prescriber", DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/patients/{person.pk}/medication/")
    orders = page.locator("ul.orders").inner_text()
    from django.utils import translation

    from keel.web.dates import shown_date

    with translation.override("es"):
        later_day = shown_date(later)  # the day in words (lane words32; was ISO)
    assert f"en vigor hoy; la orden más nueva empieza el {later_day}" in orders
    assert f"escrita para empezar el {later_day}: todavía no está en vigor" in orders
    text = page.locator("main").inner_text()
    assert "La metadona y el QTc:" in text
    assert "contados contra cualquier suministro nuevo" in text
    for english in ("once daily", "regular attendance", "federal rule", "over 450"):
        assert english not in text, english
    page.get_by_text("Escribir una excepción para hoy").click()  # the form is folded (lane words22)
    kinds = page.locator("#ov-kind option").all_inner_texts()
    assert (
        len(kinds) == 5 and "switch" not in kinds and any("(un cambio)" in k for k in kinds)
    )  # + the early re-dose (session 35)
    _fits(page, DESKTOP)
    shot(page, "look-medication-desktop-es")
    page.goto(f"{live_server.url}/patients/{high_qtc.pk}/")
    page.get_by_role("heading", name="QTc de 500 ms o más").wait_for()
    _fits(page, DESKTOP)
    shot(page, "look-record-notices-desktop-es")
    context.close()


# What emergency access may do from these pages (the services' `emergency_access=True`): end it, and the
# point-of-care records (a dose, an injection, a fill, a QTc, a time of last use).
EMERGENCY_MAY = ("/emergency-access/", "/injections/", "/medication/fills/", "/medication/qtc/", "/last-use/")


def test_a_nurse_under_emergency_access(live_server: Any, browser: Any, shot: Any) -> None:
    """The record and the pages it links to offer no form emergency access would be refused, and say why
    once (the record's banner; the emergency note on a page with forms left out)."""
    from keel.sharing.services.emergency import emergency_access

    person = _riverside()[4]  # nurse2 is on the odd people's care teams only
    emergency_access(
        by=_staff("nurse2"),
        record_number=person.record_number,
        reason="Collapsed in the lobby, unresponsive",
        password=demo.DEMO_PASSWORD,
    )
    context = _as(browser, live_server.url, "riverside.nurse2", DESKTOP)
    page = context.new_page()
    note = "Está viendo este expediente mediante acceso de emergencia"
    for path in ("", "medication/", "start/", "episodes/", "appointments/"):
        page.goto(f"{live_server.url}/patients/{person.pk}/{path}")
        posts = page.evaluate(
            "[...document.querySelectorAll('main form')].filter(f => f.method === 'post')"
            ".map(f => f.getAttribute('action') || location.pathname)"
        )
        refused = [a for a in posts if not any(part in a for part in EMERGENCY_MAY)]
        assert refused == [], (path, refused)
        assert page.locator("main").inner_text().count(note) == 1, path
        _fits(page, DESKTOP)
        if not path:
            shot(page, "look-emergency-record-desktop-es")
    context.close()


def test_an_auditor_reads_the_emergency_filter(live_server: Any, browser: Any, shot: Any) -> None:
    from keel.sharing.services.emergency import emergency_access

    person = _riverside()[4]
    emergency_access(
        by=_staff("nurse2"),
        record_number=person.record_number,
        reason="Collapsed in the lobby, unresponsive",
        password=demo.DEMO_PASSWORD,
    )
    context = _as(browser, live_server.url, "riverside.auditor", DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/audit/?emergency=1")
    table = page.locator("main table").inner_text()
    assert "acceso de emergencia: se avisa al equipo de atención" in table
    assert "the care team is told" not in table
    _fits(page, DESKTOP)
    shot(page, "look-audit-emergency-desktop-es")
    context.close()


def test_a_patient_after_a_clinic_dose_on_a_phone(live_server: Any, browser: Any, shot: Any) -> None:
    """Their home start says not to take a first dose at home today, before any rating."""
    from keel.treatment import services

    person = _riverside()[2]  # no methadone
    account = demo._patient_login(person, "riverside", 2)
    services.prescribe(
        by=_staff("prescriber"),
        patient_id=person.pk,
        medication="buprenorphine",
        dose_mg="4",
        home_start=True,
    )
    services.add_override(
        by=_staff("prescriber"),
        patient_id=person.pk,
        kind="start",
        medication="buprenorphine",
        max_total_mg="4",
        reason="Seen in clinic in clear withdrawal, COWS 14",
    )
    services.record_dose(by=_staff("nurse"), patient_id=person.pk, medication="buprenorphine", amount_mg="4")
    context = _as(browser, live_server.url, account.username, PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/me/home-start/")
    text = page.locator("main").inner_text()
    assert "Su clínica ya le dio una dosis hoy" in text
    assert "Medir mi abstinencia ahora" not in text
    assert "Primera dosis:" not in text
    _fits(page, PHONE)
    shot(page, "look-home-start-phone-es")
    context.close()
