"""Lane words22: the API's 409s said in the request's language. Before, a dose the guard rails stopped was
refused in the rule's English (the exception's own text), a second dose in a taken slot in an English f-string
("Already given today: dose 1 of today ...") and a stale relapse-prevention plan in another ("The plan changed
since you opened it (version 1)"), whatever language the app asked for."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.patients.models import local_today, zone_of
from keel.treatment import services
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _noon(world: World) -> datetime:
    """Noon of the person's day, in their program's zone (inside the dosing window's hours)."""
    return datetime.combine(local_today(world.alice), time(12), tzinfo=zone_of(world.alice))


def _post_dose(world: World, language: str, **body: Any) -> Any:
    client = sign_in(Client(), world.staff["nurse"])
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"medication": "methadone", **body}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_blocked_dose_is_refused_in_the_request_language(world: World) -> None:
    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )
    with time_machine.travel(_noon(world), tick=False):
        english = _post_dose(world, "en", sequence=1, amount_mg="80")  # day one, above its limit
        spanish = _post_dose(world, "es", sequence=1, amount_mg="80")
    assert english.status_code == spanish.status_code == 409
    assert spanish.json()["message"] != english.json()["message"]
    assert spanish.json()["errors"][0]["reason"] == spanish.json()["message"]
    assert english.json()["message"] == " ".join(r["text"] for r in english.json()["decision"]["reasons"])
    assert spanish.json()["decision"] == english.json()["decision"]  # the stored decision stays as it is


def test_a_taken_slot_is_said_in_the_request_language(world: World) -> None:
    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )
    with time_machine.travel(_noon(world), tick=False):
        assert _post_dose(world, "en", sequence=1, amount_mg="30").status_code == 201
        again = _post_dose(world, "es", sequence=1, amount_mg="30")
    assert again.status_code == 409
    assert again.json()["message"].startswith("Ya se dio hoy: la dosis 1 de hoy ya está registrada")


def test_a_stale_plan_is_said_in_the_request_language(world: World) -> None:
    client = sign_in(Client(), world.alice.user)

    def put(version: int, language: str) -> Any:
        body = json.dumps({"version": version, "plan": {"reasons": ["my kids"]}})
        return client.put(
            "/api/v1/me/plan", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
        )

    assert put(0, "en").status_code == 200
    stale = put(0, "es")
    assert stale.status_code == 409
    assert stale.json()["message"].startswith("El plan cambió después de que usted lo abrió (versión 1)")
    assert put(0, "en").json()["message"].startswith("The plan changed since you opened it (version 1)")
