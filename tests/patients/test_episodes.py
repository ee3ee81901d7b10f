"""Discharge and readmission (issue #18): an episode of care ends on a date for a reason, active medication
orders stop with it (the dosing window drops the person), and a new episode opens on readmission; one
service under the page and the API, through the policy, audited; bad input names its field."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import Enrollment
from tests.conftest import World

pytestmark = pytest.mark.django_db
NOW = "2026-03-10T16:00:00+00:00"  # 11:00 in New York, the programs' zone


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _discharge(client: Client, patient: Any, **body: Any) -> Any:
    return _post(client, f"/api/v1/patients/{patient.pk}/discharge", {"reason": "completed", **body})


def _readmit(client: Client, patient: Any, **body: Any) -> Any:
    confirmed = {"notice_given": True, "consented": True}
    return _post(client, f"/api/v1/patients/{patient.pk}/readmit", {**confirmed, **body})


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _order(world: World) -> Any:
    from keel.treatment.models import MedicationOrder

    return MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal("30"),
        starts_on=date(2026, 3, 1),
        prescriber=world.staff["prescriber"],
        created_at=datetime.fromisoformat("2026-03-01T15:00:00+00:00"),
    )


def test_discharge_ends_the_episode_on_the_date_for_the_reason(world: World, signed_in: Any) -> None:
    response = _discharge(signed_in("nurse"), world.alice, ended_on="2026-03-09", reason="left")
    assert response.status_code == 200
    episode = Enrollment.objects.get(patient=world.alice)
    assert (episode.status, episode.ended_on, episode.end_reason) == (
        "ended",
        date(2026, 3, 9),
        "left",
    )


def test_discharge_defaults_to_today_in_the_program_s_zone(world: World, signed_in: Any) -> None:
    with time_machine.travel("2026-03-11T02:00:00+00:00", tick=False):  # 22:00 on the 10th in New York
        _discharge(signed_in("program_admin"), world.alice)
        assert Enrollment.objects.get(patient=world.alice).ended_on == date(2026, 3, 10)


def test_discharge_stops_active_orders_and_the_dosing_window_drops_the_person(
    world: World, signed_in: Any
) -> None:
    order = _order(world)
    nurse = signed_in("nurse")
    assert [r["patient_id"] for r in nurse.get("/api/v1/dosing/today").json()] == [world.alice.pk]
    _discharge(nurse, world.alice)
    order.refresh_from_db()
    assert order.status == "stopped"
    assert nurse.get("/api/v1/dosing/today").json() == []


def test_no_dose_can_be_recorded_after_discharge(world: World, signed_in: Any) -> None:
    _order(world)
    nurse = signed_in("nurse")
    _discharge(nurse, world.alice)
    # a body good in itself (lane after28: the body's own fields are checked before the record is read)
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/doses", {"amount_mg": "30", "sequence": 1})
    assert response.status_code == 422
    assert "order" in _fields(response)


def test_discharge_is_audited_with_the_orders_it_stopped(world: World, signed_in: Any) -> None:
    order = _order(world)
    _discharge(signed_in("nurse"), world.alice)
    row = AuditEvent.objects.get(patient_id=world.alice.pk, reason="discharged")
    assert row.detail == {"stopped_orders": [order.pk], "ended_take_home_plans": []}  # plans end too (#13)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "relapse"}, "reason"),
        ({"ended_on": "2026-03-11"}, "ended_on"),
        ({"ended_on": "2026-01-04"}, "ended_on"),  # before the episode began
        ({"ended_on": "yesterday"}, "ended_on"),
    ],
)
def test_bad_discharge_input_names_the_field(
    world: World, signed_in: Any, body: dict[str, Any], field: str
) -> None:
    response = _discharge(signed_in("nurse"), world.alice, **body)
    assert response.status_code == 422
    assert _fields(response) == [field]
    assert Enrollment.objects.get(patient=world.alice).status == "active"


def test_a_second_discharge_is_refused(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    _discharge(client, world.alice)
    second = _discharge(client, world.alice)
    assert second.status_code == 422
    assert _fields(second) == ["patient"]


def test_readmission_opens_a_new_episode(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    _discharge(client, world.alice, ended_on="2026-02-01")
    response = _readmit(client, world.alice, started_on="2026-03-02")
    assert response.status_code == 201
    episodes = list(Enrollment.objects.filter(patient=world.alice).order_by("started_on"))
    assert [(e.status, e.started_on) for e in episodes] == [
        ("ended", date(2026, 1, 5)),
        ("active", date(2026, 3, 2)),
    ]


def test_readmission_while_in_care_is_refused(world: World, signed_in: Any) -> None:
    response = _readmit(signed_in("nurse"), world.alice)
    assert response.status_code == 422
    assert _fields(response) == ["patient"]
    assert Enrollment.objects.filter(patient=world.alice).count() == 1


def test_readmission_cannot_begin_before_the_last_episode_ended(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    _discharge(client, world.alice, ended_on="2026-03-01")
    response = _readmit(client, world.alice, started_on="2026-02-20")
    assert response.status_code == 422
    assert _fields(response) == ["started_on"]


@pytest.mark.parametrize("role", ["patient", "peer_specialist"])
def test_other_roles_cannot_discharge(world: World, signed_in: Any, role: str) -> None:
    response = _discharge(signed_in(role), world.alice)
    assert response.status_code in {403, 404}
    assert Enrollment.objects.get(patient=world.alice).status == "active"


def test_a_nurse_cannot_discharge_someone_off_her_team(world: World, signed_in: Any) -> None:
    assert _discharge(signed_in("nurse"), world.bob).status_code == 404


def test_the_page_discharges_and_readmits(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    assert (
        client.post(
            f"/patients/{world.bob.pk}/discharge/", {"ended_on": "2026-03-01", "reason": "left"}
        ).status_code
        == 302
    )
    assert Enrollment.objects.get(patient=world.bob).status == "ended"
    assert (
        client.post(
            f"/patients/{world.bob.pk}/readmit/",
            {
                "started_on": "2026-03-10",
                "confirmed": "on",
                "notice_given": "on",
                "consented": "on",
            },
        ).status_code
        == 302
    )
    assert Enrollment.objects.filter(patient=world.bob, status="active").count() == 1


# --- One URL per action (issue #17): the page's discharge and readmission each post to their own URL --------
READMIT_FORM = {"started_on": "2026-03-10", "confirmed": "on", "notice_given": "on", "consented": "on"}


def test_the_page_posts_each_action_to_its_own_url(world: World, signed_in: Any) -> None:
    page = signed_in("program_admin").get(f"/patients/{world.bob.pk}/episodes/").content.decode()
    assert f'action="/patients/{world.bob.pk}/discharge/"' in page
    assert 'name="action"' not in page


def test_the_episodes_page_refuses_a_post(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    body = {"action": "discharge", "ended_on": "2026-03-01", "reason": "left"}
    assert client.post(f"/patients/{world.bob.pk}/episodes/", body).status_code == 405
    assert Enrollment.objects.get(patient=world.bob).status == "active"


def test_the_readmit_url_does_not_discharge(world: World, signed_in: Any) -> None:
    body = {"action": "discharge", "ended_on": "2026-03-01", "reason": "left"}
    response = signed_in("program_admin").post(f"/patients/{world.bob.pk}/readmit/", body)
    assert response.status_code == 422
    assert Enrollment.objects.get(patient=world.bob).status == "active"


def test_the_discharge_url_does_not_readmit(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    _discharge(client, world.bob, reason="left")
    response = client.post(f"/patients/{world.bob.pk}/discharge/", {"action": "readmit", **READMIT_FORM})
    assert response.status_code == 422
    assert not Enrollment.objects.filter(patient=world.bob, status="active").exists()
    page = client.get(f"/patients/{world.bob.pk}/episodes/").content.decode()
    assert f'action="/patients/{world.bob.pk}/readmit/"' in page


def test_the_page_names_a_missing_reason(world: World, signed_in: Any) -> None:
    response = signed_in("program_admin").post(f"/patients/{world.bob.pk}/discharge/", {})
    assert response.status_code == 422
    assert "this is required" in response.content.decode()


def test_the_page_in_spanish(world: World, signed_in: Any) -> None:
    body = signed_in("nurse").get(f"/patients/{world.alice.pk}/episodes/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Alta" in body.content.decode()
