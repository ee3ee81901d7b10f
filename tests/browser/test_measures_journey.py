"""Journey 7 in a browser: the director opens the program's measures from the navigation, changes the
window, reads each plot and downloads one measure as CSV."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keel import demo
from tests.browser.test_instrument_journeys import _sign_in


def test_the_directors_month(live_server: Any, browser: Any, shot: Any) -> None:
    demo.load(patients_per_program=9, seed=11)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.admin")
    page.get_by_role("link", name="Measures").click()
    expect(page.get_by_role("heading", name="Program measures: Riverside Recovery")).to_be_visible()
    for title in ("Retention at 30 days", "Retention at 90 days", "Retention at 180 days"):
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_role("img", name="Continuity of pharmacotherapy (NQF 3175)")).to_be_visible()
    expect(page.locator("svg rect.bar").first).to_be_attached()
    shot(page, "measures-director")

    page.goto(f"{live_server.url}/program/measures/?max_gap=61")  # past the form's own limit
    expect(page.get_by_role("alert")).to_contain_text(
        "Longest gap allowed (days): must be a whole number of days from 0 to 60"
    )
    page.get_by_label("Longest gap allowed (days)").fill("14")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Naloxone coverage")).to_be_visible()
    assert "max_gap=14" in page.url

    section = page.get_by_role("region", name="Retention at 90 days")
    with page.expect_download() as info:
        section.get_by_role("link", name="Download Retention at 90 days as CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("riverside-retention_90-")
    lines = open(download.path(), encoding="utf-8").read().splitlines()  # noqa: SIM115
    assert lines[0] == "month,numerator,denominator,pending,percent,median_days"
    assert lines.index("") == 13
    facts = lines[14:]  # after the series: what the figures mean (issue #15)
    assert any(line.startswith("definition,") for line in facts)
    assert any(line.startswith("as_of,20") for line in facts)
    assert any(line.startswith("parameters,") and "max_gap=14" in line for line in facts)
    context.close()
