"""`keel demo [--patients N] [--seed S] [--json]`: load synthetic demo data (idempotent)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel import demo


class Command(BaseCommand):
    help = "Load synthetic demo programs, staff and patients (safe to run again)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--patients", type=int, default=12, help="patients per program (default 12)")
        parser.add_argument("--seed", type=int, default=7, help="random seed for the synthetic data")
        parser.add_argument(
            "--json", action="store_true", help="print the demo accounts as one JSON document"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 2 <= options["patients"] <= 5000:
            raise CommandError("--patients: must be between 2 and 5000", returncode=2)
        accounts = demo.load(patients_per_program=options["patients"], seed=options["seed"])
        if options["json"]:
            self.stdout.write(json.dumps(demo.as_json(accounts), indent=2))
            return
        self.stdout.write(f"Demo accounts (demo-only; password for all: {demo.DEMO_PASSWORD})")
        self.stdout.write(f"{'username':<24} {'role':<16} {'TOTP secret / patient id'}")
        for a in accounts:
            extra = a.totp_secret or (f"patient #{a.patient_id}" if a.patient_id else "")
            self.stdout.write(f"{a.username:<24} {a.role:<16} {extra}")
