"""Lane day34 (clinical reference correction 9): whether the first dose day is day 0 or day 1 is program
policy (`admission_day_number`), and every screen shows the same count: the dosing window's row (the list,
the row swapped in after a dose, `dosing_row`), the start page, the medication page and the API's
`day_in_treatment`, for the same person on the same day, under both policies, in English and Spanish.
The API's `treatment_day` keeps its machine meaning (1 on the first dose day: the day-1 / day-2 limits read
it). SQLite and PostgreSQL (the suite's PG run)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from keel.patients.models import local_today
from keel.treatment import queries
from keel.treatment.queries.take_homes import admission_day_number, admission_day_numbers
from keel.treatment.services.orders import prescribe
from keel.treatment.services.policy import set_value
from tests.conftest import World, sign_in
from tests.factories import given_on
from tests.review33c._setup import three_observed_days

pytestmark = pytest.mark.django_db

DAY_LABEL = {"en": "Day", "es": "Día"}
STATUS_LINE = {"en": r"treatment day (\d+)", "es": r"día de tratamiento (\d+)"}
START_LINE = {"en": r"Day (\d+) in treatment: ", "es": r"Día (\d+) de tratamiento: "}


def _policy(world: World, number: int) -> None:
    if number != 0:  # 0 is the default
        set_value(
            by=world.staff["program_admin"],
            program_slug="riverside",
            rule="take-home-eligibility",
            field="admission_day_number",
            value=number,
            reason="program decision after the medical director's review",
        )


def _client(world: World, role: str, language: str) -> Client:
    client = sign_in(Client(), world.staff[role])
    client.cookies["django_language"] = language
    return client


def _get(client: Client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _row_day(html: str, row_id: str, language: str) -> int:
    """The Day cell of the window's row `row_id` (the list's page or the row swapped in)."""
    row = re.search(rf'<tr id="{row_id}".*?</tr>', html, re.S)
    assert row, row_id
    cell = re.search(rf'<td data-label="{DAY_LABEL[language]}">(\d+)</td>', row.group(0))
    assert cell, row.group(0)[:400]
    return int(cell.group(1))


def _one(pattern: str, html: str) -> int:
    found = {int(n) for n in re.findall(pattern, html)}
    assert len(found) == 1, (pattern, found)
    return found.pop()


def _api_row(client: Client, world: World, medication: str) -> dict[str, object]:
    rows = client.get("/api/v1/dosing/today").json()
    (row,) = [r for r in rows if r["patient_id"] == world.alice.pk and r["medication"] == medication]
    return row


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("number", [0, 1])
def test_methadone_every_screen_counts_the_same_day(world: World, number: int, language: str) -> None:
    """Observed doses on the three days before today: today is the episode's 4th dose day, day 3 or 4."""
    three_observed_days(world)
    _policy(world, number)
    expected = 3 + number
    nurse = _client(world, "nurse", language)
    prescriber = _client(world, "prescriber", language)
    row_id = f"p{world.alice.pk}"
    assert _row_day(_get(nurse, "/dosing/", language), row_id, language) == expected
    assert queries.dosing_row(
        world.staff["nurse"], patient_id=world.alice.pk, medication="methadone"
    ).day_in_treatment == expected  # fmt: skip
    medication_page = _get(prescriber, reverse("treatment:medication", args=[world.alice.pk]), language)
    assert _one(STATUS_LINE[language], medication_page) == expected
    api = _api_row(nurse, world, "methadone")
    assert (api["day_in_treatment"], api["treatment_day"]) == (expected, 4)
    doses = prescriber.get(f"/api/v1/patients/{world.alice.pk}/medication").json()["doses"]
    assert sorted(d["day_in_treatment"] for d in doses) == [number, number + 1, number + 2]
    assert sorted(d["treatment_day"] for d in doses) == [1, 2, 3]
    # the row swapped in after a dose (told from the dose's own reads) counts the same
    swapped = nurse.post(
        f"/dosing/{world.alice.pk}/",
        {"amount_mg": "80", "medication": "methadone", "sequence": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert swapped.status_code == 200
    assert _row_day(swapped.content.decode(), row_id, language) == expected
    assert (_row_day(_get(nurse, "/dosing/", language), row_id, language)) == expected


def _buprenorphine_days(world: World, days_before: tuple[int, ...]) -> None:
    """Buprenorphine 8 mg written, then given on each of `days_before` days before today (rows)."""
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        order_version=0,
    )
    today = local_today(world.alice)
    for n, back in enumerate(sorted(days_before, reverse=True), start=1):
        given_on(world, order, today - timedelta(days=back), 8, n)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("number", [0, 1])
def test_buprenorphine_start_page_window_and_api_count_the_same_day(
    world: World, number: int, language: str
) -> None:
    _buprenorphine_days(world, (3, 2, 1))
    _policy(world, number)
    expected = 3 + number
    nurse = _client(world, "nurse", language)
    start = _get(nurse, reverse("treatment:start", args=[world.alice.pk]), language)
    assert _one(START_LINE[language], start) == expected
    row_id = f"p{world.alice.pk}-buprenorphine"
    assert _row_day(_get(nurse, "/dosing/", language), row_id, language) == expected
    api = _api_row(nurse, world, "buprenorphine")
    assert (api["day_in_treatment"], api["treatment_day"]) == (expected, 4)
    medication_page = _get(
        _client(world, "prescriber", language),
        reverse("treatment:medication", args=[world.alice.pk]),
        language,
    )
    assert {int(n) for n in re.findall(r"\((?:day|día) (\d+)\)", medication_page)} == {
        number,
        number + 1,
        number + 2,
    }


@pytest.mark.parametrize(
    ("days_before", "words"),
    [
        ((), {"en": "Limit on the first dose day", "es": "Límite del primer día de dosis"}),
        ((1,), {"en": "Limit on the second dose day", "es": "Límite del segundo día de dosis"}),
    ],
)
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_start_page_names_the_first_and_second_dose_day_limits_not_a_number(
    world: World, days_before: tuple[int, ...], words: dict[str, str], language: str
) -> None:
    """Under day-0 counting the second dose day is day 1: the limit is named by the dose day, and the count
    beside it is the program's."""
    _buprenorphine_days(world, days_before)
    start = _get(
        _client(world, "nurse", language), reverse("treatment:start", args=[world.alice.pk]), language
    )
    assert words[language] in start
    assert _one(START_LINE[language], start) == len(days_before)  # day 0 (first) or day 1 (second)


@pytest.mark.parametrize("number", [0, 1])
def test_the_list_s_read_is_each_person_s_policy(world: World, number: int) -> None:
    """`admission_day_numbers` (one statement for the list) answers `admission_day_number` (one person's
    read): the program's value, another program's, and a person's override of it (an active one; a revoked
    one is not read)."""
    from django.utils import timezone

    from keel.treatment.models import PatientPolicyOverride

    _policy(world, number)
    for value, revoked in ((1 - number, None), (number, timezone.now())):
        PatientPolicyOverride.objects.create(
            patient=world.bob,
            rule="take-home-eligibility",
            field="admission_day_number",
            value=value,
            reason="counted as the program he came from counts",
            prescriber=world.staff["prescriber"],
            created_at=timezone.now(),
            revoked_at=revoked,
        )
    people = [world.alice, world.bob, world.charlie]
    assert admission_day_numbers(people) == {p.pk: admission_day_number(p) for p in people}
    assert admission_day_number(world.bob) == 1 - number
    assert admission_day_numbers([]) == {}
