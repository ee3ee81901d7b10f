"""`keel setup` (issue #18, journey 0): the first program and admin on a new database; twice changes nothing;
bad input names the field and exits 2; a database that already holds programs (the demo) is left alone."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import totp

from keel.accounts.models import Program, ProgramMembership, Role, User
from keel.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "a long and unusual passphrase"
ARGS = [
    "setup",
    "--program-slug", "riverside",
    "--program-name", "Riverside Recovery",
    "--time-zone", "America/Chicago",
    "--username", "dana",
    "--email", "dana@riverside.example",
    "--first-name", "Dana",
    "--password-stdin",
]  # fmt: skip


def _keel(args: list[str], stdin: str = PASSWORD + "\n") -> tuple[int, str, str]:
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


def _with(flag: str, value: str) -> list[str]:
    args = list(ARGS)
    args[args.index(flag) + 1] = value
    return args


def _counts() -> tuple[int, int, int, int]:
    return (
        Program.objects.count(),
        User.objects.count(),
        ProgramMembership.objects.count(),
        AuditEvent.objects.count(),
    )


def test_setup_creates_the_program_and_its_first_admin() -> None:
    code, out, _ = _keel([*ARGS, "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["created"] is True
    program = Program.objects.get()
    assert (program.slug, program.name, program.time_zone) == (
        "riverside",
        "Riverside Recovery",
        "America/Chicago",
    )
    admin = User.objects.get(username="dana")
    assert admin.role == Role.PROGRAM_ADMIN
    assert admin.email == "dana@riverside.example"
    assert admin.check_password(PASSWORD)
    assert list(admin.programs.all()) == [program]
    assert data["otpauth_uri"].startswith("otpauth://totp/Keel:dana?secret=" + data["totp_secret"])


def test_the_admin_secret_gives_working_codes(client: Any) -> None:
    import base64

    _, out, _ = _keel([*ARGS, "--json"])
    secret = json.loads(out)["totp_secret"]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    client.post("/accounts/login/", {"username": "dana", "password": PASSWORD})
    response = client.post("/accounts/login/verify/", {"code": f"{totp(key):06d}"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/patients/").status_code == 200


def test_setup_says_what_to_do_next_with_a_qr_code() -> None:
    code, out, _ = _keel(ARGS)
    assert code == 0
    assert "authenticator app" in out
    assert "█" in out or "▀" in out  # the QR code, drawn in the terminal by segno
    assert "/accounts/login/" in out
    assert "/patients/new/" in out


def test_running_setup_twice_changes_nothing() -> None:
    _keel(ARGS)
    before = _counts()
    secret_before = User.objects.get(username="dana").password
    code, out, _ = _keel(ARGS)
    assert code == 0
    assert "Nothing was changed" in out
    assert _counts() == before
    assert User.objects.get(username="dana").password == secret_before


def test_running_setup_twice_prints_no_secret_again() -> None:
    _keel(ARGS)
    code, out, _ = _keel([*ARGS, "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["created"] is False
    assert data["totp_secret"] is None


def test_setup_refuses_a_database_that_holds_the_demo() -> None:
    Program.objects.create(slug="riverside-demo", name="Riverside (demo)")
    before = _counts()
    code, _, message = _keel(ARGS)
    assert code == 2
    assert message.startswith("database: ")
    assert "Nothing was changed" in message
    assert _counts() == before


def test_setup_for_a_second_program_on_a_set_up_database_is_refused() -> None:
    _keel(ARGS)
    before = _counts()
    code, _, message = _keel(_with("--program-slug", "lakeside"))
    assert code == 2
    assert message.startswith("database: ")
    assert _counts() == before


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--program-slug", "river side", "program_slug"),
        ("--program-slug", "", "program_slug"),
        ("--program-name", "   ", "program_name"),
        ("--time-zone", "Mars/Olympus", "time_zone"),
        ("--time-zone", "", "time_zone"),
        ("--username", "", "username"),
        ("--email", "not-an-address", "email"),
    ],
)
def test_bad_input_names_the_field_and_exits_2(flag: str, value: str, field: str) -> None:
    code, _, message = _keel(_with(flag, value))
    assert code == 2
    assert message.startswith(f"{field}: ")
    assert _counts()[:3] == (0, 0, 0)


def test_a_weak_password_is_refused_and_nothing_is_half_written() -> None:
    code, _, message = _keel(ARGS, stdin="123\n")
    assert code == 2
    assert message.startswith("password: ")
    assert _counts()[:3] == (0, 0, 0)


def test_an_empty_password_is_refused() -> None:
    code, _, message = _keel(ARGS, stdin="\n")
    assert code == 2
    assert message.startswith("password: ")


def test_a_fresh_install_has_a_directory_that_answers() -> None:
    """Issue #20: not only the demo: `keel setup` imports the real public meeting feed Keel ships."""
    from keel.directory import samples
    from keel.directory.models import Meeting

    assert _keel(ARGS)[0] == 0
    assert Meeting.objects.filter(source=samples.REAL_SOURCE).exists()


def test_a_fresh_install_has_no_sample_records() -> None:
    from keel.directory import samples
    from keel.directory.models import Facility, Meeting

    assert _keel(ARGS)[0] == 0
    assert not Meeting.objects.filter(source=samples.SAMPLE_MEETINGS).exists()
    assert not Facility.objects.filter(source=samples.SAMPLE_CLINICS).exists()  # the real SAMHSA list only


def test_a_second_setup_under_another_program_name_says_the_name_was_not_applied() -> None:
    """Review 38g's note (lane fix38g): the second run says the program keeps its name."""
    _keel(ARGS)
    _code, out, _ = _keel(_with("--program-name", "Riverside Health"))
    said = 'already exists under its name "Riverside Recovery"; the name "Riverside Health" was not applied'
    assert said in out
