"""Session 38's new words as their readers see them: the window refusing a second full methadone dose just
after the program's midnight (the nurse's tablet, Spanish), the desk's password reset code saying the hour it
stops working (the desk's screen), and a suicide-risk flag put back before the care team after a correction
raised item 9 (the prescriber's screen). Screenshots go to test-artifacts/ (the `shot` fixture). Each test
checks what a screenshot cannot prove: the words are there, nothing is wider than the screen, nothing was
recorded where it must not be."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from keel.patients.models import ActivationCode, FlagKind, PatientFlag
from keel.treatment.models import DoseRecord
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.browser.test_look_session36 import _fits, _page
from tests.browser.test_treatment_journey import htmx_ready, settled
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.fix38d.test_flag_follows_its_result import _fix, _resolve, _screen
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db(transaction=True)
TABLET = {"width": 1024, "height": 768}
DESK = {"width": 1280, "height": 800}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_the_window_refuses_a_second_full_dose_just_after_midnight(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    day = days_ago(2)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    with time_machine.travel(at(day, 23), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=True):
        page = _page(browser, live_server.url, world.staff["nurse"], TABLET, "es")
        page.goto(f"{live_server.url}/dosing/")
        htmx_ready(page)
        row = page.locator(f"#p{world.alice.pk}")
        row.locator("input.mg").fill("80")
        row.locator("input.mg").press("Enter")
        refused = page.locator(f"#p{world.alice.pk} .verdict.blocked")
        refused.wait_for()
        settled(page)
        shot(page, "look38-window-after-midnight-tablet-es")
        _fits(page, TABLET)
        words = refused.inner_text()
    assert words.index("12 horas") < words.index("más que la orden")  # why before what
    assert DoseRecord.objects.filter(patient=world.alice, local_date=day + timedelta(days=1)).count() == 0


def test_the_desk_reset_code_says_the_hour_it_stops(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    page = _page(browser, live_server.url, world.staff["program_admin"], DESK, "en")
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/")
    page.evaluate(
        """(url) => { const f = document.createElement('form'); f.method = 'post'; f.action = url;
        const t = document.querySelector('input[name=csrfmiddlewaretoken]');
        const c = document.createElement('input'); c.name = 'csrfmiddlewaretoken'; c.value = t ? t.value : '';
        const i = document.createElement('input'); i.name = 'identity_checked'; i.value = 'on';
        f.append(c, i); document.body.append(f); f.submit(); }""",
        f"/patients/{world.alice.pk}/password-reset-code/",
    )
    page.wait_for_load_state()
    shot(page, "look38-desk-reset-code-en")
    _fits(page, DESK)
    text = page.locator("main").inner_text()
    assert "The code works once, until" in text
    assert ActivationCode.objects.filter(purpose="reset").count() == 1


def test_a_flag_put_back_before_the_care_team_after_a_correction(
    live_server: Any, browser: Any, world: World, shot: Any
) -> None:
    screen = _screen(world, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    page = _page(browser, live_server.url, world.staff["prescriber"], DESK, "es")
    page.goto(f"{live_server.url}/patients/{world.alice.pk}/")
    page.wait_for_load_state()
    shot(page, "look38-flag-reopened-es")
    _fits(page, DESK)
    flag = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_id=screen.pk)
    assert flag.resolved_at is None
    assert "3" in page.locator("main").inner_text()
