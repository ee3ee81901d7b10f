"""Review of issue #18: the desk's password reset code, POST /api/v1/auth/reset-with-code, and the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.patients.schemas import ResetCodeIn
from tests.conftest import PASSWORD

NEW = "a brand new long password 77"


def _reset(code: Any, password: str = NEW, again: str | None = None) -> Any:
    body = {"code": code, "password": password, "password_again": password if again is None else again}
    return Client().post(
        "/api/v1/auth/reset-with-code", data=json.dumps(body), content_type="application/json"
    )


def test_break_the_glass_access_cannot_start_a_password_reset(world: Any) -> None:
    """Attack: a nurse not on Bob's care team opens Bob's record through emergency access ("for a medical
    emergency"), then starts a desk password reset for Bob: the one-time code is shown to her, and with it she
    sets Bob's password and is signed in as Bob (an account takeover, after which the patient's own sessions
    all end). Resetting Bob's second factor is already "never through emergency access: the care team only";
    a password reset is the bigger key. Expected: refused (403/404), no code made. Found: a code is issued."""
    from django.http import Http404

    from keel.patients import services
    from keel.patients.models import ActivationCode
    from keel.sharing import services as sharing

    nurse = world.staff["nurse"]
    sharing.emergency_access(
        by=nurse,
        record_number=world.bob.record_number,
        reason="overdose at the window, need history",
        password=PASSWORD,
    )
    with pytest.raises((services.NotAllowed, Http404)):
        services.issue_reset_code(
            by=nurse, patient_id=world.bob.pk, data=ResetCodeIn.posted({"identity_checked": True})
        )
    assert not ActivationCode.objects.filter(patient=world.bob, purpose="reset").exists()


# --- Attacks that held -------------------------------------------------------------------------------------


def _code(world: Any) -> str:
    from keel.patients import services

    return services.issue_reset_code(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        data=ResetCodeIn.posted({"identity_checked": True}),
    ).code


def test_held_a_reset_code_works_once(world: Any) -> None:
    code = _code(world)
    assert _reset(code).status_code == 200
    assert _reset(code, password="yet another long password 88").status_code == 422


def test_held_an_activation_code_is_not_a_reset_code(world: Any) -> None:
    from keel.patients import services
    from keel.patients.models import Patient

    newcomer = Patient.objects.create(
        program=world.riverside, record_number="RR-0099", given_name="Nia", family_name="Okafor"
    )
    issued = services.issue_activation_code(by=world.staff["program_admin"], patient_id=newcomer.pk)
    assert _reset(issued.code).status_code == 422


def test_held_an_earlier_reset_code_stops_working_when_a_new_one_is_made(world: Any) -> None:
    first = _code(world)
    _code(world)
    assert _reset(first).status_code == 422


@pytest.mark.parametrize("code", [None, 12345, "", "x" * 5000, ["A"], {"a": 1}])
def test_held_a_malformed_code_is_a_422_never_a_500(world: Any, code: Any) -> None:
    assert _reset(code).status_code == 422


def test_held_mismatched_passwords_are_refused(world: Any) -> None:
    assert _reset(_code(world), again="something else entirely 55").status_code == 422


def test_held_a_peer_specialist_cannot_start_a_reset(world: Any) -> None:
    from keel.patients import services

    with pytest.raises(services.NotAllowed):
        services.issue_reset_code(
            by=world.staff["peer_specialist"],
            patient_id=world.alice.pk,
            data=ResetCodeIn.posted({"identity_checked": True}),
        )


@pytest.mark.parametrize(
    "argv",
    [
        ["episode", "discharge", "--by", "r-counselor", "--patient-id", "abc", "--reason", "left"],
        [
            "episode",
            "discharge",
            "--by",
            "r-counselor",
            "--patient-id",
            "99999999999999999999",
            "--reason",
            "left",
        ],
        ["episode", "discharge", "--by", "nobody", "--patient-id", "1", "--reason", "left"],
        ["episode", "discharge", "--by", "r-counselor", "--patient-id", "1", "--reason", "bored"],
        [
            "episode",
            "discharge",
            "--by",
            "r-counselor",
            "--patient-id",
            "1",
            "--reason",
            "left",
            "--ended-on",
            "31/12/2025",
        ],
        ["episode", "discharge", "--by", "r-peer_specialist", "--patient-id", "1", "--reason", "left"],
        ["episode", "care-team", "--by", "r-nurse", "--patient-id", "1", "--add", "2"],
        ["episode", "care-team", "--by", "r-program_admin", "--patient-id", "1", "--add", "x"],
        ["episode", "activation-code", "--by", "l-nurse", "--patient-id", "1"],
        ["staff", "list", "--by", "r-nurse", "--program", "riverside"],
        ["staff", "list", "--by", "r-program_admin", "--program", "lakeside"],
        [
            "staff",
            "role",
            "--by",
            "r-program_admin",
            "--program",
            "riverside",
            "--user-id",
            "x",
            "--role",
            "nurse",
        ],
        [
            "staff",
            "invite",
            "--by",
            "r-program_admin",
            "--program",
            "riverside",
            "--email",
            "a@",
            "--role",
            "nurse",
        ],
        ["update_patient_contact", "--by", "r-peer_specialist", "--patient", "1", "--data", '{"city": "X"}'],
        ["update_patient_contact", "--by", "r-nurse", "--patient", "1", "--data", "[1]"],
        ["update_patient_contact", "--by", "alice", "--patient", "1", "--data", '{"city": "X"}'],
    ],
)
def test_held_bad_cli_input_exits_2_without_a_traceback(world: Any, argv: list[str]) -> None:
    from django.core.management import CommandError, call_command

    if "1" in argv:
        argv[argv.index("1")] = str(world.alice.pk)
    try:
        call_command(*argv)
    except CommandError as exc:
        assert exc.returncode == 2
    except SystemExit as exc:  # argparse refusing an unknown option
        assert exc.code == 2
    else:
        pytest.fail("accepted")
