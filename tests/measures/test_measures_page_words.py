"""The measures page in the reader's language, and what its audit row says (issue #15, review round 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from tests.conftest import sign_in

NOW = datetime(2026, 3, 1, 17, tzinfo=UTC)


def _page(world: Any, language: str = "es") -> str:
    from keel.patients.models import Enrollment

    Enrollment.objects.filter(patient=world.bob).update(
        ended_on=date(2026, 2, 1), status="ended", end_reason="other"
    )  # left before a dose: "never started"
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["program_admin"])
        client.cookies["django_language"] = language
        response = client.get("/program/measures/")
    assert response.status_code == 200
    return response.content.decode()


def test_spanish_titles(world: Any) -> None:
    html = _page(world)
    assert "Permanencia a los 90 días" in html
    assert "Cobertura de naloxona" in html


def test_spanish_definition_with_its_numbers(world: Any) -> None:
    assert "sin ninguna pausa de más de 7 días" in _page(world)


def test_spanish_left_out_reason(world: Any) -> None:
    assert "no empezó: la atención terminó antes de una primera dosis" in _page(world)


def test_spanish_version(world: Any) -> None:
    assert "especificación CQM de 2019" in _page(world)


def test_english_page_keeps_the_english_words(world: Any) -> None:
    html = _page(world, "en")
    assert "Retention at 30 days" in html
    assert "never started: care ended before a first dose" in html


def test_the_page_shows_raw_counts_and_its_audit_row_says_so(world: Any) -> None:
    _page(world)
    last = AuditEvent.objects.filter(target_type="program_measures").order_by("-id").first()
    assert last is not None
    assert last.detail["raw_counts"] is True


def test_a_broken_translation_falls_back_to_english() -> None:
    from keel.core.measures.program import Measure
    from keel.measures.views import _words

    m = Measure(
        code="x",
        title="Retention at 30 days",
        version="v",
        unit="percent",
        numerator=0,
        denominator=0,
        pending=0,
        value=None,
        series=(),
        excluded={},
        params={},
        sources=(),
        definition="d",
        said={"Retention at 30 days": {"template": "Retention at %(dias)s days", "params": {"days": 30}}},
    )
    assert _words(m, m.title) == "Retention at 30 days"
