"""Lane words24: what the medication and start pages say, looked at as their users see them.

- A correction that takes take-home bottles back tells the nurse in a warning of its own (not blue text run
  on after "Correction saved"), the bottles' days as a person reads them ("Sun, Dec 6 and Mon, Dec 7"),
  in English and Spanish.
- A plan the window stopped says so ("Stopped at the window"), in the reader's language (the services keep
  the end reason in English), its days as a person reads them, and "taken back" when the bottles had left
  the clinic (the stored words say "not handed out"); a prescriber's own reason is shown as typed.
- An order refused because the orders changed since the page was read (409) says which medication's order
  changed and what it is now, with no version number or order id (the API's message keeps them)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.messages import constants
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from keel.patients.models import local_today
from keel.treatment.end_words import day_words, days_words, plan_end
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.doses import bottles
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.take_homes import HOLD_SUSPENDS
from tests.conftest import World, sign_in
from tests.factories import page_versions
from tests.review22t.test_holes import _handed_out_at_80

pytestmark = pytest.mark.django_db

DOWN = "Pharmacy count shows 30 mg dispensed; the record is corrected to match."
ISO = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")


def _say(day: date, language: str) -> str:
    with translation.override(language):
        return day_words(day, day)


def _corrected_on_the_page(world: World, language: str) -> tuple[TakeHomePlan, Any, date]:
    """This morning's 80 mg (the bottles for tomorrow and the day after went home) corrected to 30 mg by
    the nurse on the medication page: the record takes the bottles back and the plan stops."""
    plan, dose, morning = _handed_out_at_80(world)
    client = sign_in(Client(), world.staff["nurse"])
    client.cookies["django_language"] = language
    response = client.post(
        reverse("treatment:amend", args=[world.alice.pk, dose.pk]),
        {"corrected_mg": "30", "reason": DOWN},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    plan.refresh_from_db()
    return plan, response, morning.date() + timedelta(days=1)


def _warnings(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == constants.WARNING]


# The correction's warning


def test_the_bottles_to_call_back_are_a_warning_of_their_own(world: World) -> None:
    _plan, response, _first = _corrected_on_the_page(world, "en")
    (warning,) = _warnings(response)
    assert "Call the person back" in warning


def test_saved_is_said_apart_from_the_warning(world: World) -> None:
    _plan, response, _first = _corrected_on_the_page(world, "en")
    told = [str(m) for m in response.context["messages"] if m.level == constants.SUCCESS]
    assert told == ["Correction saved. The original record is kept."]


def test_the_warning_is_marked_as_one_on_the_page(world: World) -> None:
    _plan, response, _first = _corrected_on_the_page(world, "en")
    assert '<li class="warning">' in response.content.decode()


def test_the_warning_says_the_days_as_a_person_reads_them(world: World) -> None:
    _plan, response, first = _corrected_on_the_page(world, "en")
    (warning,) = _warnings(response)
    assert f"{_say(first, 'en')} and {_say(first + timedelta(days=1), 'en')}" in warning


def test_the_warning_has_no_iso_day(world: World) -> None:
    _plan, response, _first = _corrected_on_the_page(world, "en")
    (warning,) = _warnings(response)
    assert ISO.search(warning) is None, warning


def test_the_warning_in_spanish_says_the_days_in_spanish(world: World) -> None:
    _plan, response, first = _corrected_on_the_page(world, "es")
    (warning,) = _warnings(response)
    assert f"{_say(first, 'es')} y {_say(first + timedelta(days=1), 'es')}" in warning


def test_the_warning_in_spanish_tells_the_nurse_to_call(world: World) -> None:
    _plan, response, _first = _corrected_on_the_page(world, "es")
    (warning,) = _warnings(response)
    assert "Llame a la persona" in warning


# A plan the window stopped, on the medication page


def _plan_section(world: World, language: str) -> str:
    client = sign_in(Client(), world.staff["prescriber"])
    body = client.get(
        f"/patients/{world.alice.pk}/medication/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    start = body.index('aria-labelledby="th-h"')
    return body[start : body.index("</section>", start)]


@pytest.fixture
def stopped(world: World) -> date:
    """The correction down made by the service: the plan stopped, its bottles taken back. Returns the first
    bottle's day."""
    plan, dose, morning = _handed_out_at_80(world)
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg="30",
        reason=DOWN,
        now=morning + timedelta(hours=1),
    )
    plan.refresh_from_db()
    assert plan.end_reason.startswith("The bottles for"), "setup: the window stopped the plan"
    return morning.date() + timedelta(days=1)


