"""Session 29, looked at in headless Chromium: after a correction put yesterday's dose back up beside
today's window dose, the nurse's warning named the window's day in ISO ("on 2026-12-05") while its bottles
were said as a person reads them. Every day in a correction's words on the page is said the same way,
in English and Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from keel.treatment.queries import correction_version
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World, sign_in
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc

ISO = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")
PUMP = "Pump log: 80 mg was given yesterday; the correction was wrong."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _warning(world: World, language: str) -> str:
    """Yesterday's dose corrected to 0, 80 mg at the window today, yesterday to 40, then back to 80 on the
    page: the warning the nurse reads (the window-day call-back)."""
    _plan, dose = handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="0")
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    corrected(world, dose, "Pump log: 40 mg.", corrected_mg="40")
    client = sign_in(Client(), world.staff["nurse"])
    url = reverse("treatment:amend", args=[world.alice.pk, dose.pk])
    with translation.override(language):
        response = client.post(
            url,
            # the form's hidden field: the version of the dose's corrections the page was drawn with (fix34a)
            {"corrected_mg": "80", "reason": PUMP, "correction_version": str(correction_version(dose))},
            HTTP_ACCEPT_LANGUAGE=language,
            follow=True,
        )
    said = [str(m) for m in get_messages(response.wsgi_request)] or [
        m.message for m in response.context["messages"]
    ]
    return " ".join(said)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_window_days_call_back_names_no_iso_day(world: World, language: str) -> None:
    said = _warning(world, language)
    assert ISO.search(said) is None, said


def test_the_window_days_call_back_is_said(world: World) -> None:
    said = _warning(world, "en")
    assert "A dose was given at the window on" in said
