"""Lane end28: a "nothing given" end of an earlier day (day 1's 80 mg dose, its bottles for days 2 and 3 gone
home with it, corrected to 0 mg or voided the same day: `PlanEnd.NOTHING_GIVEN`), then day 1's dose corrected
back up on day 2 (the 0 was an error). The end stands from day 1 (no day is covered again, the plan never
goes on: a prescriber decides take-home doses again), and it says what happened: its kind is its own
(`PlanEnd.CORRECTED_BACK`, never read as a keep back nor a same-day "nothing given"), its stored reason and
its page words (English, Spanish) say the bottles may be at home and to call the person back, the nurse who
corrects is told which, the audit row says it, and the call-back list, `bottles_at_home`, the supply check
and FHIR agree. Variants: back to 40 mg; two corrections in a row; a window dose on day 2 between them;
bottles brought back first; New York at 23:50 and 00:10. Same day: a dose later that day still undoes the
end. Every act inside its own pin; dates relative to now."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from keel.access.policy import Area
from keel.audit.models import AuditEvent
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import local_today
from keel.treatment import end_words
from keel.treatment.models import DoseAmendment, DoseRecord, PlanEnd, TakeHomePlan
from keel.treatment.queries import correction_version
from keel.treatment.queries.take_home_plans import (
    bottles_at_home,
    bottles_at_home_above,
    call_back,
    plan_days,
)
from keel.treatment.services.doses.bottles import (
    CORRECTED_BACK_CALL_BACK,
    CORRECTED_BACK_CALL_BACK_VOIDED,
    CORRECTION_CALL_BACK,
    ON_SHELF,
)
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.take_homes import record_bottles_brought_back
from tests.conftest import World
from tests.factories import corrected, handed_out_today, last_five_pm_utc

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
BACK = "Both bottles brought back unopened to the window; seals intact"


def _day1_zeroed(world: World, at: datetime, *, void: bool = False) -> tuple[TakeHomePlan, DoseRecord]:
    """Day 1 (at `at`): 80 mg at the window, the bottles for days 2 and 3 go home with it; the same day the
    dose is corrected to 0 mg (or voided): the plan ends on day 1, "nothing given"."""
    with time_machine.travel(at, tick=False):
        plan, dose = handed_out_today(world)
        corrected(world, dose, corrected_mg=None if void else "0", void=void)
        plan.refresh_from_db()
        assert plan.end_kind == PlanEnd.NOTHING_GIVEN
    return plan, dose


def _day1_at() -> datetime:
    return last_five_pm_utc() - timedelta(days=1)


def _fhir(world: World, plan: TakeHomePlan, day: date) -> str:
    rec = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    found: dict[str, Any] = {d["id"]: d for d in rec.of_type("MedicationDispense")}
    return str(found[f"bottle-{plan.pk}-{day.strftime('%Y%m%d')}"]["status"])


def _story(world: World, plan: TakeHomePlan) -> dict[str, Any]:
    """What every reader says of the plan's run, read again (inside the caller's pin)."""
    plan.refresh_from_db()
    today = local_today(world.alice)
    run = sorted(date.fromisoformat(d) for d in plan.bottles)
    return {
        "covered": sorted(d for d in plan_days(plan) if d >= today),
        "call_back": sorted(call_back(world.alice, today).get(plan.pk, {})),
        "at_home": sorted(bottles_at_home(world.alice, today).get(plan.pk, {})),
        "supply": [d for d, _mg in bottles_at_home_above(world.alice, "methadone", today, Decimal(40))],
        "fhir": [_fhir(world, plan, d) for d in run],
        "run": run,
    }


def _words(plan: TakeHomePlan, language: str) -> end_words.PlanEnd:
    with translation.override(language):
        return end_words.plan_end(
            plan.end_reason,
            local_today(plan.patient),
            plan.bottles_taken_back or {},
            kind=plan.end_kind,
            ended_on=plan.ended_on,
        )


def _assert_end_stands_and_says_so(
    world: World, plan: TakeHomePlan, day1: date, mg: str, *, voided: bool = False
) -> dict[str, Any]:
    story = _story(world, plan)
    assert plan.ended_on == day1
    assert plan.end_kind == PlanEnd.CORRECTED_BACK
    assert story["covered"] == []  # no day re-covered: the plan never goes on
    assert story["call_back"] == story["run"]
    assert story["at_home"] == story["run"]
    assert story["supply"] == story["run"]
    assert set(story["fhir"]) == {"completed"}
    assert "no dose given today stands" not in plan.end_reason
    # lane fix28c (review 28c hole 5): a void is said as a void, never "corrected to 0 mg"
    done = (
        f"voided and later corrected back to {mg} mg"
        if voided
        else f"corrected to 0 mg and later back to {mg} mg"
    )
    assert done in plan.end_reason
    assert "call the person back" in plan.end_reason.lower()
    english = _words(plan, "en")
    assert english.by_window
    assert "may be at home" in english.text and "later today" not in english.text
    assert f"back to {mg} mg" in english.text
    spanish = _words(plan, "es")
    assert "pueden estar en casa" in spanish.text and f"{mg} mg" in spanish.text
    return story


def _told(amendment: DoseAmendment) -> list[str]:
    return [w.template for w in amendment.warnings]


@pytest.mark.parametrize("mg", ["80", "40"])
def test_day1_back_up_on_day2_the_end_stands_and_every_reader_agrees(world: World, mg: str) -> None:
    at = _day1_at()
    plan, dose = _day1_zeroed(world, at)
    day1 = at.astimezone(NY).date()
    with time_machine.travel(at + timedelta(days=1), tick=False):
        back = corrected(world, dose, corrected_mg=mg)
        story = _assert_end_stands_and_says_so(world, plan, day1, mg)
        assert _told(back) == [CORRECTED_BACK_CALL_BACK]
        said = back.warnings[0]
        assert dict(said.params)["days"] == ", ".join(d.isoformat() for d in story["run"])
        with translation.override("es"):
            assert "pueden estar en casa" in translation.gettext(said.template) % dict(said.params)
        row = AuditEvent.objects.filter(target_type="take_home_plan", target_id=str(plan.pk)).latest("id")
        assert "corrected back up" in row.reason
        assert row.detail["still_at_home"] == [d.isoformat() for d in story["run"]]
        assert row.detail["dose_day"] == day1.isoformat()


def _brought_back(world: World, plan: TakeHomePlan, days: list[str]) -> None:
    """The nurse records these bottles of the plan brought back (unopened)."""
    record_bottles_brought_back(
        by=world.staff["nurse"], patient_id=world.alice.pk, plan_id=plan.pk, reason=BACK, returned_days=days
    )


def test_day1_voided_then_corrected_back_on_day2(world: World) -> None:
    at = _day1_at()
    plan, dose = _day1_zeroed(world, at, void=True)
    with time_machine.travel(at + timedelta(days=1), tick=False):
        back = corrected(world, dose, corrected_mg="80")
        _assert_end_stands_and_says_so(world, plan, at.astimezone(NY).date(), "80", voided=True)
        assert _told(back) == [CORRECTED_BACK_CALL_BACK_VOIDED]


def test_two_corrections_in_a_row_on_day2_never_cover_a_day(world: World) -> None:
    at = _day1_at()
    plan, dose = _day1_zeroed(world, at)
    day1 = at.astimezone(NY).date()
    with time_machine.travel(at + timedelta(days=1), tick=False):
        corrected(world, dose, corrected_mg="80")
        corrected(world, dose, corrected_mg="0")
        plan.refresh_from_db()
        assert (plan.ended_on, plan.end_kind) == (day1, PlanEnd.CORRECTED_BACK)
        assert _story(world, plan)["covered"] == []
        last = corrected(world, dose, corrected_mg="80")
        _assert_end_stands_and_says_so(world, plan, day1, "80")
        assert _told(last) == [CORRECTED_BACK_CALL_BACK]


def test_a_window_dose_on_day2_then_the_correction_never_covers_a_day(world: World) -> None:
    at = _day1_at()
    plan, dose = _day1_zeroed(world, at)
    day1 = at.astimezone(NY).date()
    with time_machine.travel(at + timedelta(days=1), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
        back = corrected(world, dose, corrected_mg="80")
        _assert_end_stands_and_says_so(world, plan, day1, "80")
        assert _told(back) == [CORRECTED_BACK_CALL_BACK]
    with time_machine.travel(at + timedelta(days=1, hours=2), tick=False):
        again = corrected(world, dose, corrected_mg="0")
        again = corrected(world, dose, corrected_mg="80")
        plan.refresh_from_db()
        assert plan.ended_on == day1 and _story(world, plan)["covered"] == []
        assert _told(again) == [CORRECTED_BACK_CALL_BACK]


def test_bottles_brought_back_then_the_correction_they_stay_on_the_shelf(world: World) -> None:
    at = _day1_at()
    plan, dose = _day1_zeroed(world, at)
    day1 = at.astimezone(NY).date()
    with time_machine.travel(at + timedelta(days=1), tick=False):
        run = sorted(plan.bottles)
        _brought_back(world, plan, run)
        back = corrected(world, dose, corrected_mg="80")
        story = _story(world, plan)
        assert (plan.ended_on, plan.end_kind) == (day1, PlanEnd.CORRECTED_BACK)
        assert story["covered"] == [] and story["call_back"] == [] and story["at_home"] == []
        assert story["supply"] == []
        assert _told(back) == [ON_SHELF]
        assert "may be at home" not in plan.end_reason
        assert "brought back" in _words(plan, "en").text


def test_the_day_2_bottle_brought_back_only_tomorrows_is_called_back(world: World) -> None:
    at = _day1_at()
    plan, dose = _day1_zeroed(world, at)
    day1 = at.astimezone(NY).date()
    with time_machine.travel(at + timedelta(days=1), tick=False):
        run = sorted(plan.bottles)
        _brought_back(world, plan, run[:1])
        back = corrected(world, dose, corrected_mg="80")
        story = _story(world, plan)
        assert (plan.ended_on, story["covered"]) == (day1, [])
        assert [d.isoformat() for d in story["call_back"]] == run[1:]
        assert _told(back) == [CORRECTED_BACK_CALL_BACK, ON_SHELF]
        assert dict(back.warnings[0].params)["days"] == run[1]


def test_the_same_day_a_dose_given_later_still_undoes_the_end(world: World) -> None:
    at = _day1_at()
    with time_machine.travel(at, tick=False):
        plan, _dose = handed_out_today(world)
        corrected(world, _dose, void=True)
    with time_machine.travel(at + timedelta(hours=3), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
        story = _story(world, plan)
        assert plan.ended_on is None and plan.end_kind == ""
        assert story["covered"] == story["run"] and story["call_back"] == []


def test_the_same_day_a_correction_back_up_still_undoes_the_end(world: World) -> None:
    at = _day1_at()
    with time_machine.travel(at, tick=False):
        plan, dose = handed_out_today(world)
        corrected(world, dose, corrected_mg="0")
        corrected(world, dose, corrected_mg="80")
        plan.refresh_from_db()
        assert plan.ended_on is None


@pytest.mark.parametrize("clock", [time(23, 50), time(0, 10)], ids=["23:50", "00:10"])
def test_new_york_day1_late_and_just_after_midnight(world: World, clock: time) -> None:
    real = datetime.now(UTC).astimezone(NY).date() - timedelta(days=3)
    at = datetime.combine(real, clock, tzinfo=NY)
    plan, dose = _day1_zeroed(world, at)
    with time_machine.travel(at + timedelta(minutes=30), tick=False):  # day 2 in New York at 00:20 / 00:40
        if clock == time(23, 50):
            back = corrected(world, dose, corrected_mg="80")
            _assert_end_stands_and_says_so(world, plan, real, "80")
            assert _told(back) == [CORRECTED_BACK_CALL_BACK]
    with time_machine.travel(at + timedelta(days=1), tick=False):
        back = corrected(world, dose, corrected_mg="40")
        if clock == time(23, 50):
            # lane fix33a (review 32d hole 1): 0 -> 80 -> 40 is a correction down after the dose stood again,
            # never "corrected to 0 mg and later back to 40 mg": the window's reason at 40 mg, the call-back
            plan.refresh_from_db()
            assert plan.end_kind == PlanEnd.CORRECTED_BACK
            assert "later back to 40 mg" not in plan.end_reason
            assert "the window would not give their 80 mg" in plan.end_reason
            assert _told(back) == [CORRECTION_CALL_BACK]
            return
        _assert_end_stands_and_says_so(world, plan, real, "40")
        assert _told(back) == [CORRECTED_BACK_CALL_BACK]


def test_undo_take_back_never_re_covers_today_after_a_dose_given_today(world: World) -> None:
    """Defence in depth (probe 27): a take-back from today undone by a correction back up re-covers today only
    when no dose given today stands. The window refuses such a dose unless today's bottle comes back (then
    `on_shelf` holds); here one is recorded all the same (a row, as an older path or import could write):
    the correction back up leaves today a clinic day, and tomorrow's bottle on the call-back list."""
    from keel.treatment.models import MedicationOrder
    from tests.factories import given_on
    from tests.review24b.test_holes import _correct, _three_bottles_from_yesterday

    with time_machine.travel(last_five_pm_utc(), tick=False):
        plan, today = _three_bottles_from_yesterday(world)
        _correct(world, today - timedelta(days=2), "40")
        order = MedicationOrder.objects.filter(patient=world.alice).latest("id")
        given_on(world, order, today, 40, 11, at=timezone.now() - timedelta(minutes=5))
        undone = _correct(world, today - timedelta(days=2), "80")
        plan.refresh_from_db()
        assert today not in plan_days(plan), (plan.ended_on, plan.bottle_mg)
        assert plan.ended_on == today - timedelta(days=1)
        assert undone.warnings == ()
        assert today + timedelta(days=1) in call_back(world.alice, today).get(plan.pk, {})


