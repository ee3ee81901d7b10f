"""Issue #20: a journey reaches a real clinic. Keel ships the opioid treatment programs of SAMHSA's 2017
national directory (public domain; positions are ZIP code centroids), and `keel setup` and `keel demo` import
them as real clinics with a note, in the reader's language, that the listing is from 2017 and to call first.
Nothing here reads the network or files outside the package."""

from __future__ import annotations

import html
import io
import sys

import pytest
from django.core.management import call_command
from django.test import Client

from keel.core.directory.feeds import parse_facility_csv
from keel.directory import samples
from keel.directory.models import Facility, FeedSource
from keel.directory.queries import search_facilities

pytestmark = pytest.mark.django_db
BIRMINGHAM = (33.52066, -86.80249)  # Birmingham, AL (the place search's own point)
METRO = "Birmingham Metro Treatment Center"
NOTE_EN = "From SAMHSA's 2017 national directory of treatment programs."
NOTE_ES = "Del directorio nacional de programas de tratamiento de SAMHSA de 2017."
CALL_EN = "call before you go"
CALL_ES = "llame antes de ir"


def _real() -> None:
    samples.load_real()


def _text(path: str) -> str:
    return html.unescape(Client().get(path).content.decode())


# --- the shipped file -----------------------------------------------------------------------------------


def test_the_shipped_list_says_where_it_comes_from() -> None:
    head = "".join(line for line in samples.real_clinics().splitlines(keepends=True) if line.startswith("#"))
    assert "SAMHSA" in head
    assert "2017" in head
    assert "public domain" in head
    assert "ZIP code centroids" in head
    assert "call before you go" in head


def test_every_row_of_the_shipped_list_parses() -> None:
    parsed = parse_facility_csv(samples.real_clinics())
    assert parsed.rejections == []
    assert len(parsed.records) == 675


def test_every_shipped_program_has_a_place_and_an_opioid_medicine() -> None:
    records = parse_facility_csv(samples.real_clinics()).records
    assert all(r.latitude is not None and r.longitude is not None for r in records)
    assert all({"otp", "buprenorphine", "naltrexone"} & set(r.services) for r in records)
    assert all(r.data_as_of is not None and r.data_as_of.year == 2017 for r in records)


# --- the import -----------------------------------------------------------------------------------------


def test_the_import_creates_every_program_as_a_real_clinic() -> None:
    _, clinics = samples.load_real()
    assert (clinics.created, clinics.rejected) == (675, 0)
    assert Facility.objects.filter(source=samples.REAL_CLINICS_SOURCE).count() == 675
    assert not FeedSource.objects.get(kind="facilities", name=samples.REAL_CLINICS_SOURCE).is_sample


def test_importing_twice_changes_nothing() -> None:
    _real()
    _, clinics = samples.load_real()
    assert (clinics.created, clinics.updated, clinics.deactivated) == (0, 0, 0)


def test_a_known_program_is_found_near_birmingham() -> None:
    _real()
    hits = search_facilities(latitude=BIRMINGHAM[0], longitude=BIRMINGHAM[1], radius_km=25)
    metro = next(h.facility for h in hits if h.facility.name == METRO)
    assert (metro.address, metro.city, metro.region, metro.postal_code) == (
        "151 Industrial Drive",
        "Birmingham",
        "AL",
        "35211",
    )


def test_the_known_program_offers_methadone_and_buprenorphine() -> None:
    _real()
    metro = Facility.objects.get(source=samples.REAL_CLINICS_SOURCE, name=METRO)
    assert {"otp", "buprenorphine"} <= set(metro.services)


def test_the_known_program_keeps_its_phone_and_medicaid() -> None:
    _real()
    metro = Facility.objects.get(source=samples.REAL_CLINICS_SOURCE, name=METRO)
    assert metro.phone == "(205) 941-1799"
    assert "medicaid" in metro.payments


def test_spanish_speaking_programs_are_found_by_language() -> None:
    _real()
    page = _text("/en/find/treatment/?place=Birmingham, AL&radius_mi=100&language=es")
    assert "Chilton County Treatment Center" in page  # SP in SAMHSA's codes
    assert METRO not in page  # no SP


def test_keel_setup_imports_the_real_clinics() -> None:
    args = [
        "setup",
        "--program-slug", "riverside",
        "--program-name", "Riverside Recovery",
        "--time-zone", "America/Chicago",
        "--username", "dana",
        "--email", "dana@riverside.example",
        "--first-name", "Dana",
        "--password-stdin",
    ]  # fmt: skip
    old_stdin = sys.stdin
    sys.stdin = io.StringIO("a long and unusual passphrase\n")
    try:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    finally:
        sys.stdin = old_stdin
    assert Facility.objects.filter(source=samples.REAL_CLINICS_SOURCE).count() == 675


def test_the_demo_imports_the_real_clinics_beside_the_samples() -> None:
    samples.load()
    assert Facility.objects.filter(source=samples.REAL_CLINICS_SOURCE).count() == 675
    assert Facility.objects.filter(source=samples.SAMPLE_CLINICS).count() == 8


# --- the page -------------------------------------------------------------------------------------------


def test_the_page_finds_the_known_program_by_city() -> None:
    _real()
    page = _text("/en/find/treatment/?place=Birmingham, AL")
    assert METRO in page


@pytest.mark.parametrize(("lang", "note", "call"), [("en", NOTE_EN, CALL_EN), ("es", NOTE_ES, CALL_ES)])
def test_a_real_clinic_says_it_is_from_samhsa_2017_and_to_call_first(lang: str, note: str, call: str) -> None:
    _real()
    page = _text(f"/{lang}/find/treatment/?place=Birmingham, AL")
    assert note in page
    assert call in page


def test_a_real_clinic_is_not_marked_as_a_sample() -> None:
    samples.load()
    page = _text("/en/find/treatment/?place=Birmingham, AL")
    assert "Sample listing" not in page


def test_a_sample_clinic_has_no_samhsa_note() -> None:
    samples.load()
    page = _text("/en/find/treatment/?place=Oneonta, NY")
    assert "Sample listing for the demo: not a real clinic" in page
    assert NOTE_EN not in page


def test_directions_to_a_real_clinic_go_to_its_address_not_the_zip_centre() -> None:
    _real()
    page = _text("/en/find/treatment/?place=Birmingham, AL")
    assert (
        "openstreetmap.org/search?query=151%20Industrial%20Drive%2C%20Birmingham%2C%20AL%2C%2035211" in page
    )


def test_a_real_clinic_can_be_found_by_cash_payment() -> None:
    _real()
    page = _text("/en/find/treatment/?place=Birmingham, AL&payment=self_pay")
    assert METRO in page
    assert "Cash or self-pay" in page


def _api_metro() -> dict:
    rows = Client().get("/api/v1/facilities?place=Birmingham, AL").json()
    return next(r for r in rows if r["name"] == METRO)


def test_the_api_says_a_real_clinics_position_is_approximate() -> None:
    _real()
    assert _api_metro()["position_approximate"] is True


def test_the_api_gives_directions_to_a_real_clinics_address() -> None:
    _real()
    assert _api_metro()["directions_url"].startswith(
        "https://www.openstreetmap.org/search?query=151%20Industrial"
    )


def test_the_api_says_a_sample_clinics_position_is_its_own() -> None:
    samples.load()
    rows = Client().get("/api/v1/facilities?place=Oneonta, NY").json()
    assert {r["position_approximate"] for r in rows} == {False}
