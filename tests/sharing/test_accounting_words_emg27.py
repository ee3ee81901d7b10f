"""Lane emg27: an emergency disclosure (42 CFR 2.51) as the patient reads it in her accounting of disclosures
and as the clinician reads it on the sharing page, in English and Spanish. 2.51 records who received it (name,
facility; Keel also the medical role), who at the program disclosed it, when, and the nature of the emergency;
the patient has a right to an accounting of each. Each fact one assertion: the period line in the locale's
date format (never an ISO date), the recipient with role and facility, the discloser by name (never a
username) with their role, and the nature."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from keel.core.sharing import accounting_since
from keel.patients.models import local_today
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World

EMERGENCY: dict[str, Any] = {
    "basis": "emergency",
    "recipient_name": "Dr. Ana Ruiz",
    "recipient_role": "physician",
    "recipient_affiliation": "Mercy Hospital",
    "nature": "opioid overdose, unresponsive, naloxone given twice",
    "categories": ["medication"],
}


def _disclosed(world: World, signed_in: Any, *, named: bool = True) -> Disclosure:
    """The prescriber (Rosa Prieto, unless `named` is False) discloses in an emergency through the page."""
    prescriber = world.staff["prescriber"]
    if named:
        prescriber.first_name, prescriber.last_name = "Rosa", "Prieto"
        prescriber.save(update_fields=["first_name", "last_name"])
    page = signed_in("prescriber").post(
        reverse("sharing:disclose", args=[world.alice.pk]), {**EMERGENCY, "password": PASSWORD}
    )
    assert page.status_code == 200, page.content.decode()[:500]
    return Disclosure.objects.get(patient=world.alice)


def _page(world: World, client: Client, reader: str, language: str) -> str:
    url = (
        reverse("sharing:mine") if reader == "patient" else reverse("sharing:patient", args=[world.alice.pk])
    )
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def _since(world: World, language: str) -> str:
    since = accounting_since(local_today(world.alice, timezone.now()))
    with translation.override(language):
        return formats.date_format(since, "DATE_FORMAT")


def _since_iso(world: World) -> str:
    return (accounting_since(local_today(world.alice, timezone.now()))).isoformat()


READERS = ["patient", "prescriber"]
SINCE = {"en": "Since %s (the last 3 years).", "es": "Desde el %s (los últimos 3 años)."}
RECIPIENT = {
    "en": "Dr. Ana Ruiz (Physician) at Mercy Hospital",
    "es": "Dr. Ana Ruiz (Médico) en Mercy Hospital",
}
DISCLOSER = {"en": "Rosa Prieto (Prescriber)", "es": "Rosa Prieto (Médico/a que receta)"}
# Lane fix28a (review 28a H4): the patient's own accounting names the discloser by role alone, never by name
# (was DISCLOSER for both readers); the care team's page keeps the name with the role held when disclosed.
DISCLOSER_FOR_PATIENT = {"en": "A prescriber", "es": "Un/a médico/a que receta"}


@dataclass(frozen=True)
class Read:
    """A page as one reader read it in one language."""

    reader: str
    language: str
    page: str


@pytest.fixture(params=[(reader, language) for language in ("en", "es") for reader in READERS], ids="-".join)
def read(request: pytest.FixtureRequest, world: World, signed_in: Any) -> Read:
    """The emergency disclosure made, then read by the patient (her accounting) or the prescriber (the
    sharing page), in English or Spanish."""
    reader, language = request.param
    _disclosed(world, signed_in)
    return Read(reader, language, _page(world, signed_in(reader), reader, language))


@pytest.mark.django_db
def test_the_period_is_in_the_locales_date_format(world: World, read: Read) -> None:
    assert SINCE[read.language] % _since(world, read.language) in read.page


@pytest.mark.django_db
def test_the_period_is_no_iso_date(world: World, read: Read) -> None:
    assert _since_iso(world) not in read.page


@pytest.mark.django_db
def test_the_accounting_holds_no_iso_date(read: Read) -> None:
    """Nor does the row's "When" (its day in the locale's format, then the time)."""
    page = read.page
    accounting = page[page.index('id="acct-h"') :].split("</section>")[0]
    assert re.search(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", accounting) is None, accounting


@pytest.mark.django_db
def test_the_recipient_is_named_with_role_and_facility(read: Read) -> None:
    assert RECIPIENT[read.language] in read.page


@pytest.mark.django_db
def test_the_discloser_is_named_with_their_role(read: Read) -> None:
    if read.reader == "patient":
        assert DISCLOSER_FOR_PATIENT[read.language] in read.page
        assert "Prieto" not in read.page
    else:
        assert DISCLOSER[read.language] in read.page


@pytest.mark.django_db
def test_the_disclosers_username_is_not_shown(read: Read) -> None:
    assert "r-prescriber" not in read.page


@pytest.mark.django_db
def test_the_nature_of_the_emergency_is_shown(read: Read) -> None:
    assert EMERGENCY["nature"] in read.page


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "heading"), [("en", "Shared by"), ("es", "Compartido por")])
def test_the_patients_accounting_has_a_shared_by_column(
    world: World, signed_in: Any, language: str, heading: str
) -> None:
    _disclosed(world, signed_in)
    assert f'<th scope="col">{heading}</th>' in _page(world, signed_in("patient"), "patient", language)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "basis"), [("en", "A medical emergency"), ("es", "Una emergencia médica")]
)
def test_the_patient_reads_that_a_medical_emergency_allowed_it(
    world: World, signed_in: Any, language: str, basis: str
) -> None:
    _disclosed(world, signed_in)
    assert f"{basis}: {EMERGENCY['nature']}" in _page(world, signed_in("patient"), "patient", language)


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "role"), [("en", "A prescriber"), ("es", "Un/a médico/a que receta")])
def test_a_staff_member_with_no_name_on_file_is_named_by_role_to_the_patient(
    world: World, signed_in: Any, language: str, role: str
) -> None:
    """Lane fix27b (review 27b H6): the patient's page names a staff member with no full name on file by the
    role alone, never by username (half of a staff sign-in); the clinician's page too, by the role with "no
    name on file" (lane words33: no page shows a username)."""
    _disclosed(world, signed_in, named=False)
    page = _page(world, signed_in("patient"), "patient", language)
    assert role in page
    assert "r-prescriber" not in page
    assert "Prescriber (no name on file)" in _page(world, signed_in("prescriber"), "prescriber", "en")


@pytest.mark.django_db
def test_the_recorded_role_is_said_in_the_readers_language(world: World, signed_in: Any) -> None:
    disclosure = _disclosed(world, signed_in)
    with translation.override("es"):
        assert disclosure.recipient_role_shown == "Médico"


@pytest.mark.django_db
def test_a_row_with_no_role_shows_the_recipient_and_facility_as_before(world: World, signed_in: Any) -> None:
    """A row with no role recorded (the field came with migration 0003): the name and facility as before."""
    _disclosed(world, signed_in)
    Disclosure.objects.filter(patient=world.alice).update(recipient_role="")
    assert "Dr. Ana Ruiz, Mercy Hospital" in _page(world, signed_in("patient"), "patient", "en")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "basis"),
    [("en", "Medical emergency (42 CFR 2.51)"), ("es", "Emergencia médica (42 CFR 2.51)")],
)
def test_the_clinician_reads_the_basis_and_nature_in_their_language(
    world: World, signed_in: Any, language: str, basis: str
) -> None:
    _disclosed(world, signed_in)
    page = _page(world, signed_in("prescriber"), "prescriber", language)
    assert f"{basis}: {EMERGENCY['nature']}" in page
