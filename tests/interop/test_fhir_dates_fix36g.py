"""Lane fix36g (review 36g holes 1-2): FHIR R4 date search (search.html#date) by one definition,
`keel.interop.rest.dates`: a search value is a range at its own precision, a resource's date is a range too,
and each prefix is one rule over the two ranges, for Observation `date` (in Python) and Patient `birthdate`
(in the database) alike. Fixed instants below are plain values, never "today": nothing here goes stale."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.test import Client

from keel.interop.rest import dates
from keel.interop.rest.outcomes import FhirError
from keel.patients.models import Patient, local_today
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

NEW_YORK = timezone(timedelta(hours=-5))
DAY = dates.value_range("2026-03-10", NEW_YORK, "date")
NOON = dates.value_range("2026-03-10T12:00:00-05:00", NEW_YORK, "date")


def test_a_minute_is_a_range_of_sixty_seconds() -> None:
    start, end = dates.value_range("2026-03-10T10:00-05:00", NEW_YORK, "date")
    assert end - start == timedelta(minutes=1)


def test_a_fraction_of_a_second_is_a_range_of_its_own_width() -> None:
    start, end = dates.value_range("2026-03-10T10:00:00.25Z", NEW_YORK, "date")
    assert end - start == timedelta(milliseconds=10)


def test_a_month_runs_to_the_next_month_on_the_given_clock() -> None:
    assert dates.value_range("2026-12", NEW_YORK, "date") == (
        datetime(2026, 12, 1, tzinfo=NEW_YORK),
        datetime(2027, 1, 1, tzinfo=NEW_YORK),
    )


def test_a_time_without_a_zone_is_on_the_programs_clock() -> None:
    assert dates.value_range("2026-03-10T10:00", NEW_YORK, "date")[0].utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("raw", ["2026-03-10T10", "2026-03-10T10Z", "2026-03-10T", "ge2026-3-10", "xx2026"])
def test_a_value_of_no_fhir_shape_is_a_400_naming_the_parameter(raw: str) -> None:
    with pytest.raises(FhirError) as refused:
        dates.search_value(raw, NEW_YORK, "date")
    assert (refused.value.status, refused.value.expression) == (400, "date")


def test_ap_stays_refused() -> None:
    with pytest.raises(FhirError) as refused:
        dates.search_value("ap2026-03-10", NEW_YORK, "date")
    assert refused.value.code == "not-supported"


@pytest.mark.parametrize("prefix", ["ge", "gt", "le", "lt", "ne"])
def test_a_day_measured_reaches_an_instant_inside_it(prefix: str) -> None:
    """The day's range overlaps the instant's on both sides: above (ge, gt), below (le, lt), not inside."""
    assert dates.matches(prefix, NOON, DAY)


@pytest.mark.parametrize("prefix", ["eq", "sa", "eb"])
def test_a_day_is_neither_inside_nor_wholly_after_or_before_an_instant_in_it(prefix: str) -> None:
    assert not dates.matches(prefix, NOON, DAY)


def test_eq_a_day_finds_an_instant_in_it() -> None:
    assert dates.matches("eq", DAY, NOON)


def test_sa_the_day_before_finds_the_day() -> None:
    assert dates.matches("sa", dates.value_range("2026-03-09", NEW_YORK, "date"), DAY)


def test_eb_the_day_after_finds_the_day() -> None:
    assert dates.matches("eb", dates.value_range("2026-03-11", NEW_YORK, "date"), DAY)


def test_gt_the_last_second_of_the_day_misses_the_day() -> None:
    last = dates.value_range("2026-03-10T23:59:59-05:00", NEW_YORK, "date")
    assert not dates.matches("gt", last, DAY)


def test_ge_the_last_second_of_the_day_finds_the_day() -> None:
    last = dates.value_range("2026-03-10T23:59:59-05:00", NEW_YORK, "date")
    assert dates.matches("ge", last, DAY)


BIRTHDATE_VALUES = [
    f"{prefix}{value}"
    for prefix in dates.PREFIXES
    for value in ("1990", "1990-05", "1990-05-16", "1990-05-17", "1990-05-18", "1990-05-17T10:00Z")
] + ["ge1990-05-17T00:00:00-05:00", "le1990-05-16T23:59:59.5-05:00", "gt1990-05-17T00:00Z"]


@pytest.mark.django_db
@pytest.mark.parametrize("raw", BIRTHDATE_VALUES)
def test_the_database_rule_for_a_birth_date_is_the_range_rule(world: World, raw: str) -> None:
    """`day_field_q` (the database) finds exactly the birth dates `matches` does (one definition), a birth
    date (no time zone of its own) read as a day on the search value's clock."""
    zone = timezone(timedelta(hours=-5))
    days = [date(1990, 5, 16), date(1990, 5, 17), date(1990, 5, 18), date(1991, 1, 1)]
    for patient, born in zip([world.alice, world.bob, world.charlie], days, strict=False):
        Patient.objects.filter(pk=patient.pk).update(date_of_birth=born)
    prefix, span = dates.search_value(raw, zone, "birthdate")
    clock = span[0].tzinfo or zone  # a birth date is a day on the search value's own clock
    people = Patient.objects.filter(pk__in=[world.alice.pk, world.bob.pk, world.charlie.pk])
    found = set(people.filter(dates.day_field_q("date_of_birth", prefix, span)).values_list("pk", flat=True))
    wanted = {
        p.pk
        for p in people
        if p.date_of_birth is not None
        and dates.matches(prefix, span, dates.value_range(p.date_of_birth.isoformat(), clock, "birthdate"))
    }
    assert found == wanted


def _qtc_search(world: World, date_value: str) -> object:
    client = sign_in(Client(), world.staff["nurse"])
    found = client.get(
        "/fhir/R4/Observation",
        {"patient": world.alice.pk, "code": "http://loinc.org|8636-3", "date": date_value, "_count": 0},
    )
    return found.json().get("total", found.json().get("issue"))


@pytest.mark.django_db
def test_a_qtc_of_today_is_found_after_the_day_before(world: World) -> None:
    methadone_with_qtc(world, 480)
    assert _qtc_search(world, "sa" + (local_today(world.alice) - timedelta(days=1)).isoformat()) == 1


@pytest.mark.django_db
def test_a_qtc_of_today_is_not_ended_before_today(world: World) -> None:
    methadone_with_qtc(world, 480)
    assert _qtc_search(world, "eb" + local_today(world.alice).isoformat()) == 0


@pytest.mark.django_db
def test_an_hour_without_minutes_is_a_400_naming_date(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    hour = datetime.now(UTC).strftime("%Y-%m-%dT%H")
    found = client.get("/fhir/R4/Observation", {"patient": world.alice.pk, "date": "ge" + hour})
    assert (found.status_code, found.json()["issue"][0]["expression"]) == (400, ["date"])
