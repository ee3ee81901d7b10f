"""Review 33b hole 3: a progress report released under a consent dates the latest PHQ-9 on the server's clock
(`timezone.localtime`), not on the person's program's: an evening PHQ-9 in Honolulu is reported a day late."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.test import Client

from keel.accounts.models import Program
from keel.assessments.services import submit_assessment
from keel.patients.models import Patient, local_today
from tests.conftest import PASSWORD, World, sign_in
from tests.review33b._setup import consent_for_alice

HONOLULU = ZoneInfo("Pacific/Honolulu")  # UTC-10 all year: 20:00 there is the next day in UTC and New York


def test_report_dates_an_evening_phq9_on_her_day(world: World) -> None:
    Program.objects.filter(pk=world.riverside.pk).update(time_zone="Pacific/Honolulu")
    world.alice = Patient.objects.select_related("program").get(pk=world.alice.pk)
    day = local_today(world.alice) - timedelta(days=2)
    submit_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="phq9",
        answers={f"phq9_{n}": 1 for n in range(1, 10)},
        filled_at=datetime.combine(day, time(20), tzinfo=HONOLULU),
    )
    court = consent_for_alice(world, "Harbor Family Court Probation", ["screenings"])
    sent = sign_in(Client(), world.staff["counselor"]).post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        {
            "basis": "consent",
            "consent": court.pk,
            "categories": ["screenings"],
            "recipient_name": court.recipient_name,
            "purpose": "treatment",
            "password": PASSWORD,
        },
        content_type="application/json",
    )
    assert sent.status_code == 201
    lines = sent.json()["document"]["sections"][0]["lines"]
    assert any(line.startswith("PHQ-9:") and line.endswith(f"on {day.isoformat()}.") for line in lines)
