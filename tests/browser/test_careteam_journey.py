"""Journey 6 in a browser: the care team's morning. The nurse's list puts the person who reported use first,
with the reasons; the timeline shows what happened; the counselor files a monthly BAM and sees its trend."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keel import demo
from tests.browser.test_instrument_journeys import _sign_in


def test_the_care_teams_morning(live_server: Any, browser: Any, shot: Any) -> None:
    demo.load(patients_per_program=9, seed=11)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.nurse")
    page.get_by_role("link", name="Patients").click()
    rows = page.locator("table.caseload tbody tr")
    expect(rows.first).to_contain_text("Reported use (open flag)")
    expect(rows.first.locator(".tag-today")).to_have_text("Today")
    expect(rows.filter(has_text="No observed dose for 3 days in a row")).to_have_count(1)
    expect(rows.filter(has_text="No check-in for 9 days")).to_have_count(1)
    order = ["tier-now", "tier-today", "tier-soon", "tier-this_week", "tier-none"]
    tiers = [order.index(c) for c in rows.evaluate_all("rows => rows.map(r => r.className)")]
    assert tiers == sorted(tiers) and tiers[-1] == 4  # most urgent first; some need nothing new
    shot(page, "careteam-caseload")

    name = rows.first.get_by_role("link").inner_text()
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("alert").filter(has_text="Reported use")).to_be_visible()
    page.get_by_role("link", name="Timeline: everything in this record, newest first").click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".event-recovery", has_text="reported use").first).to_be_visible()
    expect(page.get_by_text("Flag: Reported use")).to_be_visible()
    expect(page.locator(".event-recovery", has_text="Check-in").first).to_be_visible()
    shot(page, "careteam-timeline")
    context.close()

    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server.url, "riverside.counselor")
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name=name).click()
    patient_url = page.url.rstrip("/")
    page.locator("a[href$='/instruments/bam/']").click()
    for item in [n for n in range(1, 18) if n != 7]:
        page.locator(f"#q-bam_{item}").locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Save").click()
    page.goto(f"{patient_url}/flowsheet/bam/")
    expect(page.locator("polyline.bam-risk")).to_have_count(1)
    expect(page.get_by_text("Protective factors").first).to_be_visible()
    shot(page, "careteam-bam-trend")
    context.close()
