"""No patient data in logs: walk sign-in failures, reads, denials and bad input with every logger at DEBUG."""

from __future__ import annotations

import io
import logging

import pytest
from django.test import Client
from django.utils.module_loading import import_string

from keel.web.middleware import RequestIdLogFilter
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


def test_a_server_error_logs_where_it_failed_but_not_the_exception_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exception messages can carry what someone typed or a database row (an IntegrityError names the key),
    so the console log keeps the frames and the exception's type and leaves the message out."""
    from django.conf import settings

    from keel.recovery import services

    def fail(**_: object) -> None:
        try:
            raise KeyError(f"{world.alice.record_number} {world.alice.family_name}")
        except KeyError as exc:
            raise ValueError(f"expected a number but got {world.alice.given_name!r}") from exc

    monkeypatch.setattr(services, "record_checkin", fail)
    plain = settings.LOGGING["formatters"]["plain"]  # the console formatter as it runs in service
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(import_string(plain["()"])(plain["format"]))
    handler.addFilter(RequestIdLogFilter())
    logging.getLogger("django.request").addHandler(handler)
    try:
        alice = sign_in(Client(raise_request_exception=False), world.alice.user)
        response = alice.post("/api/v1/me/checkins", "{}", content_type="application/json")
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert response.status_code == 500
    text = out.getvalue()
    assert "Internal Server Error: /api/v1/me/checkins" in text
    assert "builtins.ValueError: (message not logged)" in text
    assert "builtins.KeyError" in text
    assert "in fail" in text  # where it failed
    for canary in (world.alice.given_name, world.alice.family_name, world.alice.record_number):
        assert canary not in text
