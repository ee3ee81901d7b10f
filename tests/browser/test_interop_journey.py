"""Journey 9 in a browser: a patient downloads their own record as a FHIR R4 Bundle from their page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from keel import demo
from tests.browser.test_foundation_journeys import PHONE
from tests.browser.test_instrument_journeys import _sign_in


def test_a_patient_takes_their_record_to_another_provider(live_server: Any, browser: Any) -> None:
    demo.load(patients_per_program=4, seed=11)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.patient1")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my record").click()
    download = info.value
    assert download.suggested_filename == "my-keel-record.fhir.json"
    with open(download.path(), encoding="utf-8") as f:
        bundle = json.load(f)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert bundle["resourceType"] == "Bundle"
    assert {"Patient", "MedicationRequest", "EpisodeOfCare"} <= kinds
    context.close()


def test_a_clinician_sees_where_an_imported_phq9_came_from(live_server: Any, browser: Any, shot: Any) -> None:
    from keel.accounts.models import User
    from keel.interop import services
    from keel.interop.fhir.base import Base
    from keel.patients.models import Patient

    demo.load(patients_per_program=4, seed=11)
    nurse = User.objects.get(username="riverside.nurse")
    patient = Patient.objects.filter(care_team__user=nurse).order_by("pk").first()
    assert patient is not None
    answers = ["LA6569-3"] * 9
    items = [
        {"linkId": f"/44249-1/{code}", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": a}}]}
        for code, a in zip(LOINC_ITEMS, answers, strict=True)
    ] + [{"linkId": "/44249-1/44261-6", "answer": [{"valueInteger": 12}]}]
    doc = {
        "resourceType": "QuestionnaireResponse",
        "id": "ext-77",
        "meta": {"source": "https://ehr.example.org/fhir"},
        "status": "completed",
        "subject": {
            "identifier": {
                "system": f"https://keel.invalid/fhir/record-number/{patient.program.slug}",
                "value": patient.record_number,
            }
        },
        "authored": (timezone.localdate() - timedelta(days=1)).isoformat(),  # a date alone, as some send it
        "item": [{"linkId": "/44249-1", "item": items}],
    }
    filed = services.import_response(nurse, patient.pk, doc, base=Base(f"{live_server.url}/fhir/R4/"))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.nurse")
    page.goto(f"{live_server.url}/patients/{patient.pk}/assessments/{filed.assessment.pk}/")
    section = page.get_by_role("region", name="Where this result came from")
    expect(section).to_contain_text("https://ehr.example.org/fhir")
    expect(section).to_contain_text("the record number")
    expect(section).to_contain_text("The other system's total was 12; the answers add up to 9")
    shot(page, "imported-phq9-provenance")
    context.close()


LOINC_ITEMS = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
