"""No patient data in logs: walk sign-in failures, reads, denials and bad input with every logger at DEBUG."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def test_no_patient_identifiers_reach_any_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    Client().post("/accounts/login/", {"username": "alice", "password": "wrong password here"})
    nurse = sign_in(Client(), world.staff["nurse"])
    for path in [
        "/patients/",
        f"/patients/{world.alice.pk}/",
        f"/patients/{world.bob.pk}/",
        f"/patients/{world.charlie.pk}/",
        "/api/v1/patients",
        f"/api/v1/patients/{world.bob.pk}",
        "/api/v1/patients/not-a-number",
        "/nope/",
    ]:
        nurse.get(path)
    sign_in(Client(), world.alice.user).get("/me/")
    text = "\n".join(r.getMessage() + " " + str(r.__dict__.get("args")) for r in caplog.records)
    assert caplog.records, "expected at least the 404 warnings to be logged"
    for patient in (world.alice, world.bob, world.charlie):
        for canary in (patient.given_name, patient.family_name, patient.record_number, "1990-05-17"):
            assert canary not in text
