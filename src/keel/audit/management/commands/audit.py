"""`keel audit verify`: walk the hash chain and report the first broken row."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.audit import services


class Command(BaseCommand):
    help = "Audit trail tools. `verify` recomputes the hash chain and names the first broken row."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.verify_chain()
        if options["json"]:
            self.stdout.write(json.dumps(report.__dict__))
        elif report.ok:
            self.stdout.write(f"Audit chain OK: {report.checked} rows verified.")
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at row {report.first_broken_id}: {report.problem}. "
                f"{report.checked} rows before it verified.",
                returncode=1,
            )
