"""Journey 9 in a browser: a patient downloads their own record as a FHIR R4 Bundle from their page."""

from __future__ import annotations

import json
from typing import Any

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
    assert bundle["resourceType"] == "Bundle" and {"Patient", "MedicationRequest", "EpisodeOfCare"} <= kinds
    context.close()