def test_a_plan_the_window_stopped_says_so(world: World, stopped: date) -> None:
    assert "Stopped at the window: no take-home days after" in _plan_section(world, "en")


def test_a_plan_whose_bottles_left_says_they_are_still_at_home(world: World, stopped: date) -> None:
    """Lane bot25 (review 24c hole 2): the bottles are in the person's hands: "still at home", never "taken
    back" (review 24b's words), and the person is called back."""
    assert "still at home until brought back: call the person back" in _plan_section(world, "en")


def test_a_plan_whose_bottles_left_never_says_they_were_not_handed_out(world: World, stopped: date) -> None:
    assert "were not handed out" not in _plan_section(world, "en")


def test_the_stopped_plan_says_its_days_as_a_person_reads_them(world: World, stopped: date) -> None:
    section = _plan_section(world, "en")
    assert f"{_say(stopped, 'en')} and {_say(stopped + timedelta(days=1), 'en')}" in section


def test_the_stopped_plan_says_no_iso_day_in_its_end(world: World, stopped: date) -> None:
    section = _plan_section(world, "en")
    end = section[section.index('class="notice plan-end"') :]
    end = end[: end.index("</div>")]
    assert ISO.search(end) is None, end


def _end(section: str) -> str:
    end = section[section.index('class="notice plan-end"') :]
    return end[: end.index("</div>")]


def test_the_stopped_plan_names_the_windows_reason(world: World, stopped: date) -> None:
    assert "titration step" in _end(_plan_section(world, "en"))


def test_the_stopped_plan_asks_no_override_for_a_bottle(world: World, stopped: date) -> None:
    """The window's reason ends "Needs a prescriber's override for today": no override covers a bottle,
    and the page says what comes next (a prescriber rewrites the order)."""
    assert "override" not in _end(_plan_section(world, "en"))


def test_the_stopped_plan_asks_no_override_in_spanish(world: World, stopped: date) -> None:
    assert "excepción" not in _end(_plan_section(world, "es"))


def test_the_stopped_plan_in_spanish(world: World, stopped: date) -> None:
    section = _plan_section(world, "es")
    assert "Detenido en la ventanilla" in section
    assert "siguen en casa hasta que se devuelvan" in section  # lane bot25: still at home, call back


def test_the_stopped_plan_in_spanish_has_no_english_end(world: World, stopped: date) -> None:
    section = _plan_section(world, "es")
    assert "The bottles for" not in section and "The person comes to the window" not in section


def test_a_prescribers_own_reason_is_shown_as_typed(world: World) -> None:
    from keel.treatment import services

    plan, _dose, _morning = _handed_out_at_80(world)
    typed = "Pharmacy closed over the holiday; the person asked to come in daily instead."
    services.end_take_home_plan(
        by=world.staff["prescriber"], patient_id=world.alice.pk, plan_id=plan.pk, reason=typed
    )
    section = _plan_section(world, "en")
    assert typed in section and "Ended early by" in section


# The end reasons read back, one by one (the service's English as it writes it)


def _days(first: date, n: int) -> str:
    return ", ".join((first + timedelta(days=i)).isoformat() for i in range(n))


@pytest.mark.parametrize(
    "stored",
    [
        bottles.NOT_HANDED_OUT.format(days="{days}", mg="70", why="Above the day's limit."),
        bottles.NOTHING_GIVEN.format(days="{days}"),
        bottles.VOIDED_NOT_HANDED_OUT.format(days="{days}", day="{day}"),
        bottles.TAKEN_BACK_FROM_TODAY.format(days="{days}", day="{day}", mg="70", why="Above the limit."),
        HOLD_SUSPENDS.format(day="{day}"),
    ],
)
@pytest.mark.parametrize("language", ["en", "es"])
def test_each_end_the_window_writes_is_read_back_without_iso_days(stored: str, language: str) -> None:
    today = timezone.localdate()
    text = stored.replace("{days}", _days(today, 3)).replace("{day}", (today - timedelta(days=1)).isoformat())
    with translation.override(language):
        said = plan_end(text, today)
    assert said.by_window and said.text != text and ISO.search(said.text) is None, said


