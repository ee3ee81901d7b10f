"""Hole 3: a response sent with a date alone (`authored: "YYYY-MM-DD"`) goes out of Keel's FHIR API as an
instant (the program's midnight, in UTC): a time the sender never gave.

The import says back "a date without a time: kept as that date", and the docstring of
`assessments.fhir.questionnaire_response` promises "`authored` as sent when the response came from another
system date-only"; the code sends `instant(a.filled_at)` for every response
(and so do the Observations' `effectiveDateTime`).
"""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from keel.patients.models import local_today
from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_a_date_only_response_goes_out_as_that_date(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    day = (local_today(world.alice) - timedelta(days=2)).isoformat()
    filed = post_qr(nurse, world, qr(world, authored=day)).json()
    read = nurse.get(f"/fhir/R4/QuestionnaireResponse/assessment-{filed['id']}").json()
    assert read["authored"] == day
