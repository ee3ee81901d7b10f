"""The dosing window's refused row (lane words23): a dose the window will not give marks its whole row once, a
solid bar in the warning colour down its left edge, never a dashed outline round each cell, and says why in
words ("✗ Not given: ..."), so the row is never told by colour alone; the words and the bar have the contrast
WCAG asks (text 4.5:1, a mark 3:1). On a wide screen and on a phone, in English and in Spanish."""

from __future__ import annotations

from typing import Any

from keel import demo
from keel.treatment.models import MedicationOrder
from tests.browser.test_instrument_journeys import _sign_in
from tests.browser.test_treatment_journey import htmx_ready, wait_until

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TOO_MUCH_MG = "500"  # above the 300 mg hard bound no override passes: refused for anyone

# The row's marks as the browser draws them: the verdict's words, its text and background colours, the bar
# (a box-shadow inset on the first cell on a wide screen, the row's left border on a phone), each cell's
# outline, and WCAG's contrast ratio of two colours.
MARKS = """(id) => {
  const row = document.getElementById(id);
  const verdict = row.querySelector('.verdict');
  const rgb = (text) => (text.match(/[0-9.]+/g) || []).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
    return (x + 0.05) / (y + 0.05);
  };
  const first = getComputedStyle(row.cells[0]);
  const tr = getComputedStyle(row);
  const shadow = first.boxShadow;  // "rgb(179, 38, 30) 6px 0px 0px 0px inset" or "none"
  const barPx = shadow.includes('inset') ? parseFloat(shadow.replace(/rgba?[(][^)]*[)]/, '').trim()) : 0;
  const onPhone = parseFloat(tr.borderLeftWidth) > 0;
  const bar = onPhone ? rgb(tr.borderLeftColor) : rgb(shadow);
  const rowBackground = rgb(first.backgroundColor);
  return {
    words: verdict ? verdict.innerText.trim() : '',
    textContrast: verdict ? ratio(rgb(getComputedStyle(verdict.querySelector('strong')).color),
                                  rgb(getComputedStyle(verdict).backgroundColor)) : 0,
    barPx: onPhone ? parseFloat(tr.borderLeftWidth) : barPx,
    barStyle: onPhone ? tr.borderLeftStyle : (barPx ? 'solid' : 'none'),
    barContrast: ratio(bar, rowBackground),
    dashedCells: [...row.cells].filter((c) => getComputedStyle(c).outlineStyle !== 'none').length,
  };
}"""


def _refuse(page: Any, url: str, person_id: int) -> dict[str, Any]:
    page.goto(f"{url}/dosing/")
    htmx_ready(page)
    amount = page.locator(f"#p{person_id} input[name=amount_mg]")
    amount.fill(TOO_MUCH_MG)
    amount.press("Enter")
    wait_until(page, f"!!document.querySelector('#p{person_id}.result-blocked .verdict')")
    marks: dict[str, Any] = page.evaluate(MARKS, f"p{person_id}")
    return marks


def test_a_refused_row_says_why_and_is_not_marked_by_colour_alone(
    live_server: Any, browser: Any, shot: Any
) -> None:
    demo.load(patients_per_program=6, seed=11)
    order = MedicationOrder.objects.filter(
        patient__program__slug="riverside", status="active", medication="methadone"
    ).first()
    assert order is not None
    person = order.patient
    signing = browser.new_context(viewport=DESKTOP)
    _sign_in(signing.new_page(), live_server.url, "riverside.nurse")
    wait_until(signing.pages[0], "!location.pathname.startsWith('/accounts/')")  # signed in: the session kept
    state = signing.storage_state()
    signing.close()

    wide = browser.new_context(
        viewport=DESKTOP, storage_state=state, extra_http_headers={"Accept-Language": "en"}
    )
    page = wide.new_page()
    marks = _refuse(page, live_server.url, person.pk)
    shot(page, "dosing-refused-row-desktop")
    wide.close()
    assert marks["words"].startswith("✗ Not given: A single dose of 500 mg is above 300 mg")
    assert marks["dashedCells"] == 0
    assert (marks["barStyle"], marks["barPx"] >= 4) == ("solid", True)
    assert marks["barContrast"] >= 3
    assert marks["textContrast"] >= 4.5

    phone = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        storage_state=state,
        extra_http_headers={"Accept-Language": "es"},
    )
    page = phone.new_page()
    marks = _refuse(page, live_server.url, person.pk)
    shot(page, "dosing-refused-row-phone-es")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()
    assert marks["words"].startswith("✗ No se dio: Una dosis de 500 mg supera 300 mg")
    assert marks["dashedCells"] == 0
    assert (marks["barStyle"], marks["barPx"] >= 4) == ("solid", True)
    assert marks["barContrast"] >= 3
    assert marks["textContrast"] >= 4.5
