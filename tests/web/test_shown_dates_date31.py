"""Lane date31: the rest of the staff pages say a day through `|shown_date` / `|shown_datetime` (the one
definition in `web/templatetags/keel_dates.py`), never as ISO; what a machine reads stays ISO."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from keel.patients.models import ActivationCode, Enrollment, Patient
from keel.web.templatetags.keel_dates import shown_date
from tests.conftest import World

# A formatting rule's example: a fixed day cannot go stale here (no clock is read).
DAY = date(2026, 1, 5)
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "keel"
ISO_FILTER = re.compile(r'date:"Y-m-d')


def _qtc(lang: str) -> str:
    q = SimpleNamespace(measured_on=DAY, qtc_ms=512, reason_words=["at the window"])
    with translation.override(lang):
        return render_to_string("treatment/_qtc_line.html", {"q": q})


def test_a_qtc_line_says_its_day_in_spanish() -> None:
    assert _qtc("es").startswith("<li>5 de enero de 2026: 512 ms")


def test_a_qtc_line_says_its_day_in_english() -> None:
    assert _qtc("en").startswith("<li>Jan. 5, 2026: 512 ms")


def test_no_template_shows_a_day_as_iso_but_the_audit_trail() -> None:
    """The audit trail's UTC column is the one ISO column a person reads (an auditor's record)."""
    iso = sorted(
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if ISO_FILTER.search(path.read_text(encoding="utf-8"))
    )
    assert iso == ["web/templates/web/audit_trail.html"]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_activation_code_page_says_until_when_in_words(world: World, signed_in: Any, lang: str) -> None:
    patient = Patient.objects.create(
        program=world.riverside, record_number="RR-0100", given_name="Maria", family_name="Lopez"
    )
    Enrollment.objects.create(patient=patient, program=world.riverside, started_on=timezone.localdate())
    client: Client = signed_in("program_admin")
    page = client.post(f"/patients/{patient.pk}/activation-code/", HTTP_ACCEPT_LANGUAGE=lang)
    expires = ActivationCode.objects.get(patient=patient).expires_at
    with translation.override(lang):
        shown = shown_date(timezone.localtime(expires))
    assert shown in page.content.decode()
