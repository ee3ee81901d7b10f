"""The `keel` command: clear messages and non-zero exits on bad input; demo data idempotent."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from keel.accounts.models import Program, User
from keel.patients.models import CareTeamMember, Patient

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "a long and unusual passphrase"


def _createuser(*extra: str, username: str = "nina") -> list[str]:
    return ["createuser", "--username", username, *extra, "--password-stdin"]


def _keel(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    """Run a command in-process as `keel` would; exit codes come from CommandError.returncode.

    (`keel` itself is run as a real process in test_the_installed_keel_command_runs_end_to_end; in-process
    we use call_command, because run_from_argv closes the database connection the test runs in.)
    """
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    finally:
        sys.stdin = old_stdin
    return 0, out.getvalue(), ""


@pytest.fixture
def program(db: Any) -> Program:
    return Program.objects.create(slug="riverside", name="Riverside Recovery")


def test_createuser_makes_staff_with_a_totp_secret(program: Program) -> None:
    code, out, _ = _keel(
        _createuser("--role", "nurse", "--program", "riverside", "--json"),
        GOOD_PASSWORD + "\n",
    )
    assert code == 0
    data = json.loads(out)
    assert data["role"] == "nurse"
    assert data["programs"] == ["riverside"]
    assert data["mfa_enrolled"]
    assert len(data["totp_secret"]) == 32
    assert User.objects.get(username="nina").check_password(GOOD_PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "nurse", "--program", "nowhere"], GOOD_PASSWORD, "no program with slug 'nowhere'"),
        (["--role", "nurse"], GOOD_PASSWORD, "staff must belong to a program"),
        (["--role", "nurse", "--program", "riverside"], "short", "too short"),
        (["--role", "nurse", "--program", "riverside"], "password1234", "too common"),
        (["--role", "nurse", "--program", "riverside"], "", "nothing was read"),
    ],
)
def test_createuser_rejects_bad_input_with_a_clear_message(
    program: Program, args: list[str], stdin: str, message: str
) -> None:
    code, _, err = _keel(_createuser(*args), stdin + "\n")
    assert code == 2
    assert message in err
    assert not User.objects.filter(username="nina").exists()


def test_createuser_refuses_a_taken_username(program: Program) -> None:
    args = _createuser("--role", "nurse", "--program", "riverside")
    assert _keel(args, GOOD_PASSWORD)[0] == 0
    code, _, err = _keel(args, GOOD_PASSWORD)
    assert code == 2
    assert "taken" in err


def test_demo_is_deterministic_idempotent_and_prints_every_account(db: Any) -> None:
    out = io.StringIO()
    call_command("demo", "--patients", "4", "--seed", "3", "--json", stdout=out)
    first = json.loads(out.getvalue())
    counts = (Patient.objects.count(), User.objects.count(), CareTeamMember.objects.count())
    out = io.StringIO()
    call_command("demo", "--patients", "4", "--seed", "3", "--json", stdout=out)
    assert json.loads(out.getvalue()) == first
    assert (
        (Patient.objects.count(), User.objects.count(), CareTeamMember.objects.count())
        == counts
        == (8, 18, 36)
    )
    roles = {a["role"] for a in first["accounts"]}
    assert roles == {
        "patient",
        "counselor",
        "nurse",
        "prescriber",
        "peer_specialist",
        "program_admin",
        "auditor",
    }
    staff = [a for a in first["accounts"] if a["role"] != "patient"]
    assert all(a["totp_secret"] for a in staff)
    patients = [a for a in first["accounts"] if a["role"] == "patient"]
    assert len(patients) == 4
    assert all(Patient.objects.get(pk=a["patient_id"]).user for a in patients)


def test_demo_rejects_a_bad_patient_count(db: Any) -> None:
    code, _, err = _keel(["demo", "--patients", "1"])
    assert code == 2
    assert "--patients" in err


def test_serve_rejects_a_bad_port() -> None:
    code, _, err = _keel(["serve", "--port", "70000"])
    assert code == 2
    assert "--port" in err


def test_serve_rejects_a_bad_thread_count() -> None:
    code, _, err = _keel(["serve", "--threads", "0"])
    assert code == 2
    assert "--threads" in err


@pytest.mark.clock_free  # the packaged command on its own SQLite file: nothing in it reads the date
@pytest.mark.skipif(
    os.environ.get("KEEL_DATABASE_URL", "").startswith("postgres"),
    reason="it runs on its own SQLite file whatever the database under test: the SQLite pass runs it",
)
def test_the_installed_keel_command_runs_end_to_end(tmp_path: Path) -> None:
    """The real console script, against its own fresh SQLite database."""
    keel = Path(sys.executable).parent / "keel"
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path))
    env.pop("KEEL_DATABASE_URL", None)

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(keel), *args], env=env, input=stdin, capture_output=True, text=True, check=False, timeout=120
        )

    assert run("migrate", "--no-input").returncode == 0
    assert (tmp_path / "keel.sqlite3").exists()
    assert (tmp_path / "secret_key").exists()
    demo = run("demo", "--patients", "2", "--json")
    assert demo.returncode == 0
    assert len(json.loads(demo.stdout)["accounts"]) == 18
    assert run("check").returncode == 0
    verify = run("audit", "verify")
    assert verify.returncode == 0
    assert "OK" in verify.stdout
    bad = run(*_createuser("--role", "nurse", "--program", "nope", username="x"), stdin=GOOD_PASSWORD)
    assert bad.returncode == 2
    assert "no program" in bad.stderr
    wizard = run(*_createuser("--role", "wizard", username="x"), stdin=GOOD_PASSWORD)
    assert wizard.returncode == 2
    assert "invalid choice: 'wizard'" in wizard.stderr
    journal = run(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA synchronous').fetchone()[0],"
        " c.execute('PRAGMA foreign_keys').fetchone()[0])",
    )
    assert journal.stdout.strip().splitlines()[-1].split() == [
        "wal",
        "2",
        "1",
    ]  # WAL, synchronous=FULL, foreign keys on
