"""Lane fix33f (review 33d H3, H4, H5, H8, H9): when a response from another system was answered. Inside the
person's life (birth date to the day of a recorded death, both days in), not ahead of Keel's clock by more
than the leeway for the sender's; a date alone goes out as that date; the result page says it in the
reader's words."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from datetime import timezone as tz

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from keel.assessments.models import Assessment
from keel.patients.models import local_today, zone_of
from keel.web.dates import shown_date
from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


@pytest.fixture
def nurse(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


def _record_death(nurse: Client, world: World, days_ago: int) -> None:
    died = local_today(world.alice) - timedelta(days=days_ago)
    sent = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        {"reason": "deceased", "ended_on": died.isoformat()},
        content_type="application/json",
    )
    assert sent.status_code == 200  # set-up


def _noon(world: World, days_ago: int) -> datetime:
    day = local_today(world.alice) - timedelta(days=days_ago)
    return datetime.combine(day, time(12), tzinfo=zone_of(world.alice))


def test_a_response_on_the_day_of_the_death_is_filed(world: World, nurse: Client) -> None:
    _record_death(nurse, world, 2)
    sent = post_qr(nurse, world, qr(world, authored=_noon(world, 2).isoformat()))
    assert sent.status_code == 201


def test_a_date_and_time_after_the_death_is_refused_naming_authored(world: World, nurse: Client) -> None:
    _record_death(nurse, world, 2)
    sent = post_qr(nurse, world, qr(world, authored=_noon(world, 1).isoformat()))
    assert (sent.status_code, [e["field"] for e in sent.json()["errors"]]) == (422, ["authored"])


def test_the_day_after_the_death_is_the_persons_day_not_the_senders(world: World, nurse: Client) -> None:
    """Noon the day after the death, written in the offset of a sender far east: still the day after."""
    _record_death(nurse, world, 2)
    east = _noon(world, 1).astimezone(tz(timedelta(hours=-11))).isoformat()
    assert post_qr(nurse, world, qr(world, authored=east)).status_code == 422


def test_a_response_after_the_death_files_nothing(world: World, nurse: Client) -> None:
    _record_death(nurse, world, 2)
    post_qr(nurse, world, qr(world, authored=_noon(world, 1).isoformat()))
    assert not Assessment.objects.filter(patient=world.alice, instrument="phq9").exists()


def test_a_response_on_the_birth_date_is_filed(world: World, nurse: Client) -> None:
    sent = post_qr(nurse, world, qr(world, authored=world.alice.date_of_birth.isoformat()))
    assert sent.status_code == 201


def test_a_date_and_time_before_the_birth_date_is_refused(world: World, nurse: Client) -> None:
    day = world.alice.date_of_birth - timedelta(days=1)
    before = datetime.combine(day, time(12), tzinfo=zone_of(world.alice)).isoformat()
    sent = post_qr(nurse, world, qr(world, authored=before))
    assert [e["field"] for e in sent.json()["errors"]] == ["authored"]


def _ahead(seconds: int) -> str:
    return (timezone.now() + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_clock_a_minute_fast_is_filed_at_keels_time(world: World, nurse: Client) -> None:
    filed = post_qr(nurse, world, qr(world, authored=_ahead(60))).json()
    assert Assessment.objects.get(pk=filed["id"]).filled_at <= timezone.now()


def test_a_clock_a_minute_fast_is_noted(world: World, nurse: Client) -> None:
    filed = post_qr(nurse, world, qr(world, authored=_ahead(60))).json()
    assert "authored" in [n["field"] for n in filed["notes"]]


def test_a_clock_a_minute_fast_resent_answers_with_the_first(world: World, nurse: Client) -> None:
    doc = qr(world, authored=_ahead(60))
    first = post_qr(nurse, world, doc).json()
    assert post_qr(nurse, world, doc).json()["id"] == first["id"]


def test_beyond_the_leeway_is_refused_as_in_the_future(world: World, nurse: Client) -> None:
    sent = post_qr(nurse, world, qr(world, authored=_ahead(20 * 60)))
    assert (sent.status_code, [e["field"] for e in sent.json()["errors"]]) == (422, ["authored"])


@override_settings(KEEL_FHIR_CLOCK_LEEWAY_SECONDS=0)
def test_a_program_with_no_leeway_refuses_a_clock_a_minute_fast(world: World, nurse: Client) -> None:
    assert post_qr(nurse, world, qr(world, authored=_ahead(60))).status_code == 422


def test_the_leeway_has_a_floor_and_a_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    from keel import settings
    from keel.env import ConfigError

    monkeypatch.setenv("KEEL_FHIR_CLOCK_LEEWAY_SECONDS", "901")
    with pytest.raises(ConfigError):
        settings._clock_leeway()


def _date_only(nurse: Client, world: World) -> tuple[str, int]:
    day = (local_today(world.alice) - timedelta(days=2)).isoformat()
    return day, post_qr(nurse, world, qr(world, authored=day)).json()["id"]


def test_a_date_only_response_goes_out_with_observations_on_that_date(world: World, nurse: Client) -> None:
    day, pk = _date_only(nurse, world)
    found = nurse.get(f"/fhir/R4/Observation?patient={world.alice.pk}&_count=200").json()
    times = {
        e["resource"]["effectiveDateTime"]
        for e in found["entry"]
        if f"assessment-{pk}-" in e["resource"]["id"]
    }
    assert times == {day}


def test_a_date_only_response_stays_a_date_in_a_search(world: World, nurse: Client) -> None:
    day, pk = _date_only(nurse, world)
    found = nurse.get(f"/fhir/R4/QuestionnaireResponse?patient={world.alice.pk}").json()
    (qr_out,) = [e["resource"] for e in found["entry"] if e["resource"]["id"] == f"assessment-{pk}"]
    assert qr_out["authored"] == day


def test_a_response_with_a_time_still_goes_out_as_an_instant(world: World, nurse: Client) -> None:
    filed = post_qr(nurse, world, qr(world)).json()
    read = nurse.get(f"/fhir/R4/QuestionnaireResponse/assessment-{filed['id']}").json()
    assert "T" in read["authored"]


def test_the_result_page_shows_a_date_only_response_as_that_day(world: World, nurse: Client) -> None:
    day, pk = _date_only(nurse, world)
    page = nurse.get(f"/patients/{world.alice.pk}/assessments/{pk}/").content.decode()
    assert shown_date(datetime.fromisoformat(day).date()) in page


def test_the_result_page_says_when_in_spanish(world: World, nurse: Client) -> None:
    _, pk = _date_only(nurse, world)
    page = nurse.get(f"/patients/{world.alice.pk}/assessments/{pk}/", HTTP_ACCEPT_LANGUAGE="es").content
    assert "Answered on" not in page.decode()


def test_a_date_only_response_exported_is_valid_r4_and_a_date(world: World, nurse: Client) -> None:
    from tests.fhir_r4 import assert_valid_r4

    day, pk = _date_only(nurse, world)
    bundle = nurse.get(f"/api/v1/patients/{world.alice.pk}/assessments/{pk}/fhir").json()
    assert_valid_r4(bundle)
    (qr_out,) = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"assessment-{pk}"]
    assert qr_out["authored"] == day
