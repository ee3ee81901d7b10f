"""Review 19b: emergency access reads a person's appointments but does not book, move or cancel them (a
person's schedule of visits and its reminders are the care team's): each refused on the API and the page,
audited "emergency access: may not book or change appointments"; the page offers no form under a grant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.appointments import services
from keel.appointments.models import Appointment
from keel.audit.models import AuditEvent
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 1, 15, tzinfo=UTC)
REFUSED = "emergency access: may not book or change appointments"


@pytest.fixture
def visit(world: World) -> Appointment:
    return services.schedule(
        by=world.staff["program_admin"],
        patient_id=world.bob.pk,
        day="2027-03-10",
        start="09:30",
        end="10:30",
        kind="counseling",
        now=NOW,
    )


def _nurse(world: World) -> Client:
    emergency_access(
        by=world.staff["nurse"],
        record_number=world.bob.record_number,
        reason="found unresponsive in the lobby",
        password=PASSWORD,
        now=NOW,
    )
    return sign_in(Client(), world.staff["nurse"])


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _last() -> Any:
    return AuditEvent.objects.order_by("-id").first()


@time_machine.travel(NOW, tick=False)
def test_the_api_refuses_to_book_a_visit(world: World) -> None:
    body = {"date": "2027-03-11", "start": "09:00", "end": "10:00", "kind": "counseling"}
    response = _post(_nurse(world), f"/api/v1/patients/{world.bob.pk}/appointments", body)
    assert response.status_code == 403
    assert not Appointment.objects.filter(patient=world.bob).exists()


@time_machine.travel(NOW, tick=False)
def test_the_refusal_is_audited_about_the_person(world: World) -> None:
    body = {"date": "2027-03-11", "start": "09:00", "end": "10:00", "kind": "counseling"}
    _post(_nurse(world), f"/api/v1/patients/{world.bob.pk}/appointments", body)
    assert (_last().outcome, _last().patient_id, _last().reason) == ("denied", world.bob.pk, REFUSED)


@time_machine.travel(NOW, tick=False)
def test_the_api_refuses_to_cancel_a_visit(world: World, visit: Appointment) -> None:
    path = f"/api/v1/patients/{world.bob.pk}/appointments/{visit.pk}/status"
    response = _post(_nurse(world), path, {"status": "cancelled"})
    assert response.status_code == 403
    assert Appointment.objects.get(pk=visit.pk).status == visit.status


@time_machine.travel(NOW, tick=False)
def test_the_service_refuses_to_reschedule(world: World, visit: Appointment) -> None:
    from django.core.exceptions import PermissionDenied

    _nurse(world)
    with pytest.raises(PermissionDenied):
        services.reschedule(
            by=world.staff["nurse"],
            patient_id=world.bob.pk,
            appointment_id=visit.pk,
            day="2027-03-12",
            start="09:00",
            end="10:00",
            now=NOW,
        )
    assert Appointment.objects.get(pk=visit.pk).starts_at == visit.starts_at


@time_machine.travel(NOW, tick=False)
def test_the_page_refuses_to_book_a_visit(world: World) -> None:
    body = {"date": "2027-03-11", "start": "09:00", "end": "10:00", "kind": "counseling"}
    response = _nurse(world).post(f"/patients/{world.bob.pk}/appointments/", body)
    assert response.status_code == 403
    assert not Appointment.objects.filter(patient=world.bob).exists()


@time_machine.travel(NOW, tick=False)
def test_the_page_refuses_to_cancel_a_visit(world: World, visit: Appointment) -> None:
    path = f"/patients/{world.bob.pk}/appointments/{visit.pk}/status/"
    response = _nurse(world).post(path, {"status": "cancelled"})
    assert response.status_code == 403
    assert Appointment.objects.get(pk=visit.pk).status == visit.status


@time_machine.travel(NOW, tick=False)
def test_reading_the_appointments_stays_open(world: World, visit: Appointment) -> None:
    client = _nurse(world)
    assert client.get(f"/api/v1/patients/{world.bob.pk}/appointments").status_code == 200
    assert client.get(f"/patients/{world.bob.pk}/appointments/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_the_page_offers_no_form_under_emergency_access(world: World, visit: Appointment) -> None:
    page = _nurse(world).get(f"/patients/{world.bob.pk}/appointments/").content.decode()
    assert 'name="status"' not in page


@time_machine.travel(NOW, tick=False)
def test_the_page_offers_no_booking_form_under_emergency_access(world: World, visit: Appointment) -> None:
    page = _nurse(world).get(f"/patients/{world.bob.pk}/appointments/").content.decode()
    assert 'name="kind"' not in page


@time_machine.travel(NOW, tick=False)
def test_the_care_team_is_offered_the_forms(world: World) -> None:
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/appointments/")
    assert 'name="kind"' in page.content.decode()


def test_the_refusal_has_words_in_spanish() -> None:
    from django.utils import translation

    from keel.web.audit_words import reason_words

    with translation.override("es"):
        assert reason_words(REFUSED) != REFUSED
