"""The dosing page reads only what its row's form sends (review 16a): an unknown field, a checkbox sent with
anything but "on", a field sent twice or a slot in digits other than 0-9 is refused (422), nothing recorded,
the reason at the top of the list; with htmx the list is loaded again to show it. A present `sedated` that is
not "on" never records a dose given."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.treatment import services
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.views.dosing import RESULT_KEY, form_problem
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York
ROW = {"sequence": "1", "amount_mg": "30", "medication": "methadone"}


@pytest.fixture
def order(world: World) -> MedicationOrder:
    return services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )


def _post(world: World, body: dict[str, Any], role: str = "nurse", **headers: Any) -> Any:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff[role])
        return client.post(f"/dosing/{world.alice.pk}/", body, **headers), client


def _doses(world: World) -> list[str]:
    return list(DoseRecord.objects.filter(patient=world.alice).values_list("status", flat=True))


@pytest.mark.parametrize("value", ["true", "1", "yes", "on ", "ON", "off", "", "false"])
def test_a_sedated_value_other_than_on_is_refused(world: World, order: MedicationOrder, value: str) -> None:
    r, _client = _post(world, {**ROW, "sedated": value})
    assert r.status_code == 422
    assert "Nothing was given" in r.content.decode()
    assert _doses(world) == []


def test_sedated_on_holds_and_absent_gives(world: World, order: MedicationOrder) -> None:
    r, _client = _post(world, {**ROW, "sedated": "on"})
    assert r.status_code == 302
    assert _doses(world) == ["held"]


def test_sedated_twice_is_refused(world: World, order: MedicationOrder) -> None:
    r, _client = _post(world, {**ROW, "sedated": ["on", "on"]})
    assert r.status_code == 422
    assert _doses(world) == []


@pytest.mark.parametrize("field", ["sedation", "notes", "override_reason", "patient_id"])
def test_a_field_the_form_never_sends_is_refused(world: World, order: MedicationOrder, field: str) -> None:
    r, _client = _post(world, {**ROW, field: "x"})
    assert r.status_code == 422
    assert field in r.content.decode()
    assert _doses(world) == []


@pytest.mark.parametrize("slot", ["²", "٣", "1²", "\uff11"])
def test_a_slot_in_other_digits_is_refused(world: World, order: MedicationOrder, slot: str) -> None:
    r, _client = _post(world, {**ROW, "sequence": slot})
    assert r.status_code == 422
    assert _doses(world) == []


def test_a_slot_twice_is_refused(world: World, order: MedicationOrder) -> None:
    r, _client = _post(world, {**ROW, "sequence": ["1", "2"]})
    assert r.status_code == 422
    assert _doses(world) == []


def test_the_row_form_as_sent_still_gives(world: World, order: MedicationOrder) -> None:
    r, _client = _post(world, dict(ROW))
    assert r.status_code == 302
    assert _doses(world) == ["given"]


def test_with_htmx_the_list_is_loaded_again_with_the_reason(world: World, order: MedicationOrder) -> None:
    r, client = _post(world, {**ROW, "sedated": "true"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422
    assert r["HX-Redirect"] == "/dosing/"
    with time_machine.travel(NOON, tick=False):  # the session expires by the clock it was made at
        assert client.session[RESULT_KEY]["kind"] == "blocked"
        page = client.get("/dosing/").content.decode()
    assert "sedated" in page and "Nothing was given" in page


@pytest.mark.parametrize("role", ["counselor", "peer_specialist", "program_admin"])
def test_a_role_that_never_doses_is_still_refused_as_before(
    world: World, order: MedicationOrder, role: str
) -> None:
    """The form is read only for those who dose: others get the service's answer (403 or 404), not 422."""
    r, _client = _post(world, {**ROW, "sedated": "true"}, role=role)
    assert r.status_code in (403, 404)
    assert _doses(world) == []


def test_form_problem_reads_a_query_dict() -> None:
    from django.http import QueryDict

    assert (
        form_problem(QueryDict("sequence=1&amount_mg=30&medication=methadone&csrfmiddlewaretoken=t")) is None
    )
    assert form_problem(QueryDict("sequence=x&amount_mg=30")) is None  # no digit: no slot (review 13)
    assert form_problem(QueryDict("sedated=on&bottle_returned=on")) is None
    assert form_problem(QueryDict("bottle_returned=1")) is not None
