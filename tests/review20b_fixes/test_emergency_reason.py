"""Fix 20c, hole 4: break-the-glass and the emergency disclosure's nature ask for a reason of substance
(`core.rules.window.reason_problem`), by the service, the API and the page."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import MEDICAL_ROLES, parse_emergency
from keel.patients.models import EmergencyAccess
from keel.sharing.errors import SharingInvalid
from keel.sharing.services.emergency import emergency_access
from tests.conftest import sign_in
from tests.review20b.conftest import PASSWORD, World

NO_WORDS = ["ok ok ok ok ok ok", "a b c d e f g h i j", "\u200b" * 12 + "xxxxxxxxxx", "1 2 3 4 5 6 7 8"]


@pytest.mark.parametrize("reason", NO_WORDS)
def test_a_reason_of_no_substance_is_refused(world: World, reason: str) -> None:
    with pytest.raises(SharingInvalid):
        emergency_access(
            by=world.other_nurse, record_number=world.patient.record_number, reason=reason, password=PASSWORD
        )


def test_the_refusal_names_reason(world: World) -> None:
    with pytest.raises(SharingInvalid) as refused:
        emergency_access(
            by=world.other_nurse,
            record_number=world.patient.record_number,
            reason="x" * 10,
            password=PASSWORD,
        )
    assert [e.field for e in refused.value.errors] == ["reason"]


def test_the_refusal_opens_nothing_before_the_password(world: World) -> None:
    with pytest.raises(SharingInvalid):
        emergency_access(
            by=world.other_nurse, record_number=world.patient.record_number, reason="x" * 10, password="wrong"
        )
    assert not EmergencyAccess.objects.exists()


def test_a_reason_of_substance_still_opens(world: World) -> None:
    emergency_access(
        by=world.other_nurse,
        record_number=world.patient.record_number,
        reason="found unresponsive in the lobby",
        password=PASSWORD,
    )
    assert EmergencyAccess.objects.filter(user=world.other_nurse).exists()


def test_the_api_names_reason(world: World) -> None:
    body = {"record_number": world.patient.record_number, "reason": "." * 10, "password": PASSWORD}
    response = sign_in(Client(), world.other_nurse).post(
        "/api/v1/emergency-access", json.dumps(body), content_type="application/json"
    )
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["reason"])


def test_the_page_refuses_it(world: World) -> None:
    body = {"record_number": world.patient.record_number, "reason": "1234567890", "password": PASSWORD}
    sign_in(Client(), world.other_nurse).post("/emergency-access/", body)
    assert not EmergencyAccess.objects.exists()


def test_the_words_are_in_spanish() -> None:
    from keel.core.reasons import reason_problem

    with translation.override("es"):
        assert translation.gettext(reason_problem("x" * 10)) != reason_problem("x" * 10)


EMERGENCY = {
    "recipient_name": "Dr. Lee",
    "recipient_role": sorted(MEDICAL_ROLES)[0],
    "recipient_affiliation": "General Hospital emergency department",
    "categories": ["medication"],
}


@pytest.mark.parametrize("nature", ["xxxxxxxxxx", "..........", "1234567890"])
def test_an_emergencys_nature_of_no_words_is_refused(nature: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_emergency({**EMERGENCY, "nature": nature})
    assert [e.field for e in refused.value.errors] == ["nature"]


def test_an_emergencys_nature_in_words_passes() -> None:
    assert parse_emergency({**EMERGENCY, "nature": "overdose, unresponsive, naloxone given"}).nature
