"""Issue #14 and SECURITY.md T19, 42 CFR 2.51: a disclosure without consent in a medical emergency goes only
to named medical personnel (person, medical role, health care facility), sends only what the emergency needs,
records the nature of the emergency, who disclosed and when, is queued for a program admin's review and shows
in the patient's accounting. A court, an employer or any non-medical recipient is refused, on the page and the
API alike, and the refusal is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.sharing.models import Disclosure, EmergencyReview
from keel.sharing.views import EMERGENCY_SHARE_LABELS
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
EMERGENCY = {
    "basis": "emergency",
    "categories": ["medication"],
    "recipient_name": "Dr. Example",
    "recipient_role": "physician",
    "recipient_affiliation": "Mercy Hospital emergency department",
    "nature": "Unresponsive after a suspected overdose; the treating team needs the methadone dose",
    "password": PASSWORD,
}


def _api(world: World, **changes: Any) -> Any:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = json.dumps({**EMERGENCY, **changes})
    return nurse.post(f"/api/v1/patients/{world.alice.pk}/disclosures", body, content_type="application/json")


def _page(world: World, **changes: Any) -> Any:
    nurse = sign_in(Client(), world.staff["nurse"])
    return nurse.post(f"/patients/{world.alice.pk}/sharing/disclose/", {**EMERGENCY, **changes})


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _last_audit() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


NOT_MEDICAL = [
    pytest.param({"recipient_affiliation": "County Drug Court"}, "recipient_affiliation", id="court"),
    pytest.param(
        {"recipient_affiliation": "ACME Corp human resources"}, "recipient_affiliation", id="employer"
    ),
    pytest.param(
        {"recipient_affiliation": "Riverside Police Department"}, "recipient_affiliation", id="police"
    ),
    pytest.param({"recipient_name": "Judge Example"}, "recipient_name", id="judge"),
    pytest.param({"recipient_role": "probation_officer"}, "recipient_role", id="probation-role"),
    pytest.param({"recipient_role": ""}, "recipient_role", id="no-role"),
]


@pytest.mark.parametrize(("change", "field"), NOT_MEDICAL)
@time_machine.travel(NOW, tick=False)
def test_a_non_medical_recipient_is_refused_over_the_api_naming_the_field(
    world: World, change: dict[str, str], field: str
) -> None:
    response = _api(world, **change)
    assert (response.status_code, _fields(response)) == (422, [field])


@pytest.mark.parametrize(("change", "field"), NOT_MEDICAL)
@time_machine.travel(NOW, tick=False)
def test_a_non_medical_recipient_is_refused_on_the_page(
    world: World, change: dict[str, str], field: str
) -> None:
    page = _page(world, **change)
    label = EMERGENCY_SHARE_LABELS[field]  # the form's label, never the field's key (review 29b H3)
    assert (page.status_code, f"<strong>{label}</strong>" in page.content.decode()) == (422, True)


@pytest.mark.parametrize(("change", "field"), NOT_MEDICAL)
@time_machine.travel(NOW, tick=False)
def test_a_refused_emergency_leaves_no_disclosure_and_is_audited(
    world: World, change: dict[str, str], field: str
) -> None:
    _api(world, **change)
    event = _last_audit()
    assert (event.action, event.target_type, event.reason) == ("denied", "disclosure", f"refused: {field}")
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("categories", [["checkins"], ["screenings"], ["medication", "checkins"], ["record"]])
@time_machine.travel(NOW, tick=False)
def test_an_emergency_sends_only_what_it_needs(world: World, categories: list[str]) -> None:
    response = _api(world, categories=categories)
    assert (response.status_code, _fields(response)) == (422, ["categories"])


@time_machine.travel(NOW, tick=False)
def test_the_emergency_page_offers_only_what_an_emergency_needs(world: World) -> None:
    html = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/sharing/").content
    form = html.decode().split('value="emergency"')[1].split("</form>")[0]
    assert ('value="checkins"' in form, 'value="medication"' in form) == (False, True)


@time_machine.travel(NOW, tick=False)
def test_an_emergency_disclosure_records_the_receiving_medical_personnel(world: World) -> None:
    assert _api(world).status_code == 201
    row = Disclosure.objects.get()
    assert (row.recipient_name, row.recipient_role, row.recipient_affiliation) == (
        "Dr. Example",
        "physician",
        "Mercy Hospital emergency department",
    )


@time_machine.travel(NOW, tick=False)
def test_an_emergency_disclosure_records_the_nature_who_and_when(world: World) -> None:
    _api(world)
    row = Disclosure.objects.get()
    assert (row.emergency_nature, row.disclosed_by_id, row.disclosed_at) == (
        EMERGENCY["nature"],
        world.staff["nurse"].pk,
        NOW,
    )


@time_machine.travel(NOW, tick=False)
def test_an_emergency_disclosure_is_queued_for_review(world: World) -> None:
    _api(world)
    review = EmergencyReview.objects.get()
    assert (review.kind, review.disclosure_id, review.used_by_id, review.attested_at) == (
        "emergency_disclosure",
        Disclosure.objects.get().pk,
        world.staff["nurse"].pk,
        None,
    )


@time_machine.travel(NOW, tick=False)
def test_an_emergency_disclosure_is_audited_as_one(world: World) -> None:
    _api(world)
    event = _last_audit()
    assert (event.action, event.reason, event.detail["basis"]) == (
        "disclose",
        "medical emergency",
        "emergency",
    )


@time_machine.travel(NOW, tick=False)
def test_the_document_names_the_role_and_the_facility(world: World) -> None:
    scope = _api(world).json()["document"]["scope"]
    assert scope == (
        "Medical emergency (42 CFR 2.51): disclosed to Dr. Example (Physician), Mercy Hospital emergency "
        f"department. Nature of the emergency: {EMERGENCY['nature']}."
    )


@time_machine.travel(NOW, tick=False)
def test_the_patients_accounting_shows_the_emergency_over_the_api(world: World) -> None:
    _api(world)
    accounting = sign_in(Client(), world.alice.user).get("/api/v1/me/sharing").json()["disclosures"]
    assert [(d["basis"], d["recipient_role"], d["recipient_affiliation"]) for d in accounting] == [
        ("emergency", "physician", "Mercy Hospital emergency department")
    ]


@time_machine.travel(NOW, tick=False)
def test_the_patients_accounting_page_shows_the_emergency(world: World) -> None:
    _page(world)
    page = sign_in(Client(), world.alice.user).get("/me/sharing/").content.decode()
    assert "Mercy Hospital emergency department" in page
    assert EMERGENCY["nature"] in page


@time_machine.travel(NOW, tick=False)
def test_the_page_discloses_an_emergency_with_its_role(world: World) -> None:
    page = _page(world, categories=["medication", "enrollment"])
    assert (page.status_code, list(Disclosure.objects.values_list("categories", flat=True))) == (
        200,
        [["enrollment", "medication"]],
    )
