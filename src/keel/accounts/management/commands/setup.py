"""`keel setup --program-slug S --program-name N --time-zone Z --username U --email E --password-stdin
[--json]`: the first program and its first program admin on a new database (issue #18, journey 0)."""

from __future__ import annotations

import getpass
import io
import json
import sys
from argparse import ArgumentParser
from typing import Any

import segno
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from keel.accounts import queries, services


def _migrate_if_needed() -> None:
    """A new database gets its tables first; an up-to-date one is left alone (a second run changes
    nothing)."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


class Command(BaseCommand):
    help = (
        "Set up a new Keel database: the first program and its first program admin (who enrols an "
        "authenticator app). Safe to run again: a second run with the same program and admin changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--program-slug", required=True, help="short name in addresses, e.g. riverside")
        parser.add_argument("--program-name", required=True, help="the program's name as people see it")
        parser.add_argument("--time-zone", default="America/New_York", help="the program's time zone")
        parser.add_argument("--username", required=True, help="the first program admin's username")
        parser.add_argument("--email", required=True, help="the first program admin's email address")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def _password(self, options: dict[str, Any]) -> str:
        if options["password_stdin"]:
            return sys.stdin.readline().rstrip("\n")
        if not sys.stdin.isatty():
            raise CommandError(
                "password: use --password-stdin when standard input is not a terminal", returncode=2
            )
        first = getpass.getpass("Password for the program admin: ")
        if first != getpass.getpass("The same password again: "):
            raise CommandError("password: the two passwords differ", returncode=2)
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options)
        if not password:
            raise CommandError("password: nothing was read", returncode=2)
        _migrate_if_needed()
        try:
            result = services.setup_first_program(
                slug=options["program_slug"],
                name=options["program_name"],
                time_zone=options["time_zone"],
                username=options["username"],
                email=options["email"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except services.AccountError as exc:
            raise CommandError(f"{exc.field}: {exc.message}", returncode=2) from None
        uri = services.otpauth_uri(result.admin, result.totp_secret) if result.totp_secret else None
        if options["json"]:
            self._write_json(result, uri)
        elif not result.created:
            self.stdout.write(_already_set_up(result, options["program_name"]))
        else:
            self._write_first_steps(result, uri)

    def _write_json(self, result: services.SetupResult, uri: str | None) -> None:
        """What was set up, as one JSON object (the second factor's secret and URI with it)."""
        out = {
            "created": result.created,
            "program": {
                "slug": result.program.slug,
                "name": result.program.name,
                "time_zone": result.program.time_zone,
            },
            "admin": queries.describe_user(result.admin),
            "totp_secret": result.totp_secret,
            "otpauth_uri": uri,
        }
        self.stdout.write(json.dumps(out))

    def _write_first_steps(self, result: services.SetupResult, uri: str | None) -> None:
        """The program made, then the four first steps: the second factor (a QR code and its secret), sign
        in, invite the staff, register the first patient."""
        self.stdout.write(
            f"Created the program {result.program.name} ({result.program.slug}, "
            f"{result.program.time_zone}) and its program admin {result.admin.username}."
        )
        self.stdout.write("")
        self.stdout.write("1. Add Keel to an authenticator app: scan this code, or type the secret below.")
        assert uri is not None
        drawing = io.StringIO()
        segno.make(uri, error="m").terminal(out=drawing, compact=True)
        self.stdout.write(drawing.getvalue(), ending="")
        self.stdout.write(f"   Secret: {result.totp_secret}")
        self.stdout.write(
            "2. Start Keel (keel serve) and sign in at /accounts/login/ with the password and a code."
        )
        self.stdout.write(
            "3. Invite your staff at /program/staff/ and set the program's hours at /program/settings/."
        )
        self.stdout.write("4. Register your first patient at /patients/new/.")


def _already_set_up(result: services.SetupResult, asked_name: str) -> str:
    """A second run's sentence; a program name other than the program's is said not applied (review 38g)."""
    program = result.program
    said = f"Keel is already set up: program {program.slug}, admin {result.admin.username}."
    if asked_name.strip() != program.name:
        said += (
            f' The program already exists under its name "{program.name}"; the name "{asked_name.strip()}" '
            "was not applied."
        )
    return said + " Nothing was changed."