def test_an_earlier_end_kept_in_the_reason_is_read_back_too() -> None:
    today = timezone.localdate()
    text = bottles.NOTHING_GIVEN.format(days=_days(today, 2)) + bottles.EARLIER_END.format(
        day=today.isoformat(), reason="Travelling; the person asked to dose here."
    )
    with translation.override("es"):
        said = plan_end(text, today)
    assert "Antes de eso" in said.text and "Travelling; the person asked to dose here." in said.text


def test_a_reason_no_template_matches_is_kept_as_written() -> None:
    typed = "Moved to another clinic; the new program doses her from now on."
    said = plan_end(typed, timezone.localdate())
    assert (said.text, said.by_window) == (typed, False)


def test_three_days_in_a_row_are_one_run() -> None:
    today = timezone.localdate()
    with translation.override("en"):
        said = days_words(_days(today, 3), today)
    assert said == f"{day_words(today, today)} to {day_words(today + timedelta(days=2), today)}"


def test_a_day_of_another_year_says_its_year() -> None:
    today = timezone.localdate()
    later = date(today.year + 1, 1, 2)
    with translation.override("en"):
        assert str(later.year) in day_words(later, today)


def test_the_day_in_spanish_uses_spanish_names() -> None:
    day = timezone.localdate()
    with translation.override("es"):
        said = day_words(day, day)
        month = formats.date_format(day, "b")
    assert month in said and re.search(r"[A-Z]", said) is None, said


# The order refused as changed since the page was read (409)


def _stale_order(world: World, language: str, where: str) -> str:
    """A page read with no order, then a methadone order written by another tab: the form sent (409)."""
    from keel.treatment import services

    read = page_versions(world.alice, "buprenorphine" if where == "start" else "")
    services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        order_version=0,
    )
    client = sign_in(Client(), world.staff["prescriber"])
    if where == "start":
        url, data = reverse("treatment:start_order", args=[world.alice.pk]), {"dose_mg": "4"}
    else:
        url = reverse("treatment:create_order", args=[world.alice.pk])
        data = {"medication": "buprenorphine", "dose_mg": "8"}
    response = client.post(url, {**read, **data}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 409
    return response.content.decode()


@pytest.mark.parametrize("where", ["start", "medication"])
def test_the_409_names_the_medication_and_its_order_now(world: World, where: str) -> None:
    body = _stale_order(world, "en", where)
    assert (
        "Not saved: the methadone order changed since you read it. "
        "Prescriber (no name on file) wrote a new order" in body
    )
    assert "40 mg, starting today." in body  # lane words25: the API's words too


@pytest.mark.parametrize("where", ["start", "medication"])
def test_the_409_names_no_version_nor_order_id(world: World, where: str) -> None:
    body = _stale_order(world, "en", where)
    assert "(version " not in body and "is now the newest" not in body


@pytest.mark.parametrize("where", ["start", "medication"])
def test_the_409_in_spanish(world: World, where: str) -> None:
    body = _stale_order(world, "es", where)
    assert "No se guardó: la orden de metadona cambió desde que la leyó." in body
    assert "40 mg, a partir de hoy." in body  # lane words25: the API's words too


# The person's own care plan (a patient reads it on a phone): days as a person reads them


def _my_care_plan(world: World, language: str) -> str:
    from keel.treatment import services

    services.add_goal(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        area="counseling",
        goal="Weekly CBT session",
        responsible_id=str(world.staff["counselor"].pk),
        review_on=(local_today(world.alice) + timedelta(days=14)).isoformat(),
    )
    services.dispense_naloxone(
        by=world.staff["nurse"], patient_id=world.alice.pk, product="nasal_4mg", quantity="1"
    )
    client = sign_in(Client(), world.alice.user)
    return client.get("/me/care-plan/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_my_care_plan_says_its_days_as_a_person_reads_them(world: World) -> None:
    body = _my_care_plan(world, "es")
    review = local_today(world.alice) + timedelta(days=14)
    with translation.override("es"):
        said = formats.date_format(review, "DATE_FORMAT")
    assert said in body


def test_my_care_plan_has_no_iso_day(world: World) -> None:
    body = _my_care_plan(world, "es")
    main = body[body.index("<main") : body.index("</main>")]
    assert ISO.search(main) is None, ISO.search(main)
