"""The row swapped in after a dose is written out in Python (`keel.treatment.views.dosing_row.row_html`, issue
#21): it is byte for byte `treatment/_dosing_row.html` rendered with the request (the CSRF token aside: each
rendering masks it afresh; both unmask to the request's secret). Over the rows of the dose-context histories,
both window medications, before and after a dose given and a dose held, every verdict (none, given, held,
blocked) with and without focus, a photo or none, one or two open flags, missed days, take-home days and
plans, names and verdicts that need escaping, in English and Spanish, with the thousands separator on and
off, and translation off. Through the page too. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from typing import Any

import pytest
import time_machine
from django.middleware.csrf import _unmask_cipher_token
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.urls import resolve
from django.utils import translation

from keel.treatment import services
from keel.treatment.queries import DosingRow, dosing_row
from keel.treatment.views.dosing_row import row_html
from tests.conftest import World, sign_in
from tests.treatment.test_dose_context_sql import HISTORIES, NOON, _order
from tests.treatment.test_dosing_row_sql import _flag, _photo

pytestmark = pytest.mark.django_db
REFUSED = (services.DoseBlocked, services.DoseConflict, services.TreatmentInvalid)
SECRET = "a" * 16 + "B" * 16
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')
RESULTS: list[dict[str, Any] | None] = [
    None,
    {"kind": "given", "text": "30 mg given to Al <b>&amp;</b> O'Neil.", "patient": 1, "medication": "m"},
    {"kind": "held", "text": 'Dose held for "X".', "patient": 1, "medication": "methadone"},
    {"kind": "blocked", "text": "Not given: <script>alert(1)</script>", "patient": 1, "medication": "m"},
]


def _request(patient_id: int) -> Any:
    request = RequestFactory().post(f"/dosing/{patient_id}/")
    request.META["CSRF_COOKIE"] = SECRET
    request.resolver_match = resolve(f"/dosing/{patient_id}/")
    return request


def _same(row: DosingRow, why: Any) -> None:
    for result in RESULTS:
        for focus in (True, False):
            request = _request(row.patient.pk)
            expected = render_to_string(
                "treatment/_dosing_row.html", {"r": row, "result": result, "focus": focus}, request=request
            )
            written = row_html(request, row, result, focus)
            tokens = TOKEN.findall(written)
            assert len(tokens) == 1, why
            assert _unmask_cipher_token(tokens[0]) == SECRET, why
            assert TOKEN.sub("", written) == TOKEN.sub("", expected), (why, result, focus)


def _variants(row: DosingRow) -> list[DosingRow]:
    """The row as read, and with each status, the due flag, flags and missed days it could show."""
    out = [row]
    for status in ("due", "given", "held", "take_home"):
        out.append(replace(row, status=status, due=status == "due"))
    out.append(replace(row, open_flags=1))
    out.append(replace(row, open_flags=3, today=replace(row.today, missed_days_in_a_row=1)))
    out.append(replace(row, today=replace(row.today, missed_days_in_a_row=4, last_dose=None)))
    return out


def _rows(world: World, medication: str) -> list[DosingRow]:
    row = dosing_row(world.staff["nurse"], patient_id=world.alice.pk, medication=medication)
    return [] if row is None else _variants(row)


@pytest.mark.parametrize("history", list(HISTORIES))
def test_the_row_written_in_python_is_the_templates(world: World, history: str) -> None:
    HISTORIES[history](world)
    _order(world, "methadone"), _order(world, "buprenorphine")
    nurse = world.staff["nurse"]
    seen = 0
    with time_machine.travel(NOON, tick=False):
        for medication in ("methadone", "buprenorphine"):
            for kind in ("before", "given", "held"):
                if kind != "before":
                    with contextlib.suppress(REFUSED):
                        services.record_dose(
                            by=nurse,
                            patient_id=world.alice.pk,
                            amount_mg="5" if medication == "methadone" else "2",
                            sedated=kind == "held",
                            medication=medication,
                        )
                for row in _rows(world, medication):
                    for language in ("en", "es"):
                        with translation.override(language):
                            _same(row, (history, medication, kind, language))
                    seen += 1
    assert seen or history in ("discharged",), history


@pytest.mark.parametrize("photo", [False, True])
def test_names_that_need_escaping_a_photo_and_the_thousands_separator(world: World, photo: bool) -> None:
    HISTORIES["take-homes"](world)
    _order(world, "methadone"), _order(world, "buprenorphine")
    world.alice.preferred_name = "<b>\"Al\" & 'Bo'</b>"
    world.alice.family_name = "O'Neil <i>&amp;</i>"
    world.alice.save()
    if photo:
        _photo(world, world.alice)
    _flag(world, world.alice)
    with time_machine.travel(NOON, tick=False):
        for medication in ("methadone", "buprenorphine"):
            rows = _rows(world, medication)
            assert rows
            for row in rows:
                big = replace(row, open_flags=12345, today=replace(row.today, treatment_day=1234))
                for separator, i18n in ((False, True), (True, True), (False, False)):
                    with override_settings(USE_THOUSAND_SEPARATOR=separator, USE_I18N=i18n):
                        for language in ("en", "es"):
                            with translation.override(language):
                                _same(row, (medication, separator, i18n, language))
                                _same(big, (medication, separator, i18n, language, "big"))


def test_through_the_page_the_answer_is_the_templates_row(world: World) -> None:
    """The htmx answer: the template rendered for the row read afresh after the dose, with the verdict."""
    HISTORIES["regular"](world)
    _order(world, "methadone")
    _photo(world, world.alice)
    nurse = world.staff["nurse"]
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), nurse)
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "30", "sequence": "1", "medication": "methadone"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "text/html; charset=utf-8"
        row = dosing_row(nurse, patient_id=world.alice.pk, medication="methadone")
        result = {"kind": "given", "text": f"30 mg given to {world.alice.display_name}."}
        expected = render_to_string(
            "treatment/_dosing_row.html",
            {"r": row, "result": result, "focus": True},
            request=response.wsgi_request,
        )
    html = response.content.decode()
    assert TOKEN.sub("", html) == TOKEN.sub("", expected)
    assert 'class="verdict given"' in html
