"""Lane words35: the measures page says each month in words ("November 2026"; "noviembre de 2026") in its
month-by-month table, its bars' labels and what a screen reader hears of its charts, a month short under
each bar ("Nov"; the year on the first bar and on a January); the CSV keeps the ISO month a machine reads."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from keel.measures.queries import default_window
from keel.patients.models import local_today
from keel.web.dates import shown_month
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db
SHORT_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
ISO_MONTH = re.compile(r"(?<![\d-])\d{4}-\d{2}(?![\d-])")


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(re.sub(r"<[^>]*>", " ", html).split())


def _html(world: Any, language: str) -> str:
    client = sign_in(Client(), world.staff["program_admin"])
    client.cookies["django_language"] = language
    response = client.get("/program/measures/")
    assert response.status_code == 200
    return response.content.decode()


def _first_month(world: Any) -> date:
    return default_window(local_today(world.alice))[0]


def _said(day: date, language: str) -> str:
    with translation.override(language):
        return shown_month(day)


def test_the_table_says_the_month_in_english(world: Any) -> None:
    assert f'<td data-label="Month">{_said(_first_month(world), "en")}</td>' in _html(world, "en")


def test_the_table_says_the_month_in_spanish(world: Any) -> None:
    said = _said(_first_month(world), "es")
    assert said.endswith(f" de {_first_month(world).year}")
    assert f'<td data-label="Mes">{said}</td>' in _html(world, "es")


def test_no_iso_month_is_read_on_the_page(world: Any) -> None:
    assert ISO_MONTH.findall(visible(_html(world, "es"))) == []


def test_a_bars_label_says_the_month_in_words(world: Any) -> None:
    assert f"<title>{_said(_first_month(world), 'es')}: " in _html(world, "es")


def test_the_first_bar_says_its_month_short_with_its_year(world: Any) -> None:
    first = _first_month(world)
    assert f'class="tick">{SHORT_ES[first.month - 1]} {first.year}</text>' in _html(world, "es")


def test_the_csv_keeps_the_iso_month(world: Any) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    rows = list(csv.reader(io.StringIO(client.get("/program/measures/retention_90.csv").content.decode())))
    first = _first_month(world)
    assert f"{first.year:04d}-{first.month:02d}" in [cell for row in rows for cell in row]
