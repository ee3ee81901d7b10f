"""Hole 3: the emergency-access page says the after-death refusal under the internal field name
"record_number", in Spanish too.

Bob's death is recorded. A nurse of the program, off his care team, reading Keel in Spanish, asks for
emergency access to his record number on the page (`/emergency-access/`). The refusal is right (422, the
words translated), but the page's error list prints the field's key as it is in the code:
"<strong>record_number</strong>: es el expediente de una persona cuya muerte está registrada...". A page
never shows an internal code (house rule); the field should be named in the reader's words (as the form's
own label, "Número de expediente" or similar), like every other page's form errors.
"""

from __future__ import annotations

from django.test import Client

from keel.patients.schemas import DischargeIn
from keel.patients.services.episodes import discharge
from tests.conftest import PASSWORD, sign_in


def test_the_after_death_refusal_on_the_emergency_page_names_no_internal_field_key(world):
    discharge(
        by=world.staff["program_admin"],
        patient_id=world.bob.pk,
        data=DischargeIn.posted({"reason": "deceased"}),
    )
    nurse = sign_in(Client(HTTP_ACCEPT_LANGUAGE="es"), world.staff["nurse"])

    page = nurse.post(
        "/emergency-access/",
        {
            "record_number": "RR-0002",
            "reason": "overdose in the waiting room right now",
            "password": PASSWORD,
        },
    )

    assert "<strong>record_number</strong>" not in page.content.decode()
