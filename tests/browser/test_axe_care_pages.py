"""axe-core on the pages of journeys 6-9, as the people who use them: no serious or critical problem."""

from __future__ import annotations

from typing import Any

import pytest

from keel import demo
from keel.patients.models import Patient
from tests.browser.test_foundation_journeys import PHONE
from tests.browser.test_instrument_journeys import _sign_in
from tests.browser.test_public_journeys import AXE, _axe


def test_axe_finds_no_serious_problem_on_the_care_pages(live_server: Any, browser: Any) -> None:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make install` (npm ci)")
    demo.load(patients_per_program=9, seed=11)
    patient = Patient.objects.get(user__username="riverside.patient1")
    visits = [
        (
            "riverside.nurse",
            [
                "/patients/",
                f"/patients/{patient.pk}/timeline/",
                f"/patients/{patient.pk}/sharing/",
                "/emergency-access/",
                f"/patients/{patient.pk}/flowsheet/bam/",
                f"/patients/{patient.pk}/medication/",
            ],
        ),
        ("riverside.admin", ["/program/measures/"]),
        ("riverside.patient1", ["/me/sharing/", "/me/sharing/new/"]),
    ]
    problems: dict[str, list[str]] = {}
    for username, paths in visits:
        context = browser.new_context(
            viewport=PHONE if "patient" in username else {"width": 1100, "height": 900}, bypass_csp=True
        )
        page = context.new_page()
        _sign_in(page, live_server.url, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None, path
            assert response.status == 200, path
            assert "/accounts/login/" not in page.url, path
            found = _axe(page)
            if found:
                problems[path] = [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in found]
        context.close()
    assert problems == {}