@pytest.mark.parametrize(
    ("language", "told", "shown"),
    [("en", "may be at home", "may be at home"), ("es", "pueden estar en casa", "pueden estar en casa")],
)
def test_the_page_tells_the_nurse_and_shows_the_end_in_her_language(
    world: World, language: str, told: str, shown: str
) -> None:
    """The nurse corrects day 1's dose back up on the medication page on day 2: a warning of its own names
    the bottles to call back (the API carries the same reason on the amendment's `warnings`), and the
    page's words for the plan's end say they may be at home, never "a dose given later today"."""
    from django.contrib.messages import constants
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import sign_in

    at = _day1_at()
    plan, dose = _day1_zeroed(world, at)
    with time_machine.travel(at + timedelta(days=1), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.cookies["django_language"] = language
        response = client.post(
            reverse("treatment:amend", args=[world.alice.pk, dose.pk]),
            {
                "corrected_mg": "80",
                "reason": "Keyed 0 by mistake; she took her 80 mg at the window",
                "correction_version": str(correction_version(dose)),  # the form's hidden field (fix34a)
            },
            follow=True,
            HTTP_ACCEPT_LANGUAGE=language,
        )
        warnings = [str(m) for m in response.context["messages"] if m.level == constants.WARNING]
        assert len(warnings) == 1 and told in warnings[0], warnings
        page = response.content.decode()
        assert shown in page
        assert "later today" not in page and "más tarde hoy" not in page
        plan.refresh_from_db()
        assert plan.end_kind == PlanEnd.CORRECTED_BACK


def test_void_then_a_late_entry_for_day1_on_day2_is_refused_and_the_end_stays(world: World) -> None:
    """Voided on day 1; on day 2 a nurse tries to record day 1's real dose late (`given_at` on day 1): the
    window refuses it, naming the field (a dose recorded now is today's); the "nothing given" end stays as
    it was, and the way to put day 1's dose back is a correction of it (the tests above)."""
    from keel.treatment.errors import TreatmentInvalid

    at = _day1_at()
    plan, _dose = _day1_zeroed(world, at, void=True)
    with time_machine.travel(at + timedelta(days=1), tick=False):
        with pytest.raises(TreatmentInvalid) as refused:
            record_dose(
                by=world.staff["nurse"],
                patient_id=world.alice.pk,
                amount_mg="80",
                given_at=(at + timedelta(hours=1)).isoformat(),
            )
        assert "given_at" in str(refused.value.errors)
        plan.refresh_from_db()
        assert (plan.ended_on, plan.end_kind) == (at.astimezone(NY).date(), PlanEnd.NOTHING_GIVEN)


@pytest.mark.parametrize(("language", "voided"), [("en", "was voided"), ("es", "se anuló")])
def test_on_day2_before_any_correction_the_nothing_given_words_say_day1(
    world: World, language: str, voided: str
) -> None:
    """Day 1's "nothing given" end read on day 2 (no correction yet): the page no longer says "today's dose"
    nor "a dose given later today hands them out"; it says day 1's dose was voided or corrected to 0 mg.
    On day 1 itself the same-day words stay."""
    at = _day1_at()
    plan, _dose = _day1_zeroed(world, at)
    with time_machine.travel(at, tick=False):
        assert "later today" in _words(plan, "en").text
    with time_machine.travel(at + timedelta(days=1), tick=False):
        said = _words(plan, language).text
        assert voided in said, said
        assert "later today" not in said and "today's dose" not in said
        with translation.override(language):
            day1 = end_words.day_words(at.astimezone(NY).date(), local_today(world.alice))
        assert day1 in said, (day1, said)
