"""Review 19d: a disclosed progress report says no more than the consent's category, and never misstates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _orders(world: Any) -> None:
    from keel.patients.models import local_today
    from keel.treatment import services

    prescriber, today = world.staff["prescriber"], local_today(world.alice)
    services.prescribe(by=prescriber, patient_id=world.alice.pk, medication="buprenorphine", dose_mg="8")
    for days, dose in ((5, "12"), (9, "16")):  # two raises, each written to start later
        services.prescribe(
            by=prescriber,
            patient_id=world.alice.pk,
            medication="buprenorphine",
            dose_mg=dose,
            starts_on=today + timedelta(days=days),
        )


def _lines(world: Any) -> str:
    from django.utils import timezone

    from keel.access import policy
    from keel.sharing.services.disclosures import report

    doc = report(world.alice, ("medication",), timezone.now(), areas=policy.areas_of(world.staff["nurse"]))
    return " ".join(line for s in doc["sections"] for line in s["lines"])


def test_medication_section_holds_only_the_current_dose_the_consent_names(world: Any) -> None:
    # the consent's category reads "current medicine and dose, and doses taken in the last 30 days"
    _orders(world)
    assert "16 mg" not in _lines(world)


def test_medication_section_never_names_a_later_dose_and_skips_the_one_between(world: Any) -> None:
    _orders(world)
    text = _lines(world)
    assert not ("16 mg" in text and "12 mg" not in text)
