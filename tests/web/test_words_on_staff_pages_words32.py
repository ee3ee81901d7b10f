"""Lane words32: what Python writes into a staff page's sentences says a day in the reader's words (the one
definition, `keel.web.dates`), an order's frequency in the reader's language, and a staff member by a
readable name, never their username (a login name is half of a sign-in)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from keel.core.decision import Reason
from keel.patients.models import local_today, zone_of
from keel.patients.services import activation
from keel.sharing.models import EmergencyReview
from keel.treatment.models import DoseRecord, MedicationOrder, OrderStatus
from keel.treatment.services.doses.bottles import bottle_refusal
from keel.web.charts import trend
from keel.web.dates import shown_date
from tests.conftest import World

pytestmark = pytest.mark.django_db
LANGS = ["en", "es"]


def _said(day: date, lang: str) -> str:
    with translation.override(lang):
        return shown_date(day)


def _doses(world: World, days: list[date]) -> MedicationOrder:
    nurse = world.staff["nurse"]
    order = MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(80),
        starts_on=min(days),
        prescriber=world.staff["prescriber"],
        created_at=timezone.now(),
    )
    for n, d in enumerate(sorted(days)):
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=d,
            sequence=1,
            status="given",
            amount_mg=Decimal(80),
            treatment_day=n + 1,
            decision={},
            recorded_by=nurse,
            recorded_at=timezone.now(),
        )
    return order


@pytest.mark.parametrize("lang", LANGS)
def test_the_timeline_says_a_run_of_doses_in_words(world: World, signed_in: Any, lang: str) -> None:
    today = local_today(world.alice)
    first, last = today - timedelta(days=4), today - timedelta(days=2)
    _doses(world, [first + timedelta(days=i) for i in range(3)])
    page = signed_in("nurse").get(f"/patients/{world.alice.pk}/timeline/", HTTP_ACCEPT_LANGUAGE=lang)
    text = page.content.decode()
    assert _said(first, lang) in text and _said(last, lang) in text
    assert first.isoformat() not in text and last.isoformat() not in text


def test_the_timeline_api_keeps_the_run_in_iso(world: World, signed_in: Any) -> None:
    """A machine reads the API: its days stay ISO."""
    today = local_today(world.alice)
    first, last = today - timedelta(days=4), today - timedelta(days=2)
    _doses(world, [first + timedelta(days=i) for i in range(3)])
    body = signed_in("nurse").get(f"/api/v1/patients/{world.alice.pk}/timeline").json()
    runs = [e["detail"] for e in body["events"] if e["kind"] == "dose"]
    assert runs == [f"{first.isoformat()} to {last.isoformat()}"]


@pytest.mark.parametrize(("lang", "said"), [("en", "80 mg, once daily"), ("es", "80 mg, una vez al día")])
def test_the_timeline_says_an_orders_frequency_in_the_readers_language(
    world: World, signed_in: Any, lang: str, said: str
) -> None:
    _doses(world, [local_today(world.alice) - timedelta(days=1)])
    page = signed_in("nurse").get(f"/patients/{world.alice.pk}/timeline/", HTTP_ACCEPT_LANGUAGE=lang)
    assert said in page.content.decode()


@pytest.mark.parametrize("lang", LANGS)
def test_the_medication_page_says_when_a_later_order_starts_in_words(
    world: World, signed_in: Any, lang: str
) -> None:
    today = local_today(world.alice)
    old = _doses(world, [today - timedelta(days=1)])
    old.status = OrderStatus.SUPERSEDED
    old.save(update_fields=["status"])
    later = today + timedelta(days=3)
    MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(90),
        starts_on=later,
        deferred=True,
        prescriber=world.staff["prescriber"],
        created_at=timezone.now(),
        supersedes=old,
    )
    page = signed_in("prescriber").get(f"/patients/{world.alice.pk}/medication/", HTTP_ACCEPT_LANGUAGE=lang)
    text = page.content.decode()
    assert _said(later, lang) in text
    assert later.isoformat() not in text.replace(f'"{later.isoformat()}"', "")


def _review(world: World, *, attested: bool) -> EmergencyReview:
    used_by, admin = world.staff["prescriber"], world.staff["program_admin"]
    return EmergencyReview.objects.create(
        patient=world.alice,
        program=world.riverside,
        kind="refused_after_death",
        used_by=used_by,
        reason="Unconscious at the emergency department",
        raised_at=timezone.now() - timedelta(hours=2),
        attested_by=admin if attested else None,
        attested_at=timezone.now() if attested else None,
        note="Checked with the ED" if attested else "",
    )


@pytest.mark.parametrize(("lang", "role"), [("en", "Prescriber"), ("es", "Médico/a que receta")])
def test_the_reviews_page_never_shows_a_username(world: World, signed_in: Any, lang: str, role: str) -> None:
    used_by, admin = world.staff["prescriber"], world.staff["program_admin"]
    assert not used_by.get_full_name() and not admin.get_full_name()
    _review(world, attested=True)
    page = signed_in("program_admin").get("/program/emergency-reviews/?all=1", HTTP_ACCEPT_LANGUAGE=lang)
    text = page.content.decode()
    assert page.status_code == 200
    assert used_by.username not in text and admin.username not in text
    assert role in text


def test_the_reviews_page_names_a_staff_member_by_full_name(world: World, signed_in: Any) -> None:
    used_by = world.staff["prescriber"]
    used_by.first_name, used_by.last_name = "Ana", "Ruiz"
    used_by.save(update_fields=["first_name", "last_name"])
    _review(world, attested=False)
    text = signed_in("program_admin").get("/program/emergency-reviews/").content.decode()
    assert "Ana Ruiz" in text


# --- Days Python writes into words, said through `keel.web.dates` ----------------------------------------

SOURCE = Path(__file__).resolve().parents[2] / "src" / "keel"
# A translated sentence's parts (`_("...") % {...}`) with a day in ISO: a person reads that sentence.
ISO_IN_WORDS = re.compile(r"\)\s*%\s*\{[^}]*\.isoformat\(\)", re.DOTALL)


def test_no_translated_sentence_says_a_day_in_iso() -> None:
    """A day in a sentence a person reads is said by `keel.web.dates.shown_date`; stored text written with
    `.format(...)` (a plan's end words, a decision's reasons) is not this pattern and stays as stored."""
    found = sorted(
        str(p.relative_to(SOURCE)) for p in SOURCE.rglob("*.py") if ISO_IN_WORDS.search(p.read_text())
    )
    assert found == []


@pytest.mark.parametrize("lang", LANGS)
def test_a_trend_charts_summary_says_its_days_in_words(lang: str) -> None:
    now = timezone.now()
    series = [(now - timedelta(days=30), 12), (now - timedelta(days=2), 6)]
    with translation.override(lang):
        chart = trend(series, y_max=27, title="PHQ-9")
        first = shown_date(series[0][0])
    assert chart is not None and first in chart.summary and first in chart.dots[0].label
    assert (now - timedelta(days=30)).date().isoformat() not in chart.summary
    assert ("puntuaciones del" in chart.summary) == (lang == "es")


@pytest.mark.parametrize("lang", LANGS)
def test_a_bottle_refusal_says_its_day_in_words(lang: str) -> None:
    day = date.today() + timedelta(days=2)
    with translation.override(lang):
        said = bottle_refusal(day, Decimal(70), Reason.said("QTc above 500 ms.", ()))
    assert _said(day, lang) in said and day.isoformat() not in said


@pytest.mark.parametrize("lang", LANGS)
def test_the_activation_message_says_until_when_in_words(world: World, lang: str) -> None:
    patient = world.alice
    patient.preferred_language = lang
    expires = timezone.now() + timedelta(days=3)
    text = activation._code_words(patient, "ABCD-EFGH", "https://keel.example/activate/", expires)
    assert _said(timezone.localtime(expires, zone_of(patient)).date(), lang) in text
