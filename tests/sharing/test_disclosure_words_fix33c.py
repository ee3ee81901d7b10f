"""Lane fix33c (review 33b H1, H3): what the accounting of disclosures says left, in plain words and in the
reader's language, for every description a release writes (`core.disclosure_words`) and for rows stored
with the earlier English words (shown through the entry that replaced them, never rewritten); a progress
report's screening days on the program's clock, whichever side of the server's zone it keeps; the whole
record's consent words name what leaves with it."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from keel.access.policy import Area
from keel.accounts.models import Program
from keel.assessments.services import submit_assessment
from keel.core import disclosure_words as words
from keel.core import sharing as core
from keel.patients.models import Patient, local_today
from keel.sharing.models import Disclosure
from keel.sharing.schemas import DisclosureOut
from keel.sharing.services.disclosures import report
from tests.conftest import World, sign_in
from tests.review33b._setup import acme_token, consent_for_alice, court_phq9, everything_basis

pytestmark = pytest.mark.django_db

ENTRIES = [
    words.SENT_TO_A_SYSTEM,
    words.AS_A_FILE,
    words.TRANSFER,
    words.PART_READ_BY_A_SYSTEM,
    *words.READ_BY_A_SYSTEM.values(),
]


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_description_has_spanish(entry: str) -> None:
    with translation.override("es"):
        assert gettext(entry) != entry


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_description_names_no_code(entry: str) -> None:
    assert not any(code in entry for code in ("FHIR", "$", "/", "R4"))


@pytest.mark.parametrize("kind", ["Consent", "Provenance", "Patient", "Observation", "QuestionnaireResponse"])
def test_an_earlier_rows_words_are_said_through_todays_entry(kind: str) -> None:
    assert words.current(f"FHIR {kind} read by another system") == words.read_by_a_system(kind)


def test_a_type_not_listed_is_part_of_the_record() -> None:
    assert words.read_by_a_system("Practitioner") == words.PART_READ_BY_A_SYSTEM


def test_a_progress_reports_description_is_left_as_it_is() -> None:
    said = core.progress_report_description(["screenings"])
    assert words.current(said) == said


def _consent_search(world: World) -> Disclosure:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    read = Client().get(
        f"/fhir/R4/Consent?patient={world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {acme_token(world)}",
        HTTP_KEEL_CONSENT=str(acme.pk),
    )
    assert read.status_code == 200
    return Disclosure.objects.get(patient=world.alice)


def _her_page(world: World, language: str) -> str:
    page = sign_in(Client(), world.alice.user).get("/me/sharing/", HTTP_ACCEPT_LANGUAGE=language)
    return page.content.decode()


def test_a_consent_search_stores_the_plain_entry(world: World) -> None:
    assert _consent_search(world).description == words.READ_BY_A_SYSTEM["Consent"]


def test_a_consent_search_is_said_in_spanish_on_her_page(world: World) -> None:
    _consent_search(world)
    with translation.override("es"):
        spanish = gettext(words.READ_BY_A_SYSTEM["Consent"])
    assert spanish in _her_page(world, "es")


def test_an_earlier_rows_english_is_said_in_spanish_on_her_page(world: World) -> None:
    row = _consent_search(world)
    Disclosure.objects.filter(pk=row.pk).update(description="FHIR Consent read by another system")
    with translation.override("es"):
        spanish = gettext(words.READ_BY_A_SYSTEM["Consent"])
    assert spanish in _her_page(world, "es")


def test_an_earlier_row_is_never_rewritten(world: World) -> None:
    row = _consent_search(world)
    Disclosure.objects.filter(pk=row.pk).update(description="FHIR Consent read by another system")
    _her_page(world, "es")
    assert Disclosure.objects.get(pk=row.pk).description == "FHIR Consent read by another system"


def test_an_earlier_row_in_the_api_says_todays_words(world: World) -> None:
    row = _consent_search(world)
    Disclosure.objects.filter(pk=row.pk).update(description="FHIR Consent read by another system")
    said = DisclosureOut.of(Disclosure.objects.get(pk=row.pk)).description
    assert said == words.READ_BY_A_SYSTEM["Consent"]


def test_a_provenance_read_by_id_is_said_in_plain_words(world: World) -> None:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    filed = court_phq9(world, sign_in(Client(), world.staff["counselor"]))
    Client().get(
        f"/fhir/R4/Provenance/{filed.json()['provenance']['id']}",
        HTTP_AUTHORIZATION=f"Bearer {acme_token(world)}",
        HTTP_KEEL_CONSENT=str(acme.pk),
    )
    assert Disclosure.objects.get(patient=world.alice).description == words.READ_BY_A_SYSTEM["Provenance"]


def _first_page(world: World, secret: str) -> str:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    first = Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count=2",
        json.dumps(everything_basis(acme)),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    return str(next(link["url"] for link in first.json()["link"] if link["relation"] == "next"))


def test_everything_stores_the_plain_entry(world: World) -> None:
    _first_page(world, acme_token(world))
    assert Disclosure.objects.get(patient=world.alice).description == words.SENT_TO_A_SYSTEM


def test_a_next_page_of_an_earlier_worded_release_still_pages(world: World) -> None:
    secret = acme_token(world)
    link = _first_page(world, secret)
    Disclosure.objects.filter(patient=world.alice).update(
        description="The whole record as FHIR R4 (Patient/$everything, pulled by another system)"
    )
    assert Client().get(link, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_the_record_category_keeps_its_key() -> None:
    assert "record" in core.CONSENT_CATEGORIES


@pytest.mark.parametrize("named", ["emergency contacts", "QTc", "take-home doses", "birth date"])
def test_the_record_category_names_what_leaves(named: str) -> None:
    assert named in core.CONSENT_CATEGORIES[core.RECORD]


@pytest.mark.parametrize("named", ["contactos de emergencia", "QTc", "llevar a casa", "fecha de nacimiento"])
def test_the_record_category_names_what_leaves_in_spanish(named: str) -> None:
    with translation.override("es"):
        assert named in gettext(core.CONSENT_CATEGORIES[core.RECORD])


def _screenings_on(world: World, zone: str, instrument: str, hour: int) -> tuple[str, str]:
    """A questionnaire filled two days ago at `hour` on the program's clock (`zone`): the report's line of
    it and that day."""
    Program.objects.filter(pk=world.riverside.pk).update(time_zone=zone)
    alice = Patient.objects.select_related("program").get(pk=world.alice.pk)
    day = local_today(alice) - timedelta(days=2)
    submit_assessment(
        by=world.staff["counselor"],
        patient_id=alice.pk,
        instrument=instrument,
        answers={f"{instrument}_{n}": 1 for n in range(1, 10 if instrument == "phq9" else 8)},
        filled_at=datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone)),
    )
    lines = report(alice, ("screenings",), timezone.now(), areas=frozenset(Area))["sections"]
    name = "PHQ-9:" if instrument == "phq9" else "GAD-7:"
    return next(line for line in lines[0]["lines"] if line.startswith(name)), day.isoformat()


def test_an_evening_gad7_west_of_the_server_is_dated_her_day(world: World) -> None:
    line, day = _screenings_on(world, "Pacific/Honolulu", "gad7", 21)
    assert line.endswith(f"on {day}.")


def test_a_morning_phq9_east_of_the_server_is_dated_her_day(world: World) -> None:
    line, day = _screenings_on(world, "Asia/Tokyo", "phq9", 7)
    assert line.endswith(f"on {day}.")
