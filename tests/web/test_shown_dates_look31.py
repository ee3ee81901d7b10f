"""Lane look31: one definition of how Keel shows a day to a reader (`web/templatetags/keel_dates.py`), the
patients' pages' localized `DATE_FORMAT`, now on staff pages too; what a machine reads stays ISO."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from keel.sharing.models import EmergencyReview
from keel.sharing.services import emergency_access
from keel.web.templatetags.keel_dates import shown_date, shown_datetime
from tests.conftest import PASSWORD, World, sign_in

# A formatting rule's examples: a fixed day cannot go stale here (no clock is read).
DAY = date(2026, 12, 6)
INSTANT = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)


def test_a_day_is_said_in_english() -> None:
    with translation.override("en"):
        assert shown_date(DAY) == "Dec. 6, 2026"


def test_a_day_is_said_in_spanish() -> None:
    with translation.override("es"):
        assert shown_date(DAY) == "6 de diciembre de 2026"


def test_an_instant_is_its_day_and_time() -> None:
    with translation.override("en"), timezone.override(ZoneInfo("UTC")):
        assert shown_datetime(INSTANT) == "Dec. 6, 2026, 14:05"


def test_no_day_is_empty() -> None:
    assert shown_date(None) == ""


def test_a_template_shows_an_instant_in_the_active_zone() -> None:
    template = Template('{% load keel_dates %}{{ at|shown_datetime:"T" }}')
    with translation.override("en"), timezone.override(ZoneInfo("America/New_York")):
        assert template.render(Context({"at": INSTANT})) == "Dec. 6, 2026, 09:05 EST"


@pytest.mark.django_db
def test_the_reviews_page_says_the_day_in_words(world: World) -> None:
    emergency_access(
        by=world.staff["nurse"],
        record_number="RR-0002",
        reason="collapsed in the waiting room",
        password=PASSWORD,
    )
    raised = EmergencyReview.objects.get().raised_at.astimezone(ZoneInfo(world.riverside.time_zone))
    admin = sign_in(Client(HTTP_ACCEPT_LANGUAGE="es"), world.staff["program_admin"])
    page = admin.get("/program/emergency-reviews/").content.decode()
    with translation.override("es"):
        assert f"{shown_date(raised.date())}, {raised:%H:%M}" in page
