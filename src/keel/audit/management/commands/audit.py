"""keel audit verify | checkpoint | key: the keyed audit chain (SECURITY.md T2b, T15).

keel audit verify [--checkpoints FILE [--public-key PEM]] [--json]
    check every row's keyed hash and link (and the checkpoints, with this installation's checkpoint key or the
    public key given); exit 1 naming the first broken row, exit 2 on bad input (older HMAC-signed checkpoint
    lines are refused: the chain key's holder could have written them)
keel audit checkpoint [--output FILE]
    the chain head signed with the Ed25519 checkpoint key (KEEL_CHECKPOINT_KEY) as one JSON line, on standard
    output or appended to FILE; keep it outside the database (an external log)
keel audit checkpoint-key public
    the checkpoint key's public half (PEM), to verify checkpoints elsewhere
keel audit key new ID
    a fresh `ID:base64key` entry: put it FIRST in KEEL_AUDIT_KEYS
keel audit app-role ROLE [--sql]
    PostgreSQL, run as the owner after every migrate: the application's role reads and writes every table but
    may only SELECT and INSERT audit rows (no UPDATE, DELETE, TRUNCATE)
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from keel.audit import chain, services, signing


class Command(BaseCommand):
    help = (
        "Audit trail tools. `verify` checks the keyed hash chain (and, with --checkpoints, the signed heads "
        "kept outside the database) and names the first broken row; `checkpoint` prints or appends a signed "
        "head; `key new ID` makes a key for KEEL_AUDIT_KEYS; `app-role ROLE` sets PostgreSQL privileges."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="check the chain; exit 1 naming the first broken row")
        verify.add_argument("--json", action="store_true", help="print the report as JSON")
        verify.add_argument(
            "--checkpoints", type=Path, help="a file of checkpoints (JSON lines from `keel audit checkpoint`)"
        )
        verify.add_argument(
            "--public-key", type=Path, help="the checkpoint key's public half (from `checkpoint-key public`)"
        )
        point_key = sub.add_parser("checkpoint-key", help="the checkpoint signing key's public half")
        point_key.add_argument("key_action", choices=["public"])
        point = sub.add_parser("checkpoint", help="the signed chain head, one JSON line")
        point.add_argument("--output", type=Path, help="append the line to this file instead of printing it")
        key = sub.add_parser("key", help="make a key for KEEL_AUDIT_KEYS")
        key.add_argument("key_action", choices=["new"])
        key.add_argument("key_id")
        role = sub.add_parser(
            "app-role", help="PostgreSQL: the application role's privileges (run as the owner)"
        )
        role.add_argument("role")
        role.add_argument("--sql", action="store_true", help="print the statements instead of running them")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "key":
            if not chain.valid_key_id(options["key_id"]):
                raise CommandError(
                    "give a key id: letters, digits, - and _, at most 32 (e.g. 2026-12)", returncode=2
                )
            self.stdout.write(chain.new_key_spec(options["key_id"]))
        elif subcommand == "app-role":
            self._app_role(options["role"], print_only=options["sql"])
        elif subcommand == "checkpoint":
            self._checkpoint(options["output"])
        elif subcommand == "checkpoint-key":
            try:
                public = services.checkpoint_public_key()
            except services.CheckpointInputError as error:
                raise CommandError(str(error), returncode=2) from None
            self.stdout.write(signing.public_pem(public).rstrip("\n"))
        else:
            self._verify(options["checkpoints"], options["public_key"], as_json=options["json"])

    def _app_role(self, role: str, *, print_only: bool) -> None:
        try:
            statements = services.app_role_statements(role)
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        if print_only:
            self.stdout.write(";\n".join(statements) + ";")
            return
        if connection.vendor != "postgresql":
            raise CommandError(
                "app-role: only PostgreSQL has roles (use --sql to see the statements)", returncode=2
            )
        try:
            services.apply_app_role(role)
        except DatabaseError as error:
            raise CommandError(f"app-role: {error}".strip(), returncode=2) from None
        self.stdout.write(f"Role {role} may read and write Keel's tables; audit rows only SELECT and INSERT.")

    def _checkpoint(self, output: Path | None) -> None:
        if output is not None and (output.is_dir() or not output.parent.is_dir()):
            raise CommandError(f"--output: {output} is not a file in an existing directory", returncode=2)
        try:
            head = services.checkpoint()
        except ValueError as error:
            raise CommandError(f"No checkpoint written: {error}.", returncode=1) from None
        line = json.dumps(head, sort_keys=True)
        if output is None:
            self.stdout.write(line)
            return
        fd = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(line + "\n")
            log.flush()
            os.fsync(log.fileno())
        self.stdout.write(f"Checkpoint of row {head['event_id']} appended to {output}.")

    def _verify(self, checkpoints: Path | None, public_key: Path | None, *, as_json: bool) -> None:
        if checkpoints is None:
            if public_key is not None:
                raise CommandError("--public-key: give --checkpoints too", returncode=2)
            report = services.verify_chain()
        else:
            try:
                key = services.checkpoint_public_key(public_key)
                points = services.read_checkpoints(checkpoints, key)
            except services.CheckpointInputError as error:
                raise CommandError(str(error), returncode=2) from None
            report = services.verify_checkpoints(points, key)
        if as_json:
            self.stdout.write(json.dumps(report.__dict__))
        elif report.ok:
            against = f" and {len(points)} checkpoint(s)" if checkpoints is not None else ""
            self.stdout.write(f"Audit chain OK: {report.checked} rows verified{against}.")
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at row {report.first_broken_id}: {report.problem}. "
                f"{report.checked} rows verified.",
                returncode=1,
            )
