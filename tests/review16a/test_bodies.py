"""Review 16a: request bodies that walk around the unknown-key guard (`keel.schemas.In`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from keel.patients.models import Patient
from keel.treatment.models import DoseRecord
from keel.treatment.queries import orders_version

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, raw: str) -> Any:
    return client.post(url, data=raw, content_type="application/json")


def _methadone_order(signed_in: Any, patient_id: int) -> None:
    r = signed_in("prescriber").post(
        f"/api/v1/patients/{patient_id}/orders",
        data={
            "medication": "methadone",
            "dose_mg": 30,
            "orders_version": orders_version(Patient.objects.get(pk=patient_id)),
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content


def test_duplicate_sedated_key_is_refused_not_last_wins(world: Any, signed_in: Any) -> None:
    """`{"sedated": true, ..., "sedated": false}`: Python's json keeps the last, so a body whose first
    `sedated` says the person is sedated records a dose given. A gateway, logger or client-side check that
    reads the first sees a hold. Safe: 422 naming sedated (a duplicate key is ambiguous), no dose saved."""
    _methadone_order(signed_in, world.alice.pk)
    raw = '{"sequence": 1, "amount_mg": 30, "sedated": true, "medication": "methadone", "sedated": false}'
    r = _post(signed_in("nurse"), f"/api/v1/patients/{world.alice.pk}/doses", raw)
    given = DoseRecord.objects.filter(patient=world.alice, status="given").count()
    assert r.status_code == 422 and given == 0, (r.status_code, r.content)


def test_in_body_boolean_is_its_json_type(world: Any, signed_in: Any) -> None:
    """CoreIn bodies refuse 1, "true", "no" for a flag (review 14a); `In` bodies coerce them (pydantic lax):
    `"sedated": "no"` or `0` records a dose, `"bottle_returned": "1"` passes the take-home check. Safe:
    422 naming the field, as the core's bodies say it."""
    _methadone_order(signed_in, world.alice.pk)
    body = {"sequence": 1, "amount_mg": 30, "sedated": "no"}
    r = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/doses", data=json.dumps(body), content_type="application/json"
    )
    assert r.status_code == 422, (r.status_code, r.content)
    assert any(e["field"] == "sedated" for e in r.json()["errors"])


def test_single_care_team_add_refuses_a_user_id_that_is_text(world: Any, signed_in: Any) -> None:
    """The bulk route names no one for `"user_id": "7"` or `true` (review 14a); the single route's
    `CareTeamIn.user_id: int` coerces "7" (and true -> 1) and adds that person. Safe: 422 on user_id."""
    counselor = world.staff["counselor"]
    r = signed_in("program_admin").post(
        f"/api/v1/patients/{world.bob.pk}/care-team",
        data=json.dumps({"user_id": str(counselor.pk)}),
        content_type="application/json",
    )
    assert r.status_code == 422, (r.status_code, r.content)


def test_dosing_page_reads_a_present_sedated_field_as_sedated(world: Any, signed_in: Any) -> None:
    """The dosing page reads `sedated == "on"` only: a form (or a kiosk/automation posting to the page)
    sending `sedated=true`, `sedated=1` or `sedated=yes` records the dose as GIVEN. Safe: a present
    `sedated` other than empty holds the dose (or the post is refused), never a dose given."""
    _methadone_order(signed_in, world.alice.pk)
    signed_in("nurse").post(
        f"/dosing/{world.alice.pk}/",
        {"sequence": "1", "amount_mg": "30", "sedated": "true", "medication": "methadone"},
    )
    statuses = list(DoseRecord.objects.filter(patient=world.alice).values_list("status", flat=True))
    assert "given" not in statuses, statuses


def test_a_query_parameter_on_a_dose_is_not_silently_dropped(world: Any, signed_in: Any) -> None:
    """`POST /api/v1/patients/{id}/doses?sedated=true` with a body without `sedated`: the unknown-key guard
    covers the body only; the query string is dropped without a word and the dose is recorded GIVEN. An
    integration that puts a flag in the query (as many HTTP clients' `params=` make easy) is not told.
    Safe: 422 naming the query parameter (or the dose held), never a dose given."""
    _methadone_order(signed_in, world.alice.pk)
    r = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/doses?sedated=true",
        data=json.dumps({"sequence": 1, "amount_mg": 30}),
        content_type="application/json",
    )
    given = DoseRecord.objects.filter(patient=world.alice, status="given").count()
    assert given == 0, (r.status_code, r.content)
